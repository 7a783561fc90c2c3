"""Where the MCP server keeps memories: a Memanto server at ``MEMANTO_BASE_URL``, or an
embedded :class:`~memanto_client.LocalServer` on a database file that outlives the process.

One :class:`~memanto_client.Session` per agent, activated on first use and reused; the SDK
extends it before it runs out and activates again when the server refuses it, so the MCP
server never handles a token itself.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import IO, Callable, TypeVar

from .. import Client, LocalServer, NotFoundError, Session, SessionError

__all__ = ["Backend", "DatabaseInUseError", "default_db_path"]

T = TypeVar("T")


def default_db_path() -> Path:
    """The per-user database file: ``%LOCALAPPDATA%`` on Windows, ``~/Library/Application
    Support`` on macOS, else ``$XDG_DATA_HOME`` (when absolute) or ``~/.local/share``; each
    followed by ``memanto-client/mcp.db``."""
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".local" / "share"
    return base / "memanto-client" / "mcp.db"


class DatabaseInUseError(RuntimeError):
    """Another process holds the database file's lock."""


class _FileLock:
    """An exclusive, non-blocking lock on ``<db>.mcp.lock`` for the life of the process.

    The LocalServer keeps a search index in memory, so two processes writing one database
    would each miss the other's new memories; the second MCP server is refused instead, with
    a hint for sharing one database. (Its own sidecar: a LocalServer that locks ``<db>.lock``
    itself is not in its way.)
    """

    def __init__(self, db: Path) -> None:
        path = db.with_name(db.name + ".mcp.lock")
        # Owner-only, like the database beside it.
        self._file: IO[bytes] | None = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600), "a+b")
        try:
            if sys.platform == "win32":
                import msvcrt

                self._file.seek(0)
                msvcrt.locking(self._file.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            self._file.close()
            self._file = None
            raise DatabaseInUseError(
                f"{db} is in use by another memanto-client mcp process. Give each MCP "
                "server its own --db, or share one database by running `memanto-local serve --db FILE` "
                "and pointing every MCP server at it with MEMANTO_BASE_URL and MOORCHEH_API_KEY."
            ) from e

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the lock on every platform
            self._file = None


class Backend:
    """The memory store behind the tools, and one session per agent."""

    def __init__(self, *, base_url: str | None, db_path: Path | None, default_agent: str,
                 timeout: float | None = 60.0) -> None:
        self.default_agent = default_agent
        self.local: LocalServer | None = None
        self._lock_file: _FileLock | None = None
        if base_url:
            # The key comes from MOORCHEH_API_KEY (read by the SDK); it is never printed.
            self.client = Client(base_url=base_url, timeout=timeout)
            self.description = f"Memanto server at {base_url}"
        else:
            path = (db_path or default_db_path()).expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = _FileLock(path)
            try:
                self.local = LocalServer(db_path=path)
            except BaseException:
                self._lock_file.release()
                raise
            self.client = self.local.client(timeout=timeout)
            self.description = f"embedded LocalServer, database {self.local.db_path}"
        self._sessions: dict[str, Session] = {}
        self._guard = threading.Lock()

    def session(self, agent_id: str | None) -> Session:
        """The agent's session, activating it (and creating the agent) on first use."""
        agent_id = agent_id or self.default_agent
        with self._guard:
            session = self._sessions.get(agent_id)
            if session is None or not session.is_active:
                session = self.client.agents.get_or_create(agent_id).activate()
                self._sessions[agent_id] = session
            return session

    def call(self, agent_id: str | None, op: Callable[[Session], T]) -> T:
        """``op(session)``. When the session or its agent is gone (deleted elsewhere, revoked,
        expired beyond what the SDK repairs) it is dropped, so the next call starts afresh."""
        session = self.session(agent_id)
        try:
            return op(session)
        except (SessionError, NotFoundError):
            self.forget(session.agent_id)
            raise

    def forget(self, agent_id: str) -> None:
        with self._guard:
            session = self._sessions.pop(agent_id, None)
        if session is not None:
            session.close()

    def close(self) -> None:
        """Deactivate the sessions and stop the embedded server (idempotent)."""
        with self._guard:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()
        self.client.close()
        if self.local is not None:
            self.local.stop()
            self.local = None
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None
