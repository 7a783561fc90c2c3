"""The embedded LocalServer: the Memanto API served from this process (Rust, SQLite)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from . import _native

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["LocalServer"]


class LocalServer:
    """An API-compatible Memanto server running inside this process, on loopback.

    It starts at construction and serves until :meth:`stop` (or the end of a ``with`` block).

    Args:
        db_path: the SQLite file. ``None`` (default): a temporary file, removed on stop.
            An existing file is reopened with everything in it (agents, memories, sessions).
        host: IP address to bind (default ``127.0.0.1``).
        port: TCP port; 0 (default) picks a free one.
        api_key: the key clients must send. ``None``: the key stored in ``db_path``, or a new
            random one (read it from :attr:`api_key`).
        session_duration: default session lifetime, as seconds or a ``timedelta``
            (default 6 hours). Tests use a few seconds to see tokens expire; note that
            sessions extend themselves (by 6 h) when less than ``refresh_margin`` (300 s)
            remains, so activate with ``auto_extend=False`` to watch one expire.
        api_version: which Memanto server generation to imitate. ``None`` (default): both at
            once (``GET /`` reports ``0.0.8`` and ``"generations": ["0.0", "0.2"]``; every
            0.0.x route plus the 0.2 routes that do not clash with one). ``"0.0"``: strictly
            0.0.8 (API.md). ``"0.2"``: strictly 0.2.30 (API-0.2.md): JSON-body recall, a
            management gate, one session per agent, tokens renewed through the
            ``X-Session-Token`` response header.
        renew_every_call: with ``api_version="0.2"``, every successful memory call renews the
            session, so each response carries a replacement token and the old one stops
            working (to test token adoption). Default ``False``: renew only when at most
            30 minutes are left, as the real server.
        trust_loopback: with ``api_version="0.2"``, loopback callers may use the management
            routes (agents, activate, deactivate, status) without a key, as the real server.
            ``False`` makes those routes require ``X-Api-Key`` or ``Authorization: Bearer``.

    Raises:
        ValidationError: (a ``ValueError``) for a bad ``api_version``, ``host``, ``api_key``
            or ``session_duration``.
        OSError: when the server cannot start (e.g. the port is taken).

    Attributes:
        url: e.g. ``"http://127.0.0.1:53817"``; pass as ``base_url``.
        api_key: the accepted key (a secret: it is not shown in ``repr``).
        db_path: the SQLite file in use.
        api_version: the generation imitated (``None``: both).

    One server per database file: the server holds an OS lock on ``<db_path>.lock`` until it
    stops (or its process dies). The database, which holds the API key and the token secret, is
    owner-only (0600), as are its ``-wal``, ``-shm`` and ``.lock`` files.

    Raises:
        OSError: the server could not start, e.g. ``db_path`` is in use by another LocalServer
            (in this process or another): stop that one, or use another file.

    Answers are extractive: built from recalled memories, with no language model.
    """

    def __init__(
        self,
        *,
        db_path: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        session_duration: float | timedelta | None = None,
        api_version: Literal["0.0", "0.2"] | None = None,
        renew_every_call: bool = False,
        trust_loopback: bool = True,
    ) -> None:
        seconds = session_duration.total_seconds() if isinstance(session_duration, timedelta) else session_duration
        self._native = _native.NativeServer(
            os.fspath(db_path) if db_path is not None else None,
            host,
            port,
            api_key,
            seconds,
            api_version,
            renew_every_call,
            trust_loopback,
        )
        self.api_version: Literal["0.0", "0.2"] | None = api_version
        self.url: str = self._native.url
        self.api_key: str = self._native.api_key
        self.db_path: str = self._native.db_path

    def client(self, **kwargs: Any) -> "Client":
        """A :class:`~memanto_client.Client` for this server (same arguments as ``Client``)."""
        from ._client import Client

        return Client(api_key=self.api_key, base_url=self.url, **kwargs)

    def stop(self) -> None:
        """Stop serving (idempotent). A temporary database is removed."""
        self._native.stop()

    close = stop

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer(url={self.url!r}, db_path={self.db_path!r}, api_version={self.api_version!r})"
