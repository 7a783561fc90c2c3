"""``memanto-local``: run the LocalServer as a command.

    memanto-local serve [--db FILE] [--host 127.0.0.1] [--port 8000] [--session-hours H]
                        [--api-version 0.0|0.2]
    memanto-local show-key --db FILE

The API key is read from ``--api-key-env`` (default ``MOORCHEH_API_KEY``) when that variable
is set; otherwise the key stored in the database is used (a new one is made on first start).
The key is never printed by ``serve``; ``show-key`` prints it on request.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import _native


_GENERATIONS = {None: "0.0.8 and 0.2.30 (both)", "0.0": "Memanto 0.0.8", "0.2": "Memanto 0.2.30"}


def _serve(args: argparse.Namespace) -> int:
    api_key = os.environ.get(args.api_key_env) or None
    seconds = args.session_hours * 3600.0 if args.session_hours else None

    def ready(url: str, _key: str, db_path: str) -> None:
        source = f"${args.api_key_env}" if api_key else f"stored in {db_path} (memanto-local show-key --db {db_path})"
        print(f"Memanto LocalServer listening on {url}", flush=True)
        print(f"  database: {db_path}", flush=True)
        print(f"  API key:  {source}", flush=True)
        print(f"  imitates: {_GENERATIONS[args.api_version]}", flush=True)
        print("  Ctrl-C to stop.", flush=True)

    try:
        _native.serve_forever(args.db, args.host, args.port, api_key, seconds, ready, args.api_version)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


def _show_key(args: argparse.Namespace) -> int:
    if not os.path.exists(args.db):
        print(f"no database at {args.db}", file=sys.stderr)
        return 1
    server = _native.NativeServer(args.db, "127.0.0.1", 0, None, None)
    try:
        print(server.api_key)
    finally:
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="memanto-local", description="Run the embedded Memanto LocalServer.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the Memanto API on loopback until Ctrl-C")
    serve.add_argument("--db", default="memanto-local.db", help="SQLite file (created if missing)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--session-hours", type=float, default=None, help="session lifetime (default 6)")
    serve.add_argument(
        "--api-version",
        choices=["0.0", "0.2"],
        default=None,
        help="imitate only this server generation (default: serve both)",
    )
    serve.add_argument("--api-key-env", default="MOORCHEH_API_KEY", help="environment variable holding the key")
    serve.set_defaults(func=_serve)
    show = sub.add_parser("show-key", help="print the API key stored in a database")
    show.add_argument("--db", required=True)
    show.set_defaults(func=_show_key)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
