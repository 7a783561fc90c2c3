from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import make_jwt, new_agent_id
from memanto_client import (
    Agent,
    Client,
    InvalidSessionTokenError,
    LocalServer,
    PermissionDeniedError,
    Session,
    SessionExpiredError,
    SessionTokenMissingError,
    ValidationError,
    decode_session_token,
)


def test_activate_gives_decoded_claims(agent: Agent) -> None:
    before = datetime.now(timezone.utc)
    with agent.activate() as session:
        c = session.claims
        assert c.agent_id == agent.agent_id
        assert c.namespace == f"memanto_agent_{agent.agent_id}"
        assert c.session_id is not None and c.session_id.startswith("sess_") and len(c.session_id) == 17
        assert c.expires_at.tzinfo is not None
        # the LocalServer default is 6 hours
        assert timedelta(hours=5, minutes=59) < c.expires_at - before <= timedelta(hours=6, seconds=5)
        assert timedelta(hours=5, minutes=59) < session.time_remaining <= timedelta(hours=6)
        assert session.is_expired is False
        assert session.expires_at == c.expires_at
        assert c.started_at is not None and abs((c.started_at - before).total_seconds()) < 60
        assert session.record is not None and session.record.session_id == c.session_id
        assert "session_token" not in session.record.to_dict()
    assert agent.refresh().session_count == 1


def test_duration_hours(agent: Agent) -> None:
    with agent.activate(duration_hours=1) as session:
        assert timedelta(minutes=59) < session.time_remaining <= timedelta(hours=1)


def test_current_and_extend(session: Session) -> None:
    info = session.current()
    assert info.session_id == session.session_id
    assert info.agent_id == session.agent_id
    assert info.status == "active"
    assert info.time_remaining_seconds is not None
    assert 6 * 3600 - 60 < info.time_remaining_seconds <= 6 * 3600
    old_expiry = session.expires_at
    old_token = session.session_token

    record = session.extend(hours=2)
    assert session.session_token != old_token  # the server issued a new token
    assert timedelta(hours=2) - timedelta(seconds=2) <= session.expires_at - old_expiry <= timedelta(hours=2, seconds=2)
    assert record.expires_at is not None
    assert abs(record.expires_at - session.expires_at) < timedelta(seconds=1)  # exp has whole seconds
    after = session.current()
    assert after.session_id == info.session_id
    assert after.time_remaining_seconds is not None
    assert 8 * 3600 - 60 < after.time_remaining_seconds <= 8 * 3600


@pytest.mark.parametrize("hours", [0, -1, 1.5, True])
def test_extend_rejects_bad_hours(session: Session, hours: object) -> None:
    with pytest.raises(ValidationError):
        session.extend(hours=hours)  # type: ignore[arg-type]


def test_deactivate_forgets_and_revokes(agent: Agent, client: Client) -> None:
    session = agent.activate()
    token = session.session_token
    summary = session.deactivate()
    assert summary.agent_id == agent.agent_id
    assert summary.session_id is not None
    assert summary.ended_at is not None and summary.ended_at.tzinfo is not None
    assert session.is_active is False
    with pytest.raises(SessionTokenMissingError, match="Activate the agent again"):
        session.recall("anything")
    with pytest.raises(SessionTokenMissingError):
        session.claims
    # the server revoked the token too: reusing it is refused
    stolen = client.session_from_token(token)
    with pytest.raises(InvalidSessionTokenError) as err:
        stolen.recall("anything")
    assert err.value.status_code == 401
    assert "Activate the agent again" in str(err.value)


def test_with_block_deactivates(agent: Agent) -> None:
    with agent.activate() as session:
        session.remember("inside the block")
        assert session.is_active
    assert not session.is_active
    assert "active=False" in repr(session)


def test_session_from_token(session: Session, client: Client) -> None:
    other = client.session_from_token(session.session_token)
    assert other.agent_id == session.agent_id
    other.remember("written through a borrowed token")
    assert other.recall("borrowed token")[0].content == "written through a borrowed token"
    other.close()  # not owned: forgets the token but does not deactivate the agent's session
    assert not other.is_active
    assert session.current().status == "active"


def test_token_of_agent_a_used_on_agent_b(client: Client) -> None:
    a = client.agents.create(new_agent_id("a"))
    b = client.agents.create(new_agent_id("b"))
    with a.activate() as sa:
        wrong = client.session_from_token(sa.session_token, agent_id=b.agent_id)
        with pytest.raises(PermissionDeniedError) as err:
            wrong.recall("x")
        assert err.value.status_code == 403
        assert "cannot access" in str(err.value)
        assert "activate the agent you are calling" in str(err.value)
    a.delete()
    b.delete()


def test_garbage_tokens(client: Client, agent: Agent) -> None:
    with pytest.raises(InvalidSessionTokenError, match="Malformed session token") as err:
        client.session_from_token("garbage")
    assert "garbage" not in str(err.value)
    forged = make_jwt(
        {"agent_id": agent.agent_id, "namespace": "x", "session_id": "sess_000000000000",
         "started_at": "2026-01-01T00:00:00", "expires_at": "2099-01-01T00:00:00"}
    )
    s = client.session_from_token(forged)
    with pytest.raises(InvalidSessionTokenError) as e2:
        s.recall("x")
    assert e2.value.status_code == 401
    assert e2.value.code == "InvalidSessionToken"
    assert "eyJ" not in str(e2.value)


def test_expired_token() -> None:
    with LocalServer(session_duration=1) as srv:
        client = srv.client()
        agent = client.agents.create("expiring")
        session = agent.activate(auto_extend=False, reactivate=False)
        session.remember("still fresh")
        time.sleep(1.3)
        assert session.is_expired
        assert session.time_remaining == timedelta(0)
        with pytest.raises(SessionExpiredError) as err:
            session.recall("fresh")
        assert err.value.status_code == 401
        assert err.value.code == "SessionExpired"
        assert "activate the agent again" in str(err.value)
        # re-activating works
        with agent.activate() as again:
            assert again.recall("fresh")[0].content == "still fresh"


def test_session_repr_shows_no_token(session: Session, server: LocalServer) -> None:
    text = repr(session)
    assert session.session_token not in text
    assert "eyJ" not in text
    assert session.agent_id in text
    client = server.client()
    assert server.api_key not in repr(client)
    assert "api_key=set" in repr(client)
    assert server.api_key not in repr(server)


def test_decode_session_token_module_function(session: Session) -> None:
    c = decode_session_token(session.session_token)
    assert c.agent_id == session.agent_id
    assert c.expires_at == session.expires_at
    assert c.issued_at is not None
    assert "exp" not in c.extra and "iat" not in c.extra
