"""``memanto-local``: run the LocalServer as a command.

    memanto-local serve [--db FILE] [--host 127.0.0.1] [--port 8000] [--session-hours H]
                        [--api-version 0.0|0.2]
    memanto-local show-key --db FILE

The API key is read from ``--api-key-env`` (default ``MOORCHEH_API_KEY``) when that variable
is set; otherwise the key stored in the database is used (a new one is made on first start).
The key is never printed by ``serve``; ``show-key`` prints it on request (on stdout; where it
is stored goes to stderr), also while a server runs on the file. The database file (and its
``-wal``, ``-shm`` and ``.lock`` files) is owner-only (0600). One server per database file: a
second ``serve`` on a file in use exits with status 1 and says so.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys

from . import _native


class _Terminated(Exception):
    """Raised by the SIGTERM handler of ``serve``."""


def _terminate(_signum: int, _frame: object) -> None:
    raise _Terminated


def _install_stop_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop ``serve``, even when SIGINT was ignored by whoever
    started it (a background job, ``nohup``, some CI runners): Python then leaves SIGINT
    ignored, so the default handler is put back here."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)


def _mode_note(db_path: str) -> str:
    try:
        mode = stat.S_IMODE(os.stat(db_path).st_mode)
    except OSError:
        return ""
    if mode & 0o077:
        return f" (file mode {mode:o}: others can read it; chmod 600 {db_path})"
    return f" (file mode {mode:o}, owner-only)"


_GENERATIONS = {None: "0.0.8 and 0.2.30 (both)", "0.0": "Memanto 0.0.8", "0.2": "Memanto 0.2.30"}


def _serve(args: argparse.Namespace) -> int:
    api_key = os.environ.get(args.api_key_env) or None
    seconds = args.session_hours * 3600.0 if args.session_hours else None

    def ready(url: str, _key: str, db_path: str) -> None:
        if api_key:
            source = f"${args.api_key_env}"
        else:
            source = f"stored in {db_path}{_mode_note(db_path)}; memanto-local show-key --db {db_path}"
        print(f"Memanto LocalServer listening on {url}", flush=True)
        print(f"  database: {db_path}", flush=True)
        print(f"  API key:  {source}", flush=True)
        print(f"  imitates: {_GENERATIONS[args.api_version]}", flush=True)
        print("  Ctrl-C (or SIGTERM) to stop.", flush=True)

    _install_stop_signals()
    try:
        _native.serve_forever(args.db, args.host, args.port, api_key, seconds, ready, args.api_version)
    except (KeyboardInterrupt, _Terminated):
        print("stopped", flush=True)
    except OSError as e:
        print(f"memanto-local: {e}", file=sys.stderr, flush=True)
        return 1
    return 0


def _show_key(args: argparse.Namespace) -> int:
    if not os.path.exists(args.db):
        print(f"no database at {args.db}", file=sys.stderr)
        return 1
    try:
        key = _native.stored_api_key(args.db)
    except OSError as e:
        print(f"memanto-local: {e}", file=sys.stderr)
        return 1
    if key is None:
        print(f"no API key is stored in {args.db}: its server takes the key from the environment "
              "(--api-key-env, default MOORCHEH_API_KEY)", file=sys.stderr)
        return 1
    print(key)
    print(f"The key is stored in the database {os.path.abspath(args.db)}{_mode_note(args.db)}; "
          "anyone who can read that file can use the server.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="memanto-local", description="Run the embedded Memanto LocalServer.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the Memanto API on loopback until Ctrl-C or SIGTERM")
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
