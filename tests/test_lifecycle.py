"""Sessions that look after themselves: auto-extend (single flight), replacement tokens,
re-activation on expiry, forgetting tokens, and a client clock that is off."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from conftest import make_jwt
from faults import FaultServer, Scripted
from memanto_client import Client, LocalServer, SessionExpiredError, SessionTokenMissingError


def _token(agent: str = "bot", *, expires_in: float = 3600, session_id: str = "sess_000000000001") -> str:
    exp = datetime.now(timezone.utc) + timedelta(seconds=expires_in)
    return make_jwt({"agent_id": agent, "namespace": f"memanto_agent_{agent}", "session_id": session_id,
                     "started_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                     "expires_at": exp.strftime("%Y-%m-%dT%H:%M:%S.%f")})


OK_RECALL = Scripted(200, '{"memories":[],"count":0}')


def test_auto_extend_before_expiry() -> None:
    with LocalServer(session_duration=60) as srv:
        agent = srv.client().agents.create("auto")
        session = agent.activate(refresh_margin=120)  # 60 s left < 120 s margin: due at once
        first = session.expires_at
        session.remember("hello")
        assert session.expires_at - first > timedelta(hours=5, minutes=59)
        assert (session.current().time_remaining_seconds or 0) > 6 * 3600 - 60


def test_auto_extend_off() -> None:
    with LocalServer(session_duration=60) as srv:
        session = srv.client().agents.create("manual").activate(auto_extend=False, refresh_margin=120)
        first = session.expires_at
        session.remember("hello")
        assert session.expires_at == first


def test_32_threads_at_expiry_send_exactly_one_extend() -> None:
    with LocalServer(session_duration=60) as srv:
        session = srv.client(max_connections=32).agents.create("crowd").activate(refresh_margin=120)
        session.remember("the crowd remembers")
        # back to a due token: pretend the extend never happened by re-activating for 60 s
        session = srv.client(max_connections=32).agents.get("crowd").activate(refresh_margin=120)
        start = session.expires_at
        barrier = threading.Barrier(32)

        def call(_: int) -> int:
            barrier.wait()
            return session.recall("crowd remembers").count

        with ThreadPoolExecutor(32) as pool:
            counts = list(pool.map(call, range(32)))
        assert counts == [1] * 32
        moved = session.expires_at - start
        # one extend adds 6 h; two would have added 12 h
        assert timedelta(hours=5, minutes=59) < moved < timedelta(hours=6, minutes=2)


def test_single_flight_counted_on_the_wire() -> None:
    due = _token(expires_in=60)
    fresh = _token(expires_in=7200)
    extend_body = json.dumps({"session_id": "sess_000000000001", "session_token": fresh, "agent_id": "bot"})
    with FaultServer([OK_RECALL], routes={"/api/v2/session/extend": [Scripted(200, extend_body, delay=0.3)]}) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(due, refresh_margin=300)
        with ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda _: session.recall("x"), range(32)))
        assert fs.count("/api/v2/session/extend") == 1
        assert fs.count("/api/v2/agents/bot/recall") == 32
        assert session.session_token == fresh
        late = [r for r in fs.requests if r.path.startswith("/api/v2/agents/bot/recall")]
        assert all(r.headers["x-session-token"] == fresh for r in late)


def test_replacement_token_header_newest_wins() -> None:
    held = _token(expires_in=3600)
    newer = _token(expires_in=7200)
    older = _token(expires_in=1800)
    with FaultServer([
        Scripted(200, '{"memories":[],"count":0}', {"Content-Type": "application/json", "X-Session-Token": newer}),
        Scripted(200, '{"memories":[],"count":0}', {"Content-Type": "application/json", "X-Session-Token": older}),
        Scripted(401, '{"detail":{"error":"InvalidSessionToken","message":"x","details":{}}}',
                 {"Content-Type": "application/json", "X-Session-Token": _token(expires_in=9000)}),
    ]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(held)
        session.recall("a")
        assert session.session_token == newer
        session.recall("b")
        assert session.session_token == newer  # an older token arriving late is ignored
        with pytest.raises(Exception):
            session.recall("c")
        assert session.expires_at > datetime.now(timezone.utc) + timedelta(seconds=8000)  # adopted on error too


def test_expired_token_reactivates_once_and_retries() -> None:
    with LocalServer(session_duration=1) as srv:
        agent = srv.client().agents.create("phoenix")
        session = agent.activate(auto_extend=False)
        session.remember("before expiry")
        old_id = session.session_id
        time.sleep(1.3)
        hits = session.recall("before expiry")  # 401 SessionExpired -> activate -> retry
        assert hits.count == 1
        assert session.session_id != old_id
        assert agent.refresh().session_count == 2


def test_auto_refresh_of_an_already_expired_token_reactivates() -> None:
    with LocalServer(session_duration=1) as srv:
        agent = srv.client().agents.create("late")
        session = agent.activate(refresh_margin=0.5)
        time.sleep(1.3)
        session.remember("after expiry")  # due and expired: no extend, activate again
        assert session.recall("after expiry").count == 1
        assert agent.refresh().session_count == 2


def test_second_401_reaches_the_caller() -> None:
    expired = '{"detail":{"error":"SessionExpired","message":"Session x expired","details":{}}}'
    activate = json.dumps({"session_id": "sess_000000000002", "session_token": _token(session_id="sess_000000000002"),
                           "agent_id": "bot"})
    with FaultServer([Scripted(401, expired)], routes={"/api/v2/agents/bot/activate": [Scripted(200, activate)]}) as fs:
        client = Client(api_key="k", base_url=fs.url)
        session = client.session_from_token(_token(), reactivate=True)
        with pytest.raises(SessionExpiredError):
            session.recall("x")
        assert fs.count("/api/v2/agents/bot/activate") == 1
        assert fs.count("/api/v2/agents/bot/recall") == 2


def test_borrowed_sessions_do_not_reactivate_by_default() -> None:
    expired = '{"detail":{"error":"SessionExpired","message":"Session x expired","details":{}}}'
    with FaultServer([Scripted(401, expired)]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(SessionExpiredError):
            session.recall("x")
        assert fs.count("/api/v2/agents/bot/activate") == 0
        assert fs.count("/api/v2/agents/bot/recall") == 1


def test_close_and_deactivate_forget_the_token(server: LocalServer) -> None:
    client = server.client()
    agent = client.agents.create("forgetful")
    s1 = agent.activate()
    s2 = agent.activate()
    client.close()
    for s in (s1, s2):
        assert not s.is_active
        with pytest.raises(SessionTokenMissingError):
            s.recall("x")
    agent.delete()


def test_refresh_deadline_uses_the_server_clock() -> None:
    """The token has 8 minutes left by this machine's clock, but the server's clock is 10
    minutes ahead, so by the server's time it has expired: the client must refresh."""
    token = _token(expires_in=8 * 60)
    activate = json.dumps({"session_id": "sess_000000000003", "session_token": _token(expires_in=6 * 3600, session_id="sess_000000000003"), "agent_id": "bot"})
    ahead = 600.0
    with FaultServer([Scripted(200, '{"agents":[],"count":0}', clock_offset=ahead)],
                     routes={"/api/v2/agents/bot/recall": [Scripted(200, '{"memories":[],"count":0}', clock_offset=ahead)],
                             "/api/v2/agents/bot/activate": [Scripted(200, activate, clock_offset=ahead)]}) as fs:
        client = Client(api_key="k", base_url=fs.url)
        client.agents.list()  # any response teaches the client the server's clock
        session = client.session_from_token(token, reactivate=True)
        assert session.time_remaining > timedelta(minutes=7)  # local view
        session.recall("x")
        assert fs.count("/api/v2/agents/bot/activate") == 1
        assert session.session_id == "sess_000000000003"
