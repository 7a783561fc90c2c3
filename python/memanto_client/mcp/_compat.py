"""The few places where the two majors of the official ``mcp`` SDK differ.

mcp 2.x has ``mcp.server.mcpserver.MCPServer``; mcp 1.x has the same decorator API as
``mcp.server.fastmcp.FastMCP``, which takes the HTTP host and port as constructor arguments
instead of ``run`` arguments. Everything else this package uses is common to both.
"""

from __future__ import annotations

import importlib
from typing import Any

try:  # mcp >= 2
    _server = importlib.import_module("mcp.server.mcpserver")
    _exceptions = importlib.import_module("mcp.server.mcpserver.exceptions")
    _App: Any = _server.MCPServer
    MCP_MAJOR = 2
except ImportError:  # mcp 1.x
    _server = importlib.import_module("mcp.server.fastmcp")
    _exceptions = importlib.import_module("mcp.server.fastmcp.exceptions")
    _App = _server.FastMCP
    MCP_MAJOR = 1

#: Raised by a tool for a failure the model should read: the call returns ``isError`` with
#: this message (other exceptions are reported as crashes, without their text, by mcp 2).
ToolError: type[Exception] = _exceptions.ToolError

__all__ = ["MCP_MAJOR", "ToolError", "new_app", "run_app"]


def new_app(name: str, instructions: str, host: str, port: int) -> Any:
    """An ``MCPServer`` (mcp 2) or ``FastMCP`` (mcp 1) that logs only warnings (to stderr).

    mcp 1 takes the HTTP address here (its DNS-rebinding protection is derived from it);
    mcp 2 takes it in :func:`run_app`."""
    if MCP_MAJOR >= 2:
        return _App(name, instructions=instructions, log_level="WARNING")
    return _App(name, instructions=instructions, log_level="WARNING", host=host, port=port)


def run_app(app: Any, transport: str, host: str, port: int) -> None:
    """Serve until the client goes away (stdio) or the process is interrupted (http)."""
    if transport == "stdio":
        app.run("stdio")
    elif MCP_MAJOR >= 2:
        app.run("streamable-http", host=host, port=port)
    else:
        app.run("streamable-http")
