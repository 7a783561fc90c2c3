"""The synchronous :class:`Session`: one agent's session token and the memory calls.

Every network call releases the GIL while it waits, so other Python threads keep running,
and Ctrl-C abandons a call within about 50 ms."""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence, TypeVar

from . import _native
from ._curation import _CurationCalls
from ._network import check_text, make_coroutine_functions, network
from ._params import limit_param, str_list, time_param, type_name
from ._types import (
    Answer,
    BatchRememberResult,
    MemoryOperation,
    TemporalResult,
    UploadResult,
    RecallResult,
    RememberResult,
    ServerInfo,
    SessionClaims,
    SessionInfo,
    SessionRecord,
    SessionSummary,
)
from .exceptions import ValidationError

__all__ = ["Session", "AsyncSession"]

T = TypeVar("T")

#: The session lifetime a 0.2.x server gives every activation.
_SERVER_HOURS: int = _native.LIMITS["default_session_hours"]


class _SessionBase(_CurationCalls):
    """An active session of one agent: it holds the session token (in memory only, never in
    ``repr``) and makes the memory calls, each sent with ``X-Session-Token``.

    Obtain one with ``agent.activate()`` or ``client.session_from_token(token)``. The client
    speaks the connected server's generation (0.0.x or 0.2.x); a call that generation lacks
    raises :class:`UnsupportedOperationError` before anything is sent.
    """

    def __init__(self, client: Any, native: Any, *, record: SessionRecord | None, owned: bool) -> None:
        self._client = client
        self._native = native
        self._owned = owned
        #: The session as activate/extend last described it (no token); None when built from a token.
        self.record = record

    # --- identity and expiry -------------------------------------------------------------

    @property
    def agent_id(self) -> str:
        return str(self._native.agent_id)

    @property
    def claims(self) -> SessionClaims:
        """The current token's decoded claims. Raises :class:`SessionTokenMissingError` after
        deactivate/close."""
        return SessionClaims._parse(self._native.claims())

    @property
    def session_id(self) -> str | None:
        return self.claims.session_id

    @property
    def expires_at(self) -> datetime:
        """When the current token expires (aware, UTC)."""
        return self.claims.expires_at

    @property
    def time_remaining(self) -> timedelta:
        """Time until the token expires by this machine's clock (zero once expired)."""
        return self.claims.time_remaining

    @property
    def is_expired(self) -> bool:
        return self.claims.is_expired

    @property
    def is_active(self) -> bool:
        """True while the session holds a token (until deactivate/close)."""
        return bool(self._native.has_token)

    @property
    def server(self) -> ServerInfo | None:
        """The server generation and version this session's client speaks to (see
        ``Client.server``)."""
        found: ServerInfo | None = self._client.server
        return found

    @property
    def session_token(self) -> str:
        """The session token itself: a secret. Do not print or log it."""
        return str(self._native.token())

    def __repr__(self) -> str:
        if not self.is_active:
            return f"{type(self).__name__}(agent_id={self.agent_id!r}, active=False)"
        c = self.claims
        return (
            f"{type(self).__name__}(agent_id={self.agent_id!r}, session_id={c.session_id!r}, "
            f"expires_at={c.expires_at.isoformat()!r}, active=True)"
        )

    def _keep_record(self, data: Mapping[str, Any]) -> SessionRecord:
        self.record = SessionRecord._parse(data)
        return self.record

    def _finish(self, raw: Any, parse: Any, **overrides: Any) -> Any:
        """The result of a native call: ``raw`` (a ``_native.Reply`` when sync, a
        ``_native.Pending`` awaitable when async) built as ``parse``: a result class's
        ``_builder`` (built in Rust, ``overrides`` for its fields) or a callable given the JSON."""
        return raw.then(parse, overrides or None)

    # --- session management --------------------------------------------------------------

    @network
    def current(self) -> SessionInfo:
        """The server's view of this session: ``GET /api/v2/session/current`` (0.0.x), or
        ``GET /api/v2/status`` (0.2.x) when that reports this session; otherwise (``/status``
        describes the server's most recent session of any agent) this session as its token
        says, with ``extra["reported_by"] == "token"``."""
        return self._finish(self._native.current(), SessionInfo._builder)

    @network
    def extend(self, hours: int = 6) -> SessionRecord:
        """Lengthen the session and adopt the new token. 0.0.x: by ``hours`` (whole hours, > 0)
        via ``POST /api/v2/session/extend``. 0.2.x has no extend endpoint: the agent is
        activated again (``POST /api/v2/agents/{agent_id}/activate``), which gives the server's
        default lifetime (6 h) whatever ``hours`` says; the record's ``expires_at`` is the new
        expiry and ``extra["renewed_by"] == "activate"``.

        Raises:
            ValidationError: ``hours`` is not a positive integer.
            SessionExpiredError: too late on 0.0.x; activate again instead.
        """
        if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
            raise ValidationError(f"hours must be a positive whole number, got {hours!r}")

        def keep(data: Mapping[str, Any]) -> SessionRecord:
            record = self._keep_record(data)
            if record.extra.get("renewed_by") == "activate" and hours != _SERVER_HOURS:
                warnings.warn(
                    f"extend(hours={hours}): 0.2.x servers have no extend, so the session was renewed "
                    f"by activating again, for the server's lifetime ({_SERVER_HOURS} h from now), "
                    f"not by {hours} h; it now expires at {record.expires_at}",
                    UserWarning,
                    stacklevel=4,
                )
            return record

        return self._finish(self._native.extend(hours), keep)

    @network
    def deactivate(self) -> SessionSummary:
        """End the session (``POST /api/v2/agents/{agent_id}/deactivate``). The token is forgotten
        first: later memory calls raise :class:`SessionTokenMissingError`."""
        return self._finish(self._native.deactivate(), SessionSummary._builder)

    # --- memory calls --------------------------------------------------------------------

    @network
    def remember(
        self,
        content: str,
        *,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: str | Sequence[str] | None = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> RememberResult:
        """Store one memory (``POST /api/v2/agents/{agent_id}/remember``).

        Args:
            content: 1 to 10,000 characters.
            type: one of ``fact`` (server default), ``preference``, ``goal``, ``decision``,
                ``artifact``, ``learning``, ``event``, ``instruction``, ``relationship``,
                ``context``, ``observation``, ``commitment``, ``error``.
            title: up to 100 characters (default: the start of the content).
            confidence: 0.0 to 1.0 (server default 0.8).
            tags: a string or list of strings (no commas).
            source: free text (server default ``"agent"``).
            provenance: ``explicit_statement`` (default), ``inferred``, ``corrected``,
                ``validated``, ``observed`` or ``imported``.

        Raises:
            ValidationError: any argument out of range (before sending).
            SessionExpiredError, InvalidSessionTokenError, SessionTokenMissingError.
        """
        if not isinstance(content, str):
            raise ValidationError(f"content must be a string, got {type_name(content)}")
        result = self._native.remember(
            content, type, title, confidence, str_list("tags", tags), source, provenance
        )
        return self._finish(result, RememberResult._builder)

    @network
    def batch_remember(self, memories: Iterable[str | Mapping[str, Any]]) -> BatchRememberResult:
        """Store 1 to 100 memories in one request (``POST /api/v2/agents/{agent_id}/batch-remember``).

        Args:
            memories: strings (content only) or dicts with ``content`` and optionally ``type``,
                ``title``, ``confidence``, ``tags`` (list of str), ``source``, ``provenance``.

        Returns:
            Per-memory results in the order sent (``result.memory_ids``).

        Raises:
            ValidationError: an empty or oversize batch, or a bad item (named by its index),
            before anything is sent.
        """
        if isinstance(memories, (str, bytes, Mapping)):
            raise ValidationError("memories must be a list of strings or dicts, not a single string or dict")
        items = [{"content": m} if isinstance(m, str) else dict(m) if isinstance(m, Mapping) else m for m in memories]
        for i, item in enumerate(items):
            check_text(f"memories[{i}]", item)
        return self._finish(self._native.batch_remember(items), BatchRememberResult._builder)

    @network
    def recall(
        self,
        query: str,
        *,
        limit: int | None = None,
        min_similarity: float | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
        status: str | None = None,
    ) -> RecallResult:
        """Search the agent's memories (0.0.x ``GET``, 0.2.x ``POST /api/v2/agents/{agent_id}/recall``).

        Args:
            query: 1 to 1,000 characters.
            limit: 1 to 100 (server default 10).
            min_similarity: 0.0 to 1.0; drop weaker matches.
            created_after / created_before: aware ``datetime`` (sent in UTC) or ISO-8601 string.
            types: memory type(s) to keep.
            tags: keep memories carrying all of these tags (LocalServer and newer servers).
            status: ``"all"`` (default), ``"active"`` or ``"expired"`` (0.2.x; memories of
                0.0.x servers do not expire, so only ``"all"`` works there).

        Returns:
            A :class:`RecallResult`, a sequence of :class:`Memory` with ``score``, best first.

        Raises:
            ValidationError: arguments out of range or a naive datetime (before sending).
            SessionExpiredError, InvalidSessionTokenError, SessionTokenMissingError,
            PermissionDeniedError.
        """
        data = self._native.recall(
            query,
            limit_param(limit),
            min_similarity,
            time_param("created_after", created_after),
            time_param("created_before", created_before),
            str_list("types", types),
            str_list("tags", tags),
            status,
        )
        return self._finish(data, RecallResult._builder, limit=limit)

    @network
    def answer(
        self,
        question: str,
        *,
        limit: int | None = None,
        threshold: float | None = None,
        temperature: float | None = None,
        ai_model: str | None = None,
        kiosk_mode: bool | None = None,
        header_prompt: str | None = None,
        footer_prompt: str | None = None,
    ) -> Answer:
        """Answer a question from the agent's memories (``POST /api/v2/agents/{agent_id}/answer``).

        Args:
            question: 1 to 1,000 characters.
            limit: memories to draw on, 1 to 100 (server default 15).
            threshold: minimum similarity 0.0 to 1.0 (server default 0.01).
            temperature: 0.0 to 1.0 (for servers that use a language model).
            ai_model: model name (sent as ``aiModel``).
            kiosk_mode: restrict the answer to memories above ``threshold``.
            header_prompt / footer_prompt: text placed around the prompt (0.0.8 servers).

        Returns:
            An :class:`Answer` with ``answer`` (text) and ``sources`` (memories).
        """
        data = self._native.answer(
            question, limit_param(limit), threshold, temperature, ai_model, kiosk_mode, header_prompt, footer_prompt
        )
        return self._finish(data, Answer._builder)

    # --- temporal queries ----------------------------------------------------------------

    @network
    def recall_as_of(
        self,
        query: str | None = None,
        as_of: datetime | str | None = None,
        *,
        limit: int | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
    ) -> TemporalResult:
        """The memories as they were at ``as_of``: those created by then and not yet superseded
        or expired at that time. 0.0.x: ``GET /api/v2/agents/{agent_id}/recall/as-of``, a text
        search that needs ``query``. 0.2.x: ``POST …/recall/as-of``, which takes no query (it
        lists what was valid then; a ``query`` given is not sent).

        Args:
            query: 1 to 1,000 characters (required on 0.0.x servers).
            as_of: an aware ``datetime`` (sent in UTC) or an ISO-8601 string (no offset = UTC;
                a bare date means midnight UTC on 0.0.8 servers, the end of that day on 0.2.x
                servers and the LocalServer).
            limit: 1 to 100 (server default 10). types / tags: as in :meth:`recall`.

        Returns:
            A :class:`TemporalResult` (``temporal_mode == "as_of"``, ``as_of_date``).

        Raises:
            ValidationError: bad arguments, a naive datetime or an unparsable time, or no query
            on a 0.0.x server (before sending).
        """
        data = self._native.recall_as_of(
            query, time_param("as_of", as_of, required=True), limit_param(limit), str_list("types", types), str_list("tags", tags)
        )
        return self._finish(data, TemporalResult._builder, limit=limit)

    @network
    def recall_changed_since(
        self,
        since: datetime | str,
        *,
        limit: int | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
        status: str | None = None,
    ) -> TemporalResult:
        """Memories created or changed after ``since``, newest change first
        (0.0.x ``GET``, 0.2.x ``POST /api/v2/agents/{agent_id}/recall/changed-since``). Each
        memory's ``change_type`` is ``"created"`` or ``"updated"``.

        Args:
            since: an aware ``datetime`` or an ISO-8601 string (no offset = UTC).
            limit: 1 to 100 (server default 10). types / tags: as in :meth:`recall`.
            status: ``"all"``, ``"active"`` or ``"expired"`` (0.2.x).

        Raises:
            ValidationError: bad arguments (before sending).
        """
        data = self._native.recall_changed_since(
            time_param("since", since, required=True), limit_param(limit), str_list("types", types),
            str_list("tags", tags), status,
        )
        return self._finish(data, TemporalResult._builder, limit=limit)

    @network
    def recall_recent(
        self,
        *,
        limit: int | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
        status: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> TemporalResult:
        """The newest memories, newest first (``POST /api/v2/agents/{agent_id}/recall/recent``, 0.2.x).

        Args:
            limit: 1 to 100 (server default 10).
            types: memory type(s) to keep. tags: keep memories with any of these tags.
            status: ``"all"`` (default), ``"active"`` or ``"expired"``.
            created_after / created_before: a creation window (aware ``datetime`` or ISO-8601;
                a bare date is the start / end of that day).

        Returns:
            A :class:`TemporalResult` (``total_available`` = matches before the limit).

        Raises:
            ValidationError: bad arguments (before sending).
            UnsupportedOperationError: a 0.0.x server (use :meth:`recall_changed_since`).
        """
        return self._listing(False, limit_param(limit), types, tags, status, created_after, created_before)

    @network
    def recall_all(
        self,
        *,
        limit: int | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
        status: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
    ) -> TemporalResult:
        """Every memory, newest first (``POST /api/v2/agents/{agent_id}/recall/all``, 0.2.x):
        as :meth:`recall_recent`, but ``limit`` is not capped at 100 (server default 5000).

        Raises:
            ValidationError: bad arguments (before sending). UnsupportedOperationError: 0.0.x.
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValidationError(f"limit must be an integer >= 1, got {limit!r}")
        return self._listing(True, limit, types, tags, status, created_after, created_before)

    def _listing(self, every: bool, limit: int | None, types: str | Sequence[str] | None,
                 tags: str | Sequence[str] | None, status: str | None,
                 created_after: datetime | str | None, created_before: datetime | str | None) -> Any:
        """``recall/recent`` (or, with ``every``, ``recall/all``), arguments checked."""
        data = self._native.recall_recent(
            every, limit, str_list("types", types), str_list("tags", tags), status,
            time_param("created_after", created_after), time_param("created_before", created_before),
        )
        return self._finish(data, TemporalResult._builder, limit=limit)

    @network
    def recall_current(
        self,
        query: str,
        *,
        limit: int | None = None,
        types: str | Sequence[str] | None = None,
        tags: str | Sequence[str] | None = None,
    ) -> TemporalResult:
        """Search only what is currently true. 0.0.x: ``GET /api/v2/agents/{agent_id}/recall/current``
        (superseded memories are left out; contradicted ones stay, flagged with
        ``extra["_warning"] == "contradicted"``; highest confidence first). 0.2.x has no such
        route: this is ``recall(query, status="active")`` (expired memories left out).

        Raises:
            ValidationError: bad arguments (before sending).
        """
        data = self._native.recall_current(query, limit_param(limit), str_list("types", types), str_list("tags", tags))
        return self._finish(data, TemporalResult._builder, limit=limit)

    # --- memory management ---------------------------------------------------------------

    @network
    def validate(self, memory_id: str) -> MemoryOperation:
        """Record that a memory was confirmed (``POST /api/v2/agents/{agent_id}/validate/{memory_id}``,
        0.0.x only): its ``validation_count`` goes up by one.

        Raises:
            UnsupportedOperationError: a 0.2.x server (removed there; use :meth:`update`).
            NotFoundError: unknown memory id (LocalServer; 0.0.8 answers 500, a ServerError).
        """
        return self._finish(self._native.validate_memory(memory_id), MemoryOperation._builder)

    @network
    def supersede(
        self,
        old_memory_id: str,
        content: str | None = None,
        *,
        new_memory_id: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: str | Sequence[str] | None = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation:
        """Replace a memory by a newer one (``POST /api/v2/agents/{agent_id}/supersede/{old_memory_id}``,
        0.0.x only; on 0.2.x raises :class:`UnsupportedOperationError`: remember the new memory
        and :meth:`expire` the old one).

        Give either ``content`` (and optionally the other fields of :meth:`remember`): the new
        memory is stored in the same call; or ``new_memory_id``: an existing memory (the 0.0.8
        form). The old memory then drops out of :meth:`recall_current` and of
        :meth:`recall_as_of` for times after the supersede.

        Returns:
            A :class:`MemoryOperation` with ``old_memory_id``, ``new_memory_id`` and ``superseded_at``.

        Raises:
            ValidationError: neither or both of ``content`` and ``new_memory_id``, or bad fields.
            NotFoundError: unknown memory id. ConflictError: already superseded.
        """
        if (content is None) == (new_memory_id is None):
            raise ValidationError("give exactly one of content=... (a new memory) or new_memory_id=... (an existing one)")
        if new_memory_id is not None:
            if any(v is not None for v in (type, title, confidence, tags, source, provenance)):
                raise ValidationError("type/title/confidence/tags/source/provenance apply only with content=...")
            new: Any = new_memory_id
        else:
            new = {k: v for k, v in {"content": content, "type": type, "title": title, "confidence": confidence,
                                     "tags": str_list("tags", tags) if tags is not None else None,
                                     "source": source, "provenance": provenance}.items() if v is not None}
        return self._finish(self._native.supersede(old_memory_id, new), MemoryOperation._builder)

    @network
    def contradict(self, memory_id: str, *, reason: str | None = None,
                   contradicting_memory_id: str | None = None) -> MemoryOperation:
        """Flag a memory as contradicted (``POST /api/v2/agents/{agent_id}/contradict/{memory_id}``,
        0.0.x only; on 0.2.x raises :class:`UnsupportedOperationError`: use :meth:`expire` or
        :meth:`conflicts`). It stays in :meth:`recall_current`, marked with a warning.

        Raises:
            NotFoundError: unknown memory id.
        """
        return self._finish(self._native.contradict(memory_id, reason, contradicting_memory_id), MemoryOperation._builder)

    @network
    def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: str | Sequence[str] | None = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation:
        """Change fields of a memory in place, keeping its id: 0.2.x
        ``PATCH /api/v2/agents/{agent_id}/memories/{memory_id}``; 0.0.x
        ``PATCH /api/v1/memory/{memory_id}`` (its internal router, by the agent's namespace).
        ``provenance`` can be changed on 0.0.x and the LocalServer only.

        Returns:
            A :class:`MemoryOperation` whose ``updated_fields`` lists what changed.

        Raises:
            ValidationError: no field given, or a bad value (before sending).
            NotFoundError: unknown memory id.
        """
        result = self._native.update_memory(
            memory_id, content, type, title, confidence,
            str_list("tags", tags) if tags is not None else None, source, provenance,
        )
        return self._finish(result, MemoryOperation._builder)

    @network
    def delete(self, memory_id: str) -> MemoryOperation:
        """Delete a memory permanently: 0.2.x ``DELETE /api/v2/agents/{agent_id}/memories/{memory_id}``;
        0.0.x ``DELETE /api/v1/memory/{memory_id}``. No later recall of any kind returns it.

        Raises:
            NotFoundError: unknown memory id.
        """
        return self._finish(self._native.delete_memory(memory_id), MemoryOperation._builder)

    @network
    def upload_file(self, path: str | os.PathLike[str]) -> UploadResult:
        """Upload a document to be split into memories
        (``POST /api/v2/agents/{agent_id}/upload-file``, multipart field ``file``).

        Args:
            path: a ``.txt``, ``.md``, ``.json`` or ``.csv`` file (``.pdf``, ``.docx`` and
                ``.xlsx`` are accepted by Memanto cloud servers; the LocalServer refuses them
                with a :class:`ValidationError` saying so).

        Returns:
            An :class:`UploadResult` (``memories_created``, ``memory_ids`` on the LocalServer).

        Raises:
            ValidationError: an unsupported extension or unreadable file (before sending).
        """
        return self._finish(self._native.upload_file(os.fspath(path)), UploadResult._builder)


class Session(_SessionBase):
    __doc__ = _SessionBase.__doc__

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Deactivate if this session was activated here and is still active (when several
        ``activate()`` handles share the agent's session, the last one to close deactivates);
        otherwise just forget the token. Errors from the server are ignored (the token is
        forgotten anyway)."""
        if not self.is_active:
            return
        if self._owned:
            try:
                self._native.close()
            except Exception:
                self._native.forget()
        else:
            self._native.forget()


class AsyncSession(_SessionBase):
    """The asyncio twin of :class:`Session`: the same properties, and every network call is a
    coroutine (``await session.recall(...)``). ``async with agent.activate() as session:``
    deactivates on exit. Cancelling an awaiting task drops the request."""

    async def __aenter__(self) -> "AsyncSession":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Deactivate if this session was activated here and is still active (when several
        ``activate()`` handles share the agent's session, the last one to close deactivates);
        otherwise just forget the token. Errors from the server are ignored (the token is
        forgotten anyway)."""
        if not self.is_active:
            return
        if self._owned:
            try:
                await self._native.close()
            except Exception:
                self._native.forget()
        else:
            self._native.forget()


make_coroutine_functions(AsyncSession, _SessionBase, _CurationCalls)

