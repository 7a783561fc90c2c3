"""The synchronous API: :class:`Client`, :class:`Agents`, :class:`Agent`, :class:`Session`.

Every network call releases the GIL while it waits, so other Python threads keep running,
and Ctrl-C abandons a call within about 50 ms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

from . import _native
from ._types import (
    AgentInfo,
    Answer,
    BatchRememberResult,
    Health,
    RecallResult,
    RememberResult,
    SessionClaims,
    SessionInfo,
    SessionRecord,
    SessionSummary,
)
from .exceptions import ValidationError

__all__ = ["Client", "Agents", "Agent", "Session", "DEFAULT_TIMEOUT"]

#: Total seconds allowed per request unless ``timeout=`` says otherwise.
DEFAULT_TIMEOUT = 60.0
#: Seconds allowed to open a connection.
DEFAULT_CONNECT_TIMEOUT = 10.0


def _time_param(name: str, value: datetime | str | None) -> str | None:
    """An aware datetime (converted to UTC) or an ISO-8601 string; naive datetimes are refused
    rather than silently relabelled."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{name} is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc) "
                "or dt.replace(tzinfo=timezone.utc)"
            )
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    raise ValidationError(f"{name} must be a datetime or an ISO-8601 string, got {type(value).__name__}")


def _str_list(name: str, value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = list(value)
    if not all(isinstance(v, str) for v in items):
        raise ValidationError(f"{name} must be a string or a list of strings")
    return items


class Client:
    """A client for a Memanto server (``/api/v2``).

    Args:
        api_key: the Moorcheh API key, sent as ``Authorization: Bearer <key>`` on every request.
            Default: the ``MOORCHEH_API_KEY`` environment variable (if neither is set, no
            header is sent and servers that need one answer :class:`AuthenticationError`).
        base_url: the server, e.g. ``"http://localhost:8000"``. Default: ``MEMANTO_BASE_URL``,
            else ``http://localhost:8000``.
        timeout: total seconds allowed per request (default 60). ``None`` means no limit.
        connect_timeout: seconds allowed to open a connection (default 10).

    Raises:
        ValidationError: a malformed ``base_url``, key or timeout.

    The client holds one connection pool and is safe to share between threads. Its ``repr``
    never shows the key.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self._native = _native.NativeClient(api_key, base_url, timeout, connect_timeout)
        self.agents = Agents(self)

    @property
    def base_url(self) -> str:
        """The server's base URL (without ``/api/v2``)."""
        return str(self._native.base_url)

    @property
    def timeout(self) -> float | None:
        """Total seconds per request, or ``None`` for no limit."""
        return self._native.timeout  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        key = "set" if self._native.has_api_key else "not set"
        return f"Client(base_url={self.base_url!r}, api_key={key})"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the client. (Connections are pooled and closed when it is garbage-collected.)"""

    def health(self) -> Health:
        """``GET /health``: the server's status. Raises :class:`AuthenticationError` when the
        server needs a key it did not get."""
        return Health._from(self._native.health())

    def server_info(self) -> dict[str, Any]:
        """``GET /``: service name and ``version`` (tells server generations apart)."""
        return dict(self._native.server_info())

    def session_from_token(self, session_token: str, *, agent_id: str | None = None) -> "Session":
        """Wrap a session token obtained elsewhere (no request is sent). The agent id is read
        from the token's claims unless given.

        The claims are read without verifying the signature, so an explicit ``agent_id`` wins;
        if the token belongs to another agent the server refuses the first call with
        :class:`PermissionDeniedError`.

        Raises:
            InvalidSessionTokenError: the token is malformed.
        """
        native = self._native.session_from_token(session_token, agent_id)
        return Session(self, native, record=None, owned=False)


class Agents:
    """Agent management: ``client.agents.create/list/get/delete``. Needs only the API key."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        agent_id: str,
        *,
        pattern: str | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> "Agent":
        """Create an agent (``POST /api/v2/agents``).

        Args:
            agent_id: letters, digits, ``_`` and ``-`` only.
            pattern: ``"support"`` (server default), ``"project"`` or ``"tool"``.
            description: free text.
            metadata: a JSON-serialisable dict.

        Raises:
            ValidationError: bad ``agent_id`` or ``pattern`` (before sending).
            ConflictError: an agent with this id exists.
        """
        data = self._client._native.create_agent(agent_id, pattern, description, dict(metadata) if metadata else None)
        return Agent(self._client, AgentInfo._from(data))

    def list(self) -> list["Agent"]:
        """All agents, newest first (``GET /api/v2/agents``)."""
        data = self._client._native.list_agents()
        return [Agent(self._client, AgentInfo._from(a)) for a in data.get("agents", [])]

    def get(self, agent_id: str) -> "Agent":
        """One agent (``GET /api/v2/agents/{agent_id}``). Raises :class:`NotFoundError`."""
        return Agent(self._client, AgentInfo._from(self._client._native.get_agent(agent_id)))

    def get_or_create(self, agent_id: str, **create_args: Any) -> "Agent":
        """The agent if it exists, else a new one created with ``create_args``."""
        from .exceptions import NotFoundError

        try:
            return self.get(agent_id)
        except NotFoundError:
            return self.create(agent_id, **create_args)

    def delete(self, agent_id: str) -> None:
        """Delete an agent (``DELETE /api/v2/agents/{agent_id}``). Raises :class:`NotFoundError`."""
        self._client._native.delete_agent(agent_id)


class Agent:
    """An agent on the server. Its fields are those of :class:`AgentInfo` at the time it was
    fetched (``refresh()`` reads them again)."""

    def __init__(self, client: Client, info: AgentInfo) -> None:
        self._client = client
        self.info = info

    @property
    def agent_id(self) -> str:
        return self.info.agent_id

    def __getattr__(self, name: str) -> Any:
        # pattern, description, namespace, created_at, memory_count, ... from AgentInfo
        if name.startswith("_") or name == "info":
            raise AttributeError(name)
        return getattr(self.info, name)

    def __repr__(self) -> str:
        return f"Agent(agent_id={self.agent_id!r}, pattern={self.info.pattern!r})"

    def refresh(self) -> "Agent":
        """Fetch the agent again (``GET /api/v2/agents/{agent_id}``)."""
        self.info = self._client.agents.get(self.agent_id).info
        return self

    def activate(self, *, duration_hours: float | None = None) -> "Session":
        """Start a session (``POST /api/v2/agents/{agent_id}/activate``).

        Args:
            duration_hours: the session's lifetime; the server default (6 h) when None.

        Returns:
            A :class:`Session` holding the session token. Use it as a context manager
            (``with agent.activate() as session:``) to deactivate on exit.

        Raises:
            NotFoundError: unknown agent. AuthenticationError: bad API key.
        """
        native, data = self._client._native.activate(self.agent_id, duration_hours)
        return Session(self._client, native, record=SessionRecord._parse(data), owned=True)

    def deactivate(self) -> SessionSummary:
        """End the agent's sessions on the server (``POST /api/v2/agents/{agent_id}/deactivate``)."""
        return SessionSummary._from(self._client._native.deactivate(self.agent_id))

    def delete(self) -> None:
        """Delete this agent (``DELETE /api/v2/agents/{agent_id}``)."""
        self._client.agents.delete(self.agent_id)


class Session:
    """An active session of one agent: it holds the session token (in memory only, never in
    ``repr``) and makes the memory calls, each sent with ``X-Session-Token``.

    Obtain one with ``agent.activate()`` or ``client.session_from_token(token)``.
    """

    def __init__(self, client: Client, native: Any, *, record: SessionRecord | None, owned: bool) -> None:
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
    def session_token(self) -> str:
        """The session token itself: a secret. Do not print or log it."""
        return str(self._native.token())

    def __repr__(self) -> str:
        if not self.is_active:
            return f"Session(agent_id={self.agent_id!r}, active=False)"
        c = self.claims
        return (
            f"Session(agent_id={self.agent_id!r}, session_id={c.session_id!r}, "
            f"expires_at={c.expires_at.isoformat()!r}, active=True)"
        )

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Deactivate if this session was activated here and is still active; otherwise just
        forget the token. Errors from the server are ignored (the token is forgotten anyway)."""
        if not self.is_active:
            return
        if self._owned:
            try:
                self.deactivate()
            except Exception:
                self._native.forget()
        else:
            self._native.forget()

    # --- session management --------------------------------------------------------------

    def current(self) -> SessionInfo:
        """The server's view of this session (``GET /api/v2/session/current``)."""
        return SessionInfo._from(self._native.current())

    def extend(self, hours: int = 6) -> SessionRecord:
        """Extend the session by ``hours`` (whole hours, > 0) via ``POST /api/v2/session/extend``,
        and adopt the token the server returns.

        Raises:
            ValidationError: ``hours`` is not a positive integer.
            SessionExpiredError: too late; activate again instead.
        """
        if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
            raise ValidationError(f"hours must be a positive whole number, got {hours!r}")
        record = SessionRecord._parse(self._native.extend(hours))
        self.record = record
        return record

    def deactivate(self) -> SessionSummary:
        """End the session (``POST /api/v2/agents/{agent_id}/deactivate``). The token is forgotten
        first: later memory calls raise :class:`SessionTokenMissingError`."""
        return SessionSummary._from(self._native.deactivate())

    # --- memory calls --------------------------------------------------------------------

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
            content, type, title, confidence, _str_list("tags", tags), source, provenance
        )
        return RememberResult._from(result)

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
        items = [{"content": m} if isinstance(m, str) else dict(m) for m in memories]
        return BatchRememberResult._parse(self._native.batch_remember(items))

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
    ) -> RecallResult:
        """Search the agent's memories (``GET /api/v2/agents/{agent_id}/recall``).

        Args:
            query: 1 to 1,000 characters.
            limit: 1 to 100 (server default 10).
            min_similarity: 0.0 to 1.0; drop weaker matches.
            created_after / created_before: aware ``datetime`` (sent in UTC) or ISO-8601 string.
            types: memory type(s) to keep.
            tags: keep memories carrying all of these tags (LocalServer and newer servers).

        Returns:
            A :class:`RecallResult`, a sequence of :class:`Memory` with ``score``, best first.

        Raises:
            ValidationError: arguments out of range or a naive datetime (before sending).
            SessionExpiredError, InvalidSessionTokenError, SessionTokenMissingError,
            PermissionDeniedError.
        """
        if isinstance(limit, bool):
            raise ValidationError("limit must be an integer")
        data = self._native.recall(
            query,
            limit,
            min_similarity,
            _time_param("created_after", created_after),
            _time_param("created_before", created_before),
            _str_list("types", types),
            _str_list("tags", tags),
        )
        return RecallResult._parse(data)

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
            question, limit, threshold, temperature, ai_model, kiosk_mode, header_prompt, footer_prompt
        )
        return Answer._parse(data)


def type_name(value: object) -> str:
    return type(value).__name__
