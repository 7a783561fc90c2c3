"""memanto-client: a fast, typed Python SDK for the Memanto agent-memory API, with its engine
in Rust and an embedded, API-compatible LocalServer.

    from memanto_client import Client, LocalServer

    with LocalServer() as server:
        client = Client(api_key=server.api_key, base_url=server.url)
        agent = client.agents.create("support-bot")
        with agent.activate() as session:
            session.remember("Alex prefers oat milk", type="preference", tags=["drinks"])
            for memory in session.recall("what does Alex drink?", limit=5):
                print(memory.score, memory.content)
"""

from __future__ import annotations

from . import _native
from ._local import LocalServer
from ._client import DEFAULT_TIMEOUT, Agent, Agents, AsyncAgent, AsyncAgents, AsyncClient, Client
from ._session import AsyncSession, Session
from ._types import (
    AgentInfo,
    Answer,
    BatchItemResult,
    BatchRememberResult,
    Health,
    Memory,
    MemoryOperation,
    RecallResult,
    TemporalResult,
    UploadResult,
    RememberResult,
    SessionClaims,
    SessionInfo,
    SessionRecord,
    SessionSummary,
    ServerInfo,
    ExtractResult,
    Conflict,
    ConflictList,
    DailySummary,
    PolicyResult,
)
from .exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidSessionTokenError,
    MemantoError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SessionError,
    SessionExpiredError,
    SessionTokenMissingError,
    UnsupportedOperationError,
    ValidationError,
)

__version__: str = _native.__version__


def decode_session_token(token: str) -> SessionClaims:
    """Decode a session token's claims without the server's secret (nothing is sent).

    Args:
        token: the JWT from activate (``X-Session-Token``).

    Returns:
        :class:`SessionClaims` with ``agent_id``, ``namespace``, ``session_id``, ``started_at``,
        ``expires_at`` (from ``exp`` when present, else the ``expires_at`` claim; no offset
        means UTC), ``issued_at``, ``time_remaining`` and ``is_expired``. Expired tokens decode.

    Raises:
        InvalidSessionTokenError: the token is malformed. The message never repeats the token.
    """
    return SessionClaims._parse(_native.decode_session_token(token))


__all__ = [
    "__version__",
    "Client",
    "Agents",
    "Agent",
    "Session",
    "AsyncClient",
    "AsyncAgents",
    "AsyncAgent",
    "AsyncSession",
    "LocalServer",
    "decode_session_token",
    "DEFAULT_TIMEOUT",
    "AgentInfo",
    "Answer",
    "BatchItemResult",
    "BatchRememberResult",
    "Health",
    "Memory",
    "MemoryOperation",
    "RecallResult",
    "TemporalResult",
    "UploadResult",
    "RememberResult",
    "SessionClaims",
    "SessionInfo",
    "SessionRecord",
    "SessionSummary",
    "ServerInfo",
    "ExtractResult",
    "Conflict",
    "ConflictList",
    "DailySummary",
    "PolicyResult",
    "UnsupportedOperationError",
    "MemantoError",
    "AuthenticationError",
    "SessionError",
    "SessionTokenMissingError",
    "SessionExpiredError",
    "InvalidSessionTokenError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
]
