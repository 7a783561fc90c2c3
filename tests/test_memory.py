from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

from faults import FaultServer, Scripted
from memanto_client import Client, Memory, RecallResult, Session, ValidationError


def test_remember_and_recall(session: Session) -> None:
    r = session.remember(
        "Alex prefers oat milk in coffee", type="preference", tags=["drinks", "alex"],
        confidence=0.9, source="chat", provenance="observed", title="Alex's milk",
    )
    assert r.memory_id
    assert r.agent_id == session.agent_id
    assert r.session_id == session.session_id
    session.remember("The office moved to Berlin in March", type="event")
    session.remember("Deploys happen on Tuesdays", type="instruction")

    hits = session.recall("what milk does Alex drink?", limit=5)
    assert isinstance(hits, RecallResult)
    assert hits.count == len(hits) >= 1
    top = hits[0]
    assert isinstance(top, Memory)
    assert top.id == r.memory_id
    assert top.content == "Alex prefers oat milk in coffee"
    assert top.type == "preference"
    assert top.title == "Alex's milk"
    assert top.tags == ("drinks", "alex")
    assert top.confidence == pytest.approx(0.9)
    assert top.source == "chat"
    assert top.provenance == "observed"
    assert top.score is not None and 0 < top.score <= 1
    assert top.created_at is not None and top.created_at.tzinfo == timezone.utc
    assert abs(top.created_at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    scores = [m.score or 0.0 for m in hits]
    assert scores == sorted(scores, reverse=True)
    d = top.to_dict()
    assert d["id"] == r.memory_id and d["content"] == top.content
    assert set(top.extra) <= set(d)  # unknown fields are kept in extra and in to_dict()
    with pytest.raises(Exception):
        top.content = "changed"  # type: ignore[misc]


def test_recall_filters(session: Session) -> None:
    session.remember("Berlin office opens at nine", type="fact", tags=["office"])
    session.remember("Berlin office party on Friday", type="event", tags=["office", "social"])
    only_events = session.recall("Berlin office", types=["event"])
    assert [m.type for m in only_events] == ["event"]
    assert session.recall("Berlin office", types="goal").count == 0
    tagged = session.recall("Berlin office", tags=["social"])
    assert [m.content for m in tagged] == ["Berlin office party on Friday"]
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert session.recall("Berlin office", created_after=future).count == 0
    assert session.recall("Berlin office", created_before=future).count == 2
    assert session.recall("Berlin office", created_after="2000-01-01").count == 2
    assert session.recall("Berlin office", limit=1).count == 1
    assert session.recall("zebra unicorn quantum").count == 0


def test_recall_rejects_naive_datetime(session: Session) -> None:
    with pytest.raises(ValidationError, match="naive"):
        session.recall("x", created_after=datetime(2026, 1, 1))


def test_batch_remember(session: Session) -> None:
    items = [{"content": f"note number {i} about gardening", "type": "observation", "tags": [f"n{i}"]} for i in range(100)]
    result = session.batch_remember(items)
    assert result.total_submitted == 100
    assert result.successful == 100 and result.failed == 0
    assert len(result.memory_ids) == 100 and len(set(result.memory_ids)) == 100
    hits = session.recall("note number 42 gardening", limit=100)
    assert hits.count == 100
    assert any(m.tags == ("n42",) for m in hits)
    plain = session.batch_remember(["just a string memory"])
    assert plain.successful == 1


def test_answer_is_extractive_with_sources(session: Session) -> None:
    session.remember("Caroline went to the LGBTQ support group on 7 May 2023")
    session.remember("Melanie painted a sunrise by the lake")
    a = session.answer("When did Caroline go to the support group?")
    assert "7 May 2023" in a.answer
    assert str(a) == a.answer
    assert a.question == "When did Caroline go to the support group?"
    assert a.sources and a.sources[0].content.startswith("Caroline went")
    assert a.extra.get("mode") == "extractive"
    none = session.answer("quantum chromodynamics lattice")
    assert none.sources == ()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"content": ""}, "content must not be empty"),
        ({"content": "   "}, "content must not be empty"),
        ({"content": "x" * 10_001}, "10001 characters"),
        ({"content": "ok", "type": "facts"}, "unknown memory type"),
        ({"content": "ok", "provenance": "rumour"}, "unknown provenance"),
        ({"content": "ok", "confidence": 1.5}, "confidence"),
        ({"content": "ok", "confidence": -0.1}, "confidence"),
        ({"content": "ok", "tags": ["a,b"]}, "comma"),
        ({"content": "ok", "title": "t" * 101}, "title"),
    ],
)
def test_remember_validation_before_sending(kwargs: dict[str, Any], match: str) -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(ValidationError, match=match):
            session.remember(**kwargs)
        assert fs.requests == []


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda s: s.recall(""), "query must not be empty"),
        (lambda s: s.recall("q" * 1001), "1001 characters"),
        (lambda s: s.recall("q", limit=0), "limit"),
        (lambda s: s.recall("q", limit=101), "limit"),
        (lambda s: s.recall("q", min_similarity=2), "min_similarity"),
        (lambda s: s.recall("q", types=["nope"]), "unknown memory type"),
        (lambda s: s.answer(""), "question"),
        (lambda s: s.answer("q", temperature=1.5), "temperature"),
        (lambda s: s.batch_remember([]), "1 to 100"),
        (lambda s: s.batch_remember(["x"] * 101), "1 to 100"),
        (lambda s: s.batch_remember([{"content": "ok"}, {"content": ""}]), "memory 1"),
        (lambda s: s.batch_remember([{"text": "wrong key"}]), "content"),
        (lambda s: s.batch_remember([{"content": "x", "tags": "a"}]), "list of strings"),
    ],
)
def test_bad_arguments_never_reach_the_server(call: Callable[[Session], object], match: str) -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(ValidationError, match=match):
            call(session)
        assert fs.requests == []


def test_oversize_content_rejected_by_server_maps_to_validation() -> None:
    body = ('{"detail":{"error":"text_too_long","message":"Memory content exceeds maximum length of '
            '10000 characters","actual_length":12000,"max_length":10000}}')
    with FaultServer([Scripted(413, body)]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        # 10,000 characters passes the client check; this server is stricter and says 413
        with pytest.raises(ValidationError) as err:
            session.remember("x" * 10_000)
    assert err.value.status_code == 413
    assert err.value.code == "text_too_long"
    assert err.value.body["detail"]["max_length"] == 10000


def test_remember_wire_format() -> None:
    """Content in the JSON body; the other fields as the 0.0.8 server's query parameters."""
    with FaultServer([Scripted(200, '{"memory_id":"m1","status":"queued"}')]) as fs:
        session = Client(api_key="key-123", base_url=fs.url).session_from_token(_token())
        r = session.remember("hello", type="goal", tags=["a", "b"], confidence=0.5)
        assert r.memory_id == "m1" and r.status == "queued"
        req = fs.requests[0]
    assert req.method == "POST"
    assert req.path.startswith("/api/v2/agents/bot/remember?")
    assert "memory_type=goal" in req.path and "tags=a%2Cb" in req.path and "confidence=0.5" in req.path
    assert req.headers["authorization"] == "Bearer key-123"
    assert req.headers["x-session-token"] == _token()
    import json
    assert json.loads(req.body)["content"] == "hello"


def test_recall_is_get_with_query_parameters() -> None:
    with FaultServer([Scripted(200, '{"memories":[],"count":0}')]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        session.recall("a b", limit=3, types=["fact", "goal"])
        req = fs.requests[0]
    assert req.method == "GET"
    assert req.path == "/api/v2/agents/bot/recall?query=a+b&limit=3&memory_types=fact%2Cgoal"
    assert req.body == b""


def _token() -> str:
    from conftest import make_jwt

    return make_jwt({"agent_id": "bot", "namespace": "memanto_agent_bot", "session_id": "sess_aaaaaaaaaaaa",
                     "started_at": "2026-01-01T00:00:00", "expires_at": "2099-01-01T00:00:00"})
