from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any, Iterator

import pytest

from memanto_client import Agent, Client, LocalServer, Session


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def client(server: LocalServer) -> Client:
    return Client(api_key=server.api_key, base_url=server.url, timeout=10)


def new_agent_id(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def agent(client: Client) -> Iterator[Agent]:
    a = client.agents.create(new_agent_id(), description="pytest agent")
    yield a
    try:
        a.delete()
    except Exception:
        pass


@pytest.fixture
def session(agent: Agent) -> Iterator[Session]:
    with agent.activate() as s:
        yield s


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any], secret: bytes = b"not-the-server-secret") -> str:
    """An HS256 JWT built by hand (the tests need no JWT library)."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims, ensure_ascii=False).encode())
    sig = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"
