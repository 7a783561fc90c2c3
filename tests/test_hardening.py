"""Inputs found by an adversarial review; each was a bug before its fix."""

from __future__ import annotations

import pickle
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import pytest

from conftest import make_jwt, new_agent_id
from faults import FaultServer, Scripted
from memanto_client import (
    UnsupportedOperationError,
    Client,
    InvalidSessionTokenError,
    LocalServer,
    MemantoError,
    NotFoundError,
    RateLimitError,
    ServerError,
    Session,
    ValidationError,
    decode_session_token,
)

JSON = {"Content-Type": "application/json"}


def _session(url: str, **kw: Any) -> Session:
    return Client(api_key="k", base_url=url, **kw).session_from_token(make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"}))


@pytest.mark.parametrize("bad", ["..\\..\\victim", "..", ".", "a\\b", "%2e%2e", "x\x00y", "\t..", "a" * 300, ""])
def test_memory_ids_cannot_escape_their_path_segment(bad: str) -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        s = _session(fs.url)
        for call in (s.delete, s.validate, s.contradict):
            with pytest.raises(ValidationError, match="memory_id"):
                call(bad)
        assert fs.requests == []


def test_memory_ids_are_sent_percent_encoded() -> None:
    with FaultServer([Scripted(200, '{"memory_id":"x","status":"deleted"}')], version="0.2.30") as fs:
        _session(fs.url).delete("id with space+plus")
        assert fs.requests[0].path == "/api/v2/agents/bot/memories/id%20with%20space%2Bplus"
    # 0.0.x deletes through its internal v1 router, by the agent's namespace.
    with FaultServer([Scripted(200, '{"message":"Memory deleted successfully"}')], version="0.0.8") as fs:
        _session(fs.url).delete("id with space+plus")
        assert fs.requests[0].path == "/api/v1/memory/id%20with%20space%2Bplus?namespace=memanto_agent_bot"


def test_a_deleted_agent_cannot_be_reached_through_another_agents_session(server: LocalServer) -> None:
    client = server.client()
    victim = client.agents.create(new_agent_id("victim"))
    with client.agents.create(new_agent_id("bot")).activate() as s:
        with pytest.raises(ValidationError):
            s.delete(f"..\\..\\{victim.agent_id}")
    assert client.agents.get(victim.agent_id).agent_id == victim.agent_id
    victim.delete()


def test_retries_respect_the_timeout_budget() -> None:
    with FaultServer([Scripted(429, "{}", {**JSON, "Retry-After": "5"})]) as fs:
        start = time.monotonic()
        with pytest.raises(RateLimitError):
            Client(api_key="k", base_url=fs.url, timeout=2, max_retries=2).agents.list()
        assert time.monotonic() - start < 2.5


def test_waiting_for_a_connection_counts_toward_the_timeout() -> None:
    with FaultServer([Scripted(200, '{"agents":[],"count":0}', delay=1.0)]) as fs:
        client = Client(api_key="k", base_url=fs.url, timeout=1.6, max_connections=1, max_retries=0)
        start = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            outcomes = list(pool.map(lambda _: _outcome(client), range(3)))
        elapsed = time.monotonic() - start
    assert elapsed < 2.6
    assert outcomes.count("ok") >= 1 and "APITimeoutError" in outcomes


def _outcome(client: Client) -> str:
    try:
        client.agents.list()
        return "ok"
    except MemantoError as e:
        return type(e).__name__


@pytest.mark.parametrize("value", [0, 2**61, 10**6])
def test_absurd_max_connections(value: int) -> None:
    with pytest.raises(ValidationError, match="max_connections"):
        Client(api_key="k", base_url="http://127.0.0.1:9", max_connections=value)


def test_secrets_redacted_before_shortening_and_in_json_keys() -> None:
    key = "mk_live_SECRET_key_0123456789abcdef"
    token = make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"})
    text = "x" * 185 + f" Bearer {key} and more text after it"
    with FaultServer([Scripted(200, text, {"Content-Type": "text/plain"}),
                      Scripted(400, '{"detail":"bad","echo":{"Bearer %s":1,"%s":2}}' % (key, token))]) as fs:
        client = Client(api_key=key, base_url=fs.url, max_retries=0)
        with pytest.raises(ServerError) as e1:
            client.agents.list()
        s = client.session_from_token(token)
        with pytest.raises(ValidationError) as e2:
            s.recall("x")
    for e in (e1.value, e2.value):
        blob = str(e) + repr(e) + repr(e.body) + repr(pickle.loads(pickle.dumps(e)).__dict__)
        assert "mk_live" not in blob and "eyJ" not in blob, blob


@pytest.mark.parametrize("claims", [
    {"agent_id": "a", "exp": 1e12},
    {"agent_id": "a", "exp": 253402300800},
    {"agent_id": "a", "expires_at": "0000-01-01T00:00:00"},
    {"agent_id": "a", "expires_at": "2030-01-01T00:00:00", "started_at": "0000-06-01T00:00:00"},
    {"agent_id": "a", "expires_at": "2030-01-01T00:00:00", "iat": 1e12},
])
def test_token_times_outside_the_datetime_range(claims: dict[str, Any]) -> None:
    try:
        c = decode_session_token(make_jwt(claims))
    except InvalidSessionTokenError as e:
        assert "range" in str(e)
    else:  # an out-of-range optional claim is dropped, the expiry is usable
        assert c.expires_at.year == 2030 and c.started_at is None and c.issued_at is None


@pytest.mark.parametrize("body, call", [
    ("[]", lambda c, s: c.health()),
    ("[]", lambda c, s: c.agents.list()),
    ("[]", lambda c, s: s.recall("x")),
    ("null", lambda c, s: s.remember("x")),
    ('{"a":1}', lambda c, s: c.sessions()),
])
def test_wrong_json_shapes_are_server_errors(body: str, call: Any) -> None:
    with FaultServer([Scripted(200, body)]) as fs:
        c = Client(api_key="k", base_url=fs.url)
        s = c.session_from_token(make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"}))
        with pytest.raises(ServerError, match="unexpected"):
            call(c, s)


def test_odd_field_values_do_not_crash_result_parsing() -> None:
    body = '{"memories":[{"id":"m","content":"c","tags":5,"created_at":"0000-01-01T00:00:00","score":"high"}],"count":1}'
    with FaultServer([Scripted(200, body)]) as fs:
        m = _session(fs.url).recall("x")[0]
    assert (m.id, m.content, m.tags, m.created_at) == ("m", "c", (), None)
    assert m.to_dict()["tags"] == 5  # the raw value is kept


@pytest.mark.parametrize("kwargs", [{"tags": ["x" * 100_000]}, {"types": "fact", "tags": ["y" * 3000]}])
def test_oversize_query_strings_are_validation_errors(kwargs: dict[str, Any]) -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        with pytest.raises(ValidationError):
            _session(fs.url).recall("x", **kwargs)
        assert fs.requests == []


def test_long_ai_model_is_refused() -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        with pytest.raises(ValidationError, match="ai_model"):
            _session(fs.url).answer("x", ai_model="m" * 100_000)
        assert fs.requests == []


def test_base_url_with_a_fragment_is_refused() -> None:
    with pytest.raises(ValidationError, match="fragment"):
        Client(api_key="k", base_url="http://127.0.0.1:8000/#frag")


def test_batch_remember_refuses_a_bare_string_and_tags_refuse_mappings() -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        s = _session(fs.url)
        with pytest.raises(ValidationError, match="list"):
            s.batch_remember("abc")
        with pytest.raises(ValidationError, match="tags"):
            s.remember("x", tags={"a": 1})  # type: ignore[arg-type]
        assert fs.requests == []


def test_ancient_aware_datetimes_are_sent_as_valid_iso() -> None:
    with FaultServer([Scripted(200, '{"memories":[],"count":0}')]) as fs:
        _session(fs.url).recall("x", created_after=datetime(999, 1, 1, tzinfo=timezone.utc))
        assert "created_after=0999-01-01T00%3A00%3A00" in fs.requests[0].path


def test_unknown_memory_says_memory_not_agent() -> None:
    body = '{"detail":"Memory \'no-such-memory\' was not found for agent \'bot\'"}'
    with FaultServer([Scripted(404, body)], version="0.2.30") as fs:
        with pytest.raises(NotFoundError) as err:
            _session(fs.url).delete("no-such-memory")
    assert "memory id" in str(err.value) and "agent id" not in str(err.value)
    with FaultServer([Scripted(404, '{"detail":"Memory not found"}')], version="0.0.8") as fs:
        with pytest.raises(NotFoundError, match="memory id"):
            _session(fs.url).delete("no-such-memory")


def test_a_missing_route_says_the_server_lacks_it_not_check_the_agent() -> None:
    # FastAPI's answer for a path it does not route (e.g. a proxy in front of another service).
    with FaultServer([Scripted(404, '{"detail":"Not Found"}')], version="0.2.30") as fs:
        with pytest.raises(UnsupportedOperationError) as err:
            _session(fs.url).delete("no-such-memory")
    assert "DELETE /api/v2/agents/bot/memories/no-such-memory" in str(err.value)
    assert "agent id" not in str(err.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"db_path": ""}, "db_path"),
    ({"db_path": ":memory:"}, "db_path"),
    ({"api_key": "a b"}, "api_key"),
    ({"api_key": "ké"}, "api_key"),
    ({"session_duration": 3e11}, "session_duration"),
    ({"session_duration": 0}, "session_duration"),
    ({"host": "localhost-ish"}, "host"),
])
def test_local_server_refuses_bad_configuration(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        LocalServer(**kwargs)


def test_writes_racing_an_agent_deletion_leave_nothing_behind(tmp_path: Any) -> None:
    import sqlite3
    import threading

    db = tmp_path / "race.db"
    with LocalServer(db_path=db) as server:
        owner = server.client()
        writer = server.client()  # a second client: its session does not learn of the deletion
        agent = owner.agents.create("victim")
        session = writer.session_from_token(agent.activate().session_token)
        stop = threading.Event()

        def write(i: int) -> None:
            while not stop.is_set():
                try:
                    session.remember(f"secret {i}")
                except MemantoError:
                    pass

        threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        owner.agents.delete("victim")
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(timeout=10)
        with owner.agents.create("victim").activate() as fresh:
            assert fresh.recall("secret").count == 0
        orphans = sqlite3.connect(db).execute(
            "SELECT count(*) FROM memories WHERE agent_id NOT IN (SELECT agent_id FROM agents)"
        ).fetchone()[0]
        assert orphans == 0
