"""Every call end to end against the LocalServer in both strict modes: mimicking a 0.0.x server
(the documented API) and a 0.2.x server (the current generation). Plus generation detection,
pinning, the calls a generation lacks, and what 0.2.x does to session tokens."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

import pytest

from conftest import new_agent_id
from memanto_client import (
    Client,
    InvalidSessionTokenError,
    LocalServer,
    NotFoundError,
    Session,
    UnsupportedOperationError,
    ValidationError,
)

GENERATIONS = ["0.0", "0.2"]


@pytest.fixture(scope="module", params=GENERATIONS)
def strict(request: pytest.FixtureRequest) -> Iterator[LocalServer]:
    with LocalServer(api_version=request.param) as srv:
        yield srv


@pytest.fixture
def gen(strict: LocalServer) -> str:
    c = strict.client()
    info = c.detect_server()
    return info.generation


@pytest.fixture
def session(strict: LocalServer) -> Iterator[Session]:
    client = strict.client(timeout=10)
    agent = client.agents.create(new_agent_id("gen"))
    with agent.activate() as s:
        yield s


def test_detection_finds_each_generation(strict: LocalServer, gen: str) -> None:
    client = strict.client()
    assert client.server is None  # nothing sent yet
    info = client.detect_server()
    assert info.generation == gen
    assert info.version == ("0.0.8" if gen == "0.0" else "0.2.30")
    assert info.detected is True and info.serves_both is False
    assert client.server == info


def test_default_local_server_serves_both() -> None:
    with LocalServer() as srv:
        info = srv.client().detect_server()
        assert (info.generation, info.serves_both) == ("0.0", True)


def test_pinning_skips_detection_and_is_checked(strict: LocalServer, gen: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = strict.client(api_version=gen)
    assert pinned.server is not None and pinned.server.generation == gen
    assert pinned.server.detected is False and pinned.server.version is None
    monkeypatch.setenv("MEMANTO_API_VERSION", gen)
    assert strict.client().server is not None
    monkeypatch.setenv("MEMANTO_API_VERSION", "0.9x")
    with pytest.raises(ValidationError, match="MEMANTO_API_VERSION"):
        strict.client()
    monkeypatch.delenv("MEMANTO_API_VERSION")
    with pytest.raises(ValidationError, match="api_version"):
        strict.client(api_version="1.x")


def test_a_wrong_pin_says_the_route_is_missing_not_the_agent(strict: LocalServer, gen: str) -> None:
    other = "0.2" if gen == "0.0" else "0.0"
    client = strict.client(api_version=other)
    agent_id = new_agent_id("pin")
    client.agents.create(agent_id)  # same on both generations
    session = client.agents.get(agent_id).activate()
    with pytest.raises(UnsupportedOperationError) as err:
        session.recall("anything")
    assert err.value.status_code in (404, 405)
    assert "agent id" not in str(err.value)
    assert "api_version" in str(err.value)


def test_remember_recall_answer(session: Session, gen: str) -> None:
    r = session.remember("Alex prefers oat milk in coffee", type="preference", tags=["drinks"], confidence=0.9)
    assert r.memory_id
    session.batch_remember(["The office is in Lisbon", {"content": "Standup is at 9:30", "type": "event"}])
    hits = session.recall("what milk does Alex like?", limit=3)
    assert hits[0].id == r.memory_id
    assert hits[0].type == "preference" and hits[0].tags == ("drinks",)
    assert hits[0].score is not None and hits[0].score > 0
    assert session.recall("milk", types=["event"]).memories == ()
    assert [m.id for m in session.recall("milk", tags=["drinks"])] == [r.memory_id]
    a = session.answer("What milk does Alex like?")
    assert "oat" in a.answer.lower()
    assert any(s.id == r.memory_id for s in a.sources)


def test_temporal_queries(session: Session, gen: str) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=2)
    first = session.remember("The launch is on Friday").memory_id
    found = session.recall_changed_since(before)
    assert first in [m.id for m in found]
    assert found.temporal_mode == "changed_since"
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    as_of = session.recall_as_of("launch", later)  # 0.2.x sends no query
    assert first in [m.id for m in as_of]
    assert session.recall_as_of("launch", before).memories == ()
    current = session.recall_current("launch")
    assert first in [m.id for m in current]


def test_update_and_delete(session: Session, gen: str) -> None:
    mid = session.remember("The wifi password is hunter2").memory_id
    op = session.update(mid, content="The wifi password is correct-horse")
    assert "content" in op.updated_fields
    assert session.recall("wifi password")[0].content == "The wifi password is correct-horse"
    session.delete(mid)
    assert mid not in [m.id for m in session.recall("wifi password")]
    with pytest.raises(NotFoundError) as err:
        session.delete(mid)
    assert "memory id" in str(err.value)


def test_session_info_extend_and_deactivate(session: Session, gen: str) -> None:
    info = session.current()
    assert info.session_id == session.session_id
    assert info.agent_id == session.agent_id
    old_expiry, old_session = session.expires_at, session.session_id
    if gen == "0.2":
        with pytest.warns(UserWarning, match="not by 2 h"):
            record = session.extend(hours=2)
    else:
        record = session.extend(hours=2)
    assert record.expires_at is not None
    assert abs((record.expires_at - session.expires_at).total_seconds()) < 1  # the JWT has whole seconds
    if gen == "0.0":
        assert session.expires_at >= old_expiry + timedelta(hours=2) - timedelta(seconds=1)
    else:
        # No extend on 0.2.x: a new session (the server's 6 hours from now), a new token.
        assert record.extra["renewed_by"] == "activate"
        assert session.session_id != old_session and session.expires_at >= old_expiry
    assert session.server is not None and session.server.generation == gen
    session.remember("still works after extend")
    summary = session.deactivate()
    assert summary.agent_id == session.agent_id
    assert session.is_active is False


def test_each_generation_refuses_what_it_lacks_before_sending(strict: LocalServer, session: Session, gen: str) -> None:
    mid = session.remember("a memory to act on").memory_id
    if gen == "0.0":
        calls: list[Callable[[], object]] = [lambda: session.expire(mid), lambda: session.restore(mid), lambda: session.recall_recent(),
                     lambda: session.recall("x", status="active"), lambda: session.policy()]
        for call in calls:
            with pytest.raises(UnsupportedOperationError, match="0.0.8") as err:
                call()
            assert err.value.status_code is None  # nothing was sent
    else:
        refused: list[tuple[Callable[[], object], str]] = [(lambda: session.validate(mid), "update("), (lambda: session.contradict(mid), "expire("),
                           (lambda: session.supersede(mid, "new content"), "expire("),
                           (lambda: strict.client().sessions(), "status()")]
        for call, hint in refused:
            with pytest.raises(UnsupportedOperationError, match="0.2.30") as err:
                call()
            assert hint in str(err.value)
            assert err.value.status_code is None
        with pytest.raises(UnsupportedOperationError):
            session.answer("q", header_prompt="be brief")


def test_legacy_only_calls_work_on_0_0(session: Session, gen: str) -> None:
    if gen != "0.0":
        pytest.skip("validate/supersede/contradict exist on 0.0.x only")
    mid = session.remember("Alex lives in Porto").memory_id
    assert session.validate(mid).validation_count == 1
    op = session.supersede(mid, "Alex lives in Lisbon")
    assert op.old_memory_id == mid
    assert [m.content for m in session.recall_current("where does Alex live")][:1] == ["Alex lives in Lisbon"]


def test_current_only_calls_work_on_0_2(session: Session, gen: str) -> None:
    if gen != "0.2":
        pytest.skip("expire/restore/recent exist on 0.2.x only")
    mid = session.remember("The cafeteria closes at 3pm").memory_id
    other = session.remember("The cafeteria serves soup").memory_id
    op = session.expire(mid, reason="stale")
    assert op.status == "expired"
    hits = session.recall("cafeteria", status="expired")
    assert [m.id for m in hits] == [mid]
    assert hits[0].is_expired and hits[0].expired_by == "stale" and hits[0].expired_at is not None
    assert mid not in [m.id for m in session.recall("cafeteria", status="active")]
    session.restore(mid)
    assert mid in [m.id for m in session.recall("cafeteria", status="active")]
    recent = session.recall_recent(limit=1)
    assert [m.id for m in recent] == [other]
    assert recent.total_available == 2
    assert len(session.recall_all()) == 2
    with pytest.raises(ValidationError, match="reason"):
        session.expire(mid, reason="not a reason!")


def test_text_that_is_not_unicode_is_named_before_sending(strict: LocalServer, session: Session) -> None:
    bad = "ok \ud83d then"
    with pytest.raises(ValidationError, match=r"content .*position 3") as err:
        session.remember(bad)
    assert err.value.status_code is None
    with pytest.raises(ValidationError, match=r"tags\[1\].*position 0"):
        session.remember("fine", tags=["a", "\udc80b"])
    with pytest.raises(ValidationError, match=r"memories\[1\]\['content'\].*position 3"):
        session.batch_remember(["fine", {"content": bad}])
    with pytest.raises(ValidationError, match="query"):
        session.recall(bad)
    with pytest.raises(ValidationError, match="agent_id"):
        strict.client().agents.create("x\ud800")
    with pytest.raises(ValidationError, match="api_key"):
        Client(api_key="k\ud800", base_url="http://127.0.0.1:9")


# --- sessions on 0.2.x ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def current() -> Iterator[LocalServer]:
    with LocalServer(api_version="0.2") as srv:
        yield srv


def test_activating_elsewhere_revokes_and_the_session_recovers_once(current: LocalServer) -> None:
    client = current.client()
    agent = client.agents.create(new_agent_id("revoke"))
    session = agent.activate()
    old = session.session_token
    current.client().agents.get(agent.agent_id).activate()  # another client: the old token dies
    borrowed = current.client().session_from_token(old)  # reactivate=False by default
    with pytest.raises(InvalidSessionTokenError, match="revoke"):
        borrowed.recall("anything")
    count = agent.refresh().session_count
    session.remember("works again")  # activates once, retries once
    assert session.session_token != old
    assert agent.refresh().session_count == count + 1


def test_a_second_activate_in_one_client_joins_the_live_session(current: LocalServer) -> None:
    client = current.client()
    agent = client.agents.create(new_agent_id("join"))
    first = agent.activate()
    second = agent.activate()
    assert first.session_id == second.session_id  # one live session per agent per client
    first.remember("the first handle still works")
    second.close()  # not the last handle: the session stays
    assert first.is_active
    first.recall("handle")
    first.close()
    assert not first.is_active


def test_every_call_adopts_the_renewed_token() -> None:
    with LocalServer(api_version="0.2", renew_every_call=True) as srv:
        client = srv.client()
        session = client.agents.create(new_agent_id("renew")).activate()
        seen = {session.session_id}
        for i in range(5):
            before = session.session_token
            session.remember(f"memory {i}")
            assert session.session_token != before
            seen.add(session.session_id)
            with pytest.raises(InvalidSessionTokenError):
                client.session_from_token(before).recall("memory")
        assert len(seen) == 6
        assert len(session.recall("memory", limit=10)) == 5


def test_sixteen_threads_on_a_revoked_token_activate_once(current: LocalServer) -> None:
    client = current.client()
    agent = client.agents.create(new_agent_id("storm"))
    session = agent.activate()
    session.remember("storm memory")
    current.client().agents.get(agent.agent_id).activate()  # revoke from outside
    count = agent.refresh().session_count
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def call() -> None:
        try:
            barrier.wait()
            session.recall("storm")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert agent.refresh().session_count == count + 1


def test_management_credential_is_sent_when_loopback_is_not_trusted() -> None:
    with LocalServer(api_version="0.2", trust_loopback=False) as srv:
        session = srv.client().agents.create(new_agent_id("gate")).activate()
        session.remember("through the gate")
        assert session.current().session_id == session.session_id
        from memanto_client import AuthenticationError

        with pytest.raises(AuthenticationError, match="MEMANTO_SECRET_KEY"):
            Client(api_key="wrong-key", base_url=srv.url).agents.list()


@pytest.mark.asyncio
async def test_async_twins_of_the_0_2_calls(current: LocalServer) -> None:
    from memanto_client import AsyncClient

    async with AsyncClient(api_key=current.api_key, base_url=current.url) as client:
        agent = await client.agents.create(new_agent_id("async"))
        async with agent.activate() as session:
            mid = (await session.remember("async memory about tea")).memory_id
            assert (await session.expire(mid, reason="old")).status == "expired"
            assert [m.id for m in await session.recall("tea", status="expired")] == [mid]
            await session.restore(mid)
            assert [m.id for m in await session.recall_recent()] == [mid]
            status = await client.status()
            assert status.agent_id == agent.agent_id
            assert client.server is not None and client.server.generation == "0.2"


def test_extract_conflicts_summary_and_policy_on_0_2(current: LocalServer) -> None:
    session = current.client().agents.create(new_agent_id("curate")).activate()
    found = session.extract([{"role": "user", "content": "I prefer green tea in the morning. Hi!"}], dry_run=True)
    assert found.dry_run is True and len(found.candidates) >= 1
    stored = session.extract([{"role": "user", "content": "My sister lives in Porto and works as a nurse."}])
    assert stored.successful is not None and stored.successful >= 1
    summary = session.daily_summary()
    assert summary.export["total_memories"] >= 1
    assert session.conflicts().conflicts == ()
    policy = session.set_policy({"retention": {"event": "30d"}, "rules": []})
    assert policy.policy["retention"] == {"event": "30d"}
    assert session.policy().is_empty is False
    assert {p["name"] for p in session.policy_presets()} == {"conservative", "balanced", "aggressive"}
    sweep = session.apply_policy(dry_run=True)
    assert sweep.dry_run is True and sweep.expired == 0
    with pytest.raises(ValidationError, match="date"):
        session.daily_summary("yesterday")
    with pytest.raises(ValidationError, match="action"):
        session.resolve_conflict(0, "keep_neither")
    with pytest.raises(ValidationError, match="messages"):
        session.extract([])
