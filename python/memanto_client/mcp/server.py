"""``memanto-client mcp``: Memanto memory as an MCP server (stdio by default, or streamable HTTP).

    memanto-client mcp                                  # stdio, embedded LocalServer, per-user database
    memanto-client mcp --db ./team.db --agent support   # another database and default agent
    memanto-client mcp --transport http --port 8765     # streamable HTTP on http://127.0.0.1:8765/mcp
    MEMANTO_BASE_URL=https://... MOORCHEH_API_KEY=... memanto-client mcp   # a remote Memanto server

Everything this process prints goes to stderr: on stdio, stdout is the MCP channel. Nothing it
prints or returns contains the API key or a session token.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .. import __version__
from ._compat import new_app, run_app
from .backend import Backend, default_db_path
from .tools import register_tools

__all__ = ["build_app", "main", "parser"]

INSTRUCTIONS = (
    "Long-term memory that persists across conversations. Call `recall` (or `answer`) before "
    "replying when earlier context may matter, and `remember` whenever you learn something worth "
    "keeping: user preferences, facts, decisions, goals, commitments. Memories belong to an agent "
    "(agent_id, optional): the default agent unless you are told to keep separate memory spaces."
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="memanto-client mcp",
        description="Serve Memanto memory to MCP clients (desktop assistants, IDE agents).",
    )
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio",
                   help="stdio (default: the client starts this command) or streamable HTTP")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765); the endpoint is /mcp")
    p.add_argument("--base-url", default=None,
                   help="a Memanto server (default: $MEMANTO_BASE_URL; unset: the embedded LocalServer). "
                        "Its key is read from $MOORCHEH_API_KEY")
    p.add_argument("--db", type=Path, default=None,
                   help=f"the embedded LocalServer's database file (default {default_db_path()})")
    p.add_argument("--agent", default=None,
                   help="the agent used when a tool call names none (default: $MEMANTO_AGENT_ID or 'default')")
    p.add_argument("--admin", action="store_true", help="also offer list_agents, create_agent, delete_agent")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per Memanto request (default 60)")
    return p


def build_app(backend: Backend, *, admin: bool = False, host: str = "127.0.0.1",
              port: int = 8765) -> tuple[Any, list[str]]:
    """The MCP server object (an ``mcp`` ``MCPServer``/``FastMCP``) with the tools registered,
    and the tools' names."""
    app = new_app("memanto", INSTRUCTIONS, host, port)
    return app, register_tools(app, backend, admin=admin)


def _say(message: str) -> None:
    print(f"memanto-client mcp: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None, *, base_url: str | None = None) -> int:
    args = parser().parse_args(argv)
    if args.base_url is None:
        args.base_url = base_url or os.environ.get("MEMANTO_BASE_URL") or None
    agent = args.agent or os.environ.get("MEMANTO_AGENT_ID") or "default"
    if args.transport == "http" and not 0 < args.port < 65536:
        _say(f"error: --port must be between 1 and 65535, got {args.port}")
        return 2
    try:
        backend = Backend(base_url=args.base_url, db_path=args.db, default_agent=agent, timeout=args.timeout)
    except Exception as e:  # SDK/OS messages never contain the key
        _say(f"error: {e}")
        return 1
    try:
        app, names = build_app(backend, admin=args.admin, host=args.host, port=args.port)
        _say(f"memanto-client {__version__}; memory: {backend.description}; default agent {agent!r}")
        _say(f"{len(names)} tools: {', '.join(names)}")
        if args.transport == "http":
            if args.host not in ("127.0.0.1", "localhost", "::1"):
                _say(f"warning: listening on {args.host}: the HTTP endpoint has no authentication")
            _say(f"streamable HTTP on http://{args.host}:{args.port}/mcp")
        run_app(app, "stdio" if args.transport == "stdio" else "http", args.host, args.port)
    except KeyboardInterrupt:
        pass
    finally:
        backend.close()
    return 0
