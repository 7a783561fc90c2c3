"""The synchronous client: :class:`Client`, :class:`Agents` and :class:`Agent`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Awaitable, Callable, Generator, Mapping, TypeVar

from . import _native
from ._network import check_json, check_text, make_coroutine_functions, network
from ._session import AsyncSession, Session
from ._types import AgentInfo, Health, ServerInfo, SessionInfo, SessionRecord, SessionSummary, json_object
from .exceptions import NotFoundError, ValidationError

__all__ = ["Client", "Agents", "Agent", "AsyncClient", "AsyncAgents", "AsyncAgent", "DEFAULT_TIMEOUT"]

T = TypeVar("T")

#: Total seconds allowed per request unless ``timeout=`` says otherwise.
DEFAULT_TIMEOUT = 60.0
#: Seconds allowed to open a connection.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Retries after the first attempt (connection errors, 408, 429, and 5xx on calls safe to repeat).
DEFAULT_MAX_RETRIES = 2
#: The longest Retry-After (seconds) the client obeys.
DEFAULT_MAX_RETRY_AFTER = 60.0
#: Connections in use at once; further calls wait their turn.
DEFAULT_MAX_CONNECTIONS = 64
#: Larger response bodies are refused rather than buffered.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: A session extends itself when less than this many seconds remain.
DEFAULT_REFRESH_MARGIN = 300.0


def _json_list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        from .exceptions import ServerError

        raise ServerError(f"The server sent an unexpected response: expected a JSON list, got {type(data).__name__}.")
    return data


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _ClientBase:
    """A client for a Memanto server (``/api/v2``).

    Args:
        api_key: the Moorcheh API key, sent as ``Authorization: Bearer <key>`` on every request.
            Default: the ``MOORCHEH_API_KEY`` environment variable (if neither is set, no
            header is sent and servers that need one answer :class:`AuthenticationError`).
        base_url: the server, e.g. ``"http://localhost:8000"``. Default: ``MEMANTO_BASE_URL``,
            else ``http://localhost:8000``.
        timeout: total seconds allowed per request (default 60). ``None`` means no limit.
        connect_timeout: seconds allowed to open a connection (default 10).
        max_retries: retries after the first attempt (default 2), with exponential backoff
            and jitter, obeying ``Retry-After`` (capped at 60 s). Connection failures, 408 and
            429 are retried for every call; 5xx and resets only for calls that are safe to
            repeat (reads, deletes, updates), never for writes such as remember or extend.
        max_retry_after: the longest ``Retry-After`` obeyed, in seconds (default 60); longer
            requests are cut to this.
        max_connections: connections in use at once (default 64); further calls queue.
        max_response_bytes: larger response bodies are refused (default 32 MiB).
        api_version: the Memanto server generation to speak: ``"auto"`` (default: found once
            from ``GET /``'s ``version``), ``"0.0"`` (the documented API: GET recall,
            ``/session/extend``) or ``"0.2"`` (current servers: POST recall, ``/status``,
            renewed tokens). Default: the ``MEMANTO_API_VERSION`` environment variable, else
            ``"auto"``. :attr:`server` tells what was found.

    Raises:
        ValidationError: a malformed ``base_url``, key or timeout.

    The client holds one connection pool and is safe to share between threads. Its ``repr``
    never shows the key.
    """

    _ASYNC: bool
    _AGENTS: type[Any]
    _SESSION: type[Any]
    _finish: Any

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        api_version: str | None = None,
    ) -> None:
        for name, value, low in (("max_retries", max_retries, 0), ("max_connections", max_connections, 1),
                                 ("max_response_bytes", max_response_bytes, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValidationError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, value in (("api_key", api_key), ("base_url", base_url), ("api_version", api_version)):
            check_text(name, value)
        _native.reset_log_cache()  # pick up the logging configuration as it is now
        self._native = _native.NativeClient(
            api_key, base_url, timeout, connect_timeout, max_retries, max_connections, max_response_bytes,
            max_retry_after, self._ASYNC, api_version,
        )
        self.agents = self._AGENTS(self)

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
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    def close(self) -> None:
        """Make every session made through this client forget its token (they raise
        :class:`SessionTokenMissingError` afterwards). Pooled connections close when the
        client is garbage-collected."""
        self._native.forget_sessions()

    @network
    def health(self) -> Health:
        """``GET /health``: the server's status. Raises :class:`AuthenticationError` when the
        server needs a key it did not get."""
        return self._finish(self._native.health(), Health._from)

    @network
    def server_info(self) -> dict[str, Any]:
        """``GET /``: service name and ``version`` (tells server generations apart)."""
        return self._finish(self._native.probe("/"), lambda d: dict(json_object(d, "server info")))

    @network
    def ready(self) -> bool:
        """``GET /ready``: True when the server says it is ready to serve (no key needed)."""
        return self._finish(self._native.probe("/ready"), lambda d: isinstance(d, dict) and d.get("status") == "ready")

    @network
    def live(self) -> bool:
        """``GET /live``: True when the server process answers as alive (no key needed)."""
        return self._finish(self._native.probe("/live"), lambda d: isinstance(d, dict) and d.get("status") == "alive")

    @property
    def server(self) -> ServerInfo | None:
        """The server generation and version the client speaks to, once known (after the first
        call, or at once when ``api_version`` pins it); ``None`` before. No request is sent:
        :meth:`detect_server` finds it."""
        found = self._native.server_cached()
        return ServerInfo._from(found) if found is not None else None

    @network
    def detect_server(self) -> ServerInfo:
        """Find the server's generation from ``GET /`` (once per client; later calls answer
        from memory). Raises :class:`APIConnectionError` when the server cannot be reached."""
        return self._finish(self._native.detect_server(), ServerInfo._from)

    @network
    def status(self) -> SessionInfo:
        """The server's most recently created session, of any agent (``GET /api/v2/status``,
        0.2.x; on 0.0.x raises :class:`UnsupportedOperationError`: use ``session.current()``).
        Raises :class:`NotFoundError` when no session is active."""
        return self._finish(self._native.status(), SessionInfo._from)

    @network
    def sessions(self) -> list[SessionRecord]:
        """The server's sessions, newest first (``GET /api/v2/sessions``, 0.0.x only; on 0.2.x
        raises :class:`UnsupportedOperationError`). Tokens are never included (a 0.0.8 server
        sends them in clear; they are dropped here)."""
        return self._finish(self._native.list_sessions(), lambda d: [SessionRecord._parse(s) for s in _json_list(d)])

    def session_from_token(
        self,
        session_token: str,
        *,
        agent_id: str | None = None,
        auto_extend: bool = True,
        refresh_margin: float | timedelta = DEFAULT_REFRESH_MARGIN,
        reactivate: bool = False,
    ) -> "Session":
        """Wrap a session token obtained elsewhere (no request is sent). The agent id is read
        from the token's claims unless given.

        The claims are read without verifying the signature, so an explicit ``agent_id`` wins;
        if the token belongs to another agent the server refuses the first call with
        :class:`PermissionDeniedError`. ``auto_extend``/``refresh_margin``/``reactivate`` as
        in :meth:`Agent.activate`, except that ``reactivate`` defaults to False here: the
        client did not start this session, so it does not start a new one on its own.

        Raises:
            InvalidSessionTokenError: the token is malformed.
        """
        check_text("session_token", session_token)
        check_text("agent_id", agent_id)
        native = self._native.session_from_token(
            session_token, agent_id, auto_extend, _seconds(refresh_margin), reactivate
        )
        return self._SESSION(self, native, record=None, owned=False)


class _AgentsBase:
    """Agent management: ``client.agents.create/list/get/delete``. Needs only the API key."""

    _AGENT: type[Any]

    def __init__(self, client: Any) -> None:
        self._client = client

    def _agent(self, data: Mapping[str, Any]) -> Any:
        return self._AGENT(self._client, AgentInfo._from(data))

    @network
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
        if metadata is not None:
            check_json("metadata", dict(metadata) if isinstance(metadata, Mapping) else metadata)
        data = self._client._native.create_agent(agent_id, pattern, description, dict(metadata) if metadata else None)
        return self._client._finish(data, self._agent)

    @network
    def list(self) -> list[Any]:
        """All agents, newest first (``GET /api/v2/agents``)."""
        data = self._client._native.list_agents()
        return self._client._finish(
            data, lambda d: [self._agent(a) for a in _json_list(json_object(d, "agent list").get("agents", []))]
        )

    @network
    def get(self, agent_id: str) -> "Agent":
        """One agent (``GET /api/v2/agents/{agent_id}``). Raises :class:`NotFoundError`."""
        return self._client._finish(self._client._native.get_agent(agent_id), self._agent)

    @network
    def delete(self, agent_id: str) -> None:
        """Delete an agent (``DELETE /api/v2/agents/{agent_id}``). Raises :class:`NotFoundError`."""
        return self._client._finish(self._client._native.delete_agent(agent_id), lambda _: None)


class _AgentBase:
    """An agent on the server. Its fields are those of :class:`AgentInfo` at the time it was
    fetched (``refresh()`` reads them again)."""

    def __init__(self, client: Any, info: AgentInfo) -> None:
        self._client = client
        self.info = info

    def _session(self, pending: Any) -> Any:
        native, data = pending
        return self._client._SESSION(self._client, native, record=SessionRecord._parse(data), owned=True)

    @property
    def agent_id(self) -> str:
        return self.info.agent_id

    def __getattr__(self, name: str) -> Any:
        # pattern, description, namespace, created_at, memory_count, ... from AgentInfo
        if name.startswith("_") or name == "info":
            raise AttributeError(name)
        return getattr(self.info, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(agent_id={self.agent_id!r}, pattern={self.info.pattern!r})"

    def activate(
        self,
        *,
        duration_hours: float | None = None,
        auto_extend: bool = True,
        refresh_margin: float | timedelta = DEFAULT_REFRESH_MARGIN,
        reactivate: bool = True,
    ) -> "Session":
        """Start a session (``POST /api/v2/agents/{agent_id}/activate``).

        Args:
            duration_hours: the session's lifetime; the server default (6 h) when None.
            auto_extend: before a memory call, extend the session once (by 6 hours) when
                less than ``refresh_margin`` (seconds or timedelta, default 300) remains by
                the server's clock. Concurrent callers share one extend request.
            reactivate: when the server rejects the token as expired or revoked, activate
                again once and retry the call once (a second rejection is raised).

        Returns:
            A :class:`Session` holding the session token. Use it as a context manager
            (``with agent.activate() as session:``) to deactivate on exit.

        Raises:
            NotFoundError: unknown agent. AuthenticationError: bad API key.
        """
        pending = self._client._native.activate(
            self.agent_id, duration_hours, auto_extend, _seconds(refresh_margin), reactivate
        )
        return self._client._finish(pending, self._session)

    @network
    def deactivate(self) -> SessionSummary:
        """End the agent's sessions on the server (``POST /api/v2/agents/{agent_id}/deactivate``)."""
        return self._client._finish(self._client._native.deactivate(self.agent_id), SessionSummary._from)

    @network
    def delete(self) -> Any:
        """Delete this agent (``DELETE /api/v2/agents/{agent_id}``). Sessions of this client for
        the agent forget their tokens."""
        return self._client.agents.delete(self.agent_id)


# --- the synchronous API ---------------------------------------------------------------------


class Agent(_AgentBase):
    __doc__ = _AgentBase.__doc__

    def refresh(self) -> "Agent":
        """Fetch the agent again (``GET /api/v2/agents/{agent_id}``)."""
        self.info = self._client.agents.get(self.agent_id).info
        return self


class Agents(_AgentsBase):
    __doc__ = _AgentsBase.__doc__
    _AGENT = Agent

    def get_or_create(self, agent_id: str, **create_args: Any) -> Agent:
        """The agent if it exists (``GET``), else a new one created with ``create_args`` (``POST``)."""
        try:
            return self.get(agent_id)  # type: ignore[no-any-return]
        except NotFoundError:
            return self.create(agent_id, **create_args)  # type: ignore[no-any-return]


class Client(_ClientBase):
    __doc__ = _ClientBase.__doc__
    _ASYNC = False
    _AGENTS = Agents
    _SESSION = Session

    @staticmethod
    def _finish(raw: Any, parse: Callable[[Any], T]) -> T:
        return parse(raw)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the asyncio API -------------------------------------------------------------------------


class _Activation:
    """What ``AsyncAgent.activate()`` returns: ``await`` it for an :class:`AsyncSession`, or use
    it as ``async with agent.activate() as session:`` to deactivate on exit."""

    def __init__(self, pending: Awaitable[AsyncSession]) -> None:
        self._pending = pending
        self._session: AsyncSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncSession]:
        return self._pending.__await__()

    async def __aenter__(self) -> AsyncSession:
        self._session = await self._pending
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()


class AsyncAgent(_AgentBase):
    """The asyncio twin of :class:`Agent` (``await agent.deactivate()``, ``async with
    agent.activate() as session:``)."""

    def activate(  # type: ignore[override]
        self,
        *,
        duration_hours: float | None = None,
        auto_extend: bool = True,
        refresh_margin: float | timedelta = DEFAULT_REFRESH_MARGIN,
        reactivate: bool = True,
    ) -> _Activation:
        return _Activation(
            super().activate(
                duration_hours=duration_hours, auto_extend=auto_extend,
                refresh_margin=refresh_margin, reactivate=reactivate,
            )
        )

    activate.__doc__ = _AgentBase.activate.__doc__

    async def refresh(self) -> "AsyncAgent":
        """Fetch the agent again (``GET /api/v2/agents/{agent_id}``)."""
        self.info = (await self._client.agents.get(self.agent_id)).info
        return self


class AsyncAgents(_AgentsBase):
    """The asyncio twin of :class:`Agents`."""

    _AGENT = AsyncAgent

    async def get_or_create(self, agent_id: str, **create_args: Any) -> AsyncAgent:
        """The agent if it exists (``GET``), else a new one created with ``create_args`` (``POST``)."""
        try:
            return await self.get(agent_id)  # type: ignore[no-any-return]
        except NotFoundError:
            return await self.create(agent_id, **create_args)  # type: ignore[no-any-return]


class AsyncClient(_ClientBase):
    """The asyncio twin of :class:`Client`: the same arguments, and every network call is a
    coroutine (``await client.agents.list()``). Awaitables can be used from any event loop,
    including successive ``asyncio.run()`` calls and a notebook's loop; cancelling an awaiting
    task drops the request in Rust."""

    _ASYNC = True
    _AGENTS = AsyncAgents
    _SESSION = AsyncSession

    @staticmethod
    def _finish(raw: Any, parse: Callable[[Any], T]) -> Awaitable[T]:
        async def finish() -> T:
            return parse(await raw)

        return finish()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Make every session made through this client forget its token (they raise
        :class:`SessionTokenMissingError` afterwards). Pooled connections close when the
        client is garbage-collected."""
        self._native.forget_sessions()


make_coroutine_functions(AsyncAgent, _AgentBase)
make_coroutine_functions(AsyncAgents, _AgentsBase)
make_coroutine_functions(AsyncClient, _ClientBase)
