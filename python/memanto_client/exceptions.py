"""Exceptions raised by memanto_client.

Every exception is a :class:`MemantoError` (a subclass of :class:`Exception`). Each carries:

- ``message`` (str): what went wrong and how to fix it. It never contains the API key or a
  session token.
- ``status_code`` (int | None): the HTTP status, when the server answered.
- ``code`` (str | None): the server's error code when it gives one, e.g. ``"SessionExpired"``,
  ``"AgentNotFound"``, ``"text_too_long"``.
- ``body`` (Any): the parsed JSON error body, or a short text snippet for non-JSON bodies
  (e.g. a proxy's HTML page).
- ``retry_after`` (float | None): seconds from a ``Retry-After`` header, if any.

Hierarchy::

    MemantoError
    ├── AuthenticationError          invalid or missing API key (401)
    ├── SessionError
    │   ├── SessionTokenMissingError no session token sent / held (401)
    │   ├── SessionExpiredError      the token's expiry has passed (401 SessionExpired)
    │   └── InvalidSessionTokenError malformed, foreign or revoked token (401 InvalidSessionToken)
    ├── PermissionDeniedError        token of another agent (403, or 0.0.8's 500 "cannot access")
    ├── NotFoundError                404 (unknown agent, no session)
    ├── ConflictError                409 (agent already exists)
    ├── ValidationError              400/413/422, or bad input caught before sending (also a ValueError)
    ├── RateLimitError               429
    ├── ServerError                  5xx, or a response that is not the JSON expected
    ├── UnsupportedOperationError    the server's generation has no such call (before sending),
    │                                or no such route (404 Not Found / 405)
    └── APIConnectionError           the server could not be reached
        └── APITimeoutError          no complete answer within the timeout
"""

from __future__ import annotations

from typing import Any

__all__ = [
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


def _rebuild(cls: type, message: str, attrs: dict[str, Any]) -> "MemantoError":
    return cls(message, **attrs)


class MemantoError(Exception):
    """Base class of every error raised by memanto_client."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        attrs = {"status_code": self.status_code, "code": self.code, "body": self.body, "retry_after": self.retry_after}
        return (_rebuild, (type(self), self.message, attrs))


class AuthenticationError(MemantoError):
    """The API key is invalid or missing. Pass ``api_key=`` or set ``MOORCHEH_API_KEY``."""


class SessionError(MemantoError):
    """A problem with the session token; activate the agent again to get a new one."""


class SessionTokenMissingError(SessionError):
    """No session token was sent, or this Session no longer holds one (deactivated/closed)."""


class SessionExpiredError(SessionError):
    """The session token has expired: call ``agent.activate()`` again (extend works only before expiry)."""


class InvalidSessionTokenError(SessionError):
    """The session token is malformed, signed by another server, or was revoked."""


class PermissionDeniedError(MemantoError):
    """The session token belongs to another agent than the one called."""


class NotFoundError(MemantoError):
    """The agent (or its session) does not exist."""


class ConflictError(MemantoError):
    """The agent already exists."""


class ValidationError(MemantoError, ValueError):
    """Bad arguments: caught before sending, or rejected by the server (400/413/422)."""


class RateLimitError(MemantoError):
    """Too many requests (429); ``retry_after`` says how long the server asked to wait."""


class ServerError(MemantoError):
    """The server failed (5xx) or answered with something that is not the expected JSON."""


class UnsupportedOperationError(MemantoError):
    """The connected server's generation has no such call (raised before anything is sent,
    naming the server version and the alternative), or the server answered that it has no such
    route (404 ``Not Found`` / 405)."""


class APIConnectionError(MemantoError):
    """The server could not be reached (refused, reset, DNS)."""


class APITimeoutError(APIConnectionError):
    """The request did not complete within the configured timeout."""
