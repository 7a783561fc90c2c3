"""``memanto-client`` (or ``python -m memanto_client``): everyday checks from the shell.

    memanto-client health
    memanto-client agents
    memanto-client decode-token < token.txt
    memanto-client recall AGENT_ID "what does Alex drink?" [--limit 5]
    memanto-client ingest AGENT_ID FILE [--create]   # .jsonl/.txt lines, or a LoCoMo .json
    memanto-client mcp [--transport http] [--db FILE] # an MCP server (needs the `mcp` extra)

The server is ``--base-url`` or ``MEMANTO_BASE_URL``; the key is read from ``MOORCHEH_API_KEY``
(never from the command line, so it stays out of shell history). Errors print their remedy and
exit with status 1; nothing printed contains the key or a token.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from . import AuthenticationError, Client, MemantoError, NotFoundError, decode_session_token


def _client(args: argparse.Namespace) -> Client:
    return Client(base_url=args.base_url, timeout=args.timeout)


def _health(args: argparse.Namespace) -> int:
    h = _client(args).health()
    print(json.dumps(h.to_dict(), indent=2))
    return 0 if h.ok else 2


def _agents(args: argparse.Namespace) -> int:
    agents = _client(args).agents.list()
    for a in agents:
        created = a.created_at.isoformat() if a.created_at else "-"
        print(f"{a.agent_id}\t{a.pattern}\t{a.memory_count} memories\t{a.session_count} sessions\tcreated {created}")
    print(f"{len(agents)} agent(s)", file=sys.stderr)
    return 0


def _decode(args: argparse.Namespace) -> int:
    token = sys.stdin.read().strip()
    c = decode_session_token(token)
    out = {
        "agent_id": c.agent_id,
        "namespace": c.namespace,
        "session_id": c.session_id,
        "started_at": c.started_at.isoformat() if c.started_at else None,
        "expires_at": c.expires_at.isoformat(),
        "time_remaining_seconds": int(c.time_remaining.total_seconds()),
        "is_expired": c.is_expired,
    }
    print(json.dumps(out, indent=2))
    return 0


def _recall(args: argparse.Namespace) -> int:
    agent = _client(args).agents.get(args.agent_id)
    with agent.activate() as session:
        for m in session.recall(args.query, limit=args.limit):
            score = f"{m.score:.2f}" if m.score is not None else "-"
            tags = ",".join(m.tags)
            print(f"{score}\t{m.type}\t{tags}\t{m.content}")
    return 0


def _items(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix.lower() == ".json":
        samples = json.loads(path.read_text(encoding="utf-8"))
        for sample in samples if isinstance(samples, list) else [samples]:
            conv = sample["conversation"]
            n = 1
            while f"session_{n}" in conv:
                date = conv.get(f"session_{n}_date_time", f"session {n}")
                for t in conv[f"session_{n}"]:
                    yield {"content": f"[{date}] {t['speaker']}: {t['text']}"[:10_000], "type": "event", "tags": [t["dia_id"]]}
                n += 1
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        yield json.loads(line) if path.suffix.lower() == ".jsonl" else {"content": line[:10_000]}


def _ingest(args: argparse.Namespace) -> int:
    client = _client(args)
    agent = client.agents.get_or_create(args.agent_id) if args.create else client.agents.get(args.agent_id)
    items = list(_items(Path(args.file)))
    start = time.perf_counter()
    stored = 0
    tty = sys.stderr.isatty()
    prefix = "\r" if tty else ""
    with agent.activate() as session:
        for i in range(0, len(items), 100):
            stored += session.batch_remember(items[i : i + 100]).successful
            pct = 100 * stored // max(len(items), 1)
            # one updating line on a terminal, one line per batch when piped
            end = "" if tty else "\n"
            print(f"{prefix}ingested {stored}/{len(items)} ({pct}%)", end=end, file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - start
    print(f"{chr(10) if tty else ''}ingested {stored} memories into {args.agent_id} in {elapsed:.1f} s", file=sys.stderr)
    return 0


def _mcp(args: argparse.Namespace, rest: list[str]) -> int:
    try:  # lazily: the base package does not depend on `mcp`
        from .mcp.server import main as mcp_main
    except ImportError as e:
        if (e.name or "").split(".")[0] != "mcp":
            raise
        print("error: the MCP server needs the `mcp` package: pip install 'memanto-client[mcp]' (from a checkout: pip install '.[mcp]')", file=sys.stderr)
        return 1
    return mcp_main(rest, base_url=args.base_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="memanto-client", description="Everyday checks against a Memanto server.")
    parser.add_argument("--base-url", default=None, help="server URL (default: $MEMANTO_BASE_URL or http://localhost:8000)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("health", help="GET /health").set_defaults(func=_health)
    sub.add_parser("agents", help="list agents").set_defaults(func=_agents)
    sub.add_parser("decode-token", help="decode a session token read from stdin").set_defaults(func=_decode)
    rec = sub.add_parser("recall", help="activate an agent and recall a query")
    rec.add_argument("agent_id")
    rec.add_argument("query")
    rec.add_argument("--limit", type=int, default=5)
    rec.set_defaults(func=_recall)
    ing = sub.add_parser("ingest", help="store lines (.txt), JSON objects (.jsonl) or a LoCoMo file (.json)")
    ing.add_argument("agent_id")
    ing.add_argument("file")
    ing.add_argument("--create", action="store_true", help="create the agent if it does not exist")
    ing.set_defaults(func=_ingest)
    # `mcp` hands everything after it to the MCP server's own parser (`mcp --help` shows it).
    sub.add_parser("mcp", help="serve memory to MCP clients (memanto-client mcp --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "mcp":
        return _mcp(args, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return int(args.func(args))
    except MemantoError as e:
        print(f"error: {e}", file=sys.stderr)
        if isinstance(e, AuthenticationError):
            print("hint: export MOORCHEH_API_KEY=... (for a memanto-local server: "
                  "memanto-local show-key --db FILE)", file=sys.stderr)
        elif isinstance(e, NotFoundError) and getattr(args, "agent_id", None):
            print("hint: `memanto-client agents` lists the agents; `ingest ... --create` creates one", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
