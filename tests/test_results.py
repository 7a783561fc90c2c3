"""Result objects built in Rust from the parsed body: the same objects the Python parser makes,
lenient with wrong types, unknown fields kept, ``to_dict()`` the server's JSON; and the async
completion path (per-loop queue) under cancellation, several loops and threads."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memanto_client import AsyncClient, Client, ServerError
from memanto_client._types import (
    Answer,
    BatchRememberResult,
    ConflictList,
    Memory,
    MemoryOperation,
    RecallResult,
    SessionInfo,
    TemporalResult,
)

from conftest import make_jwt
from faults import FaultServer, Scripted

TOKEN = make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"})

TIMES = [
    "2026-12-01T10:00:00Z", "2026-12-01T10:00:00.123456+00:00", "2026-12-01T10:00:00", "2026-12-01",
    "2026-12-01T12:00:00+02:00", "not a time", "", "10000-01-01T00:00:00Z", "2026-13-01T00:00:00Z",
]
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12), st.sampled_from(TIMES),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


def fields_of(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k not in ("_raw", "extra")}


def same(built: Any, parsed: Any) -> None:
    assert type(built) is type(parsed)
    assert fields_of(built) == fields_of(parsed)
    assert dict(built.extra) == dict(parsed.extra)
    assert built.to_dict() == parsed.to_dict()
    assert built == parsed and repr(built) == repr(parsed)


def objects(cls: type) -> st.SearchStrategy[dict[str, Any]]:
    known = [f.name for f in dataclasses.fields(cls) if f.name not in ("extra", "_raw")]
    keys = st.sampled_from(known + ["unknown_a", "text", "ttl_seconds"])
    return st.dictionaries(keys, json_values, max_size=12)


@settings(max_examples=300, deadline=None)
@given(objects(Memory))
def test_memory_built_in_rust_equals_the_python_parser(data: dict[str, Any]) -> None:
    same(Memory._builder.build_from(data), Memory._from(data))


@settings(max_examples=150, deadline=None)
@given(objects(RecallResult), st.lists(objects(Memory) | json_scalars, max_size=4))
def test_recall_result_with_nested_memories(data: dict[str, Any], memories: list[Any]) -> None:
    data = dict(data, memories=memories)
    same(RecallResult._builder.build_from(data, {"limit": 7}), RecallResult._parse(data, limit=7))
    same(TemporalResult._builder.build_from(data, {"limit": None}), TemporalResult._parse(data))


@settings(max_examples=100, deadline=None)
@given(objects(Answer), objects(BatchRememberResult), objects(ConflictList), objects(SessionInfo),
       objects(MemoryOperation))
def test_every_other_built_class(answer: dict[str, Any], batch: dict[str, Any], conflicts: dict[str, Any],
                                 info: dict[str, Any], op: dict[str, Any]) -> None:
    same(Answer._builder.build_from(answer), Answer._parse(answer))
    same(BatchRememberResult._builder.build_from(batch), BatchRememberResult._parse(batch))
    same(ConflictList._builder.build_from(conflicts), ConflictList._parse(conflicts))
    same(SessionInfo._builder.build_from(info), SessionInfo._from(info))
    same(MemoryOperation._builder.build_from(op), MemoryOperation._from(op))


ODD = {
    "memories": [
        {"id": "m1", "content": "tea", "score": "high", "confidence": True, "tags": ["a", 3, None, "b"],
         "created_at": "2026-12-01T10:00:00Z", "updated_at": 12, "validation_count": 2.5,
         "contradiction_detected": "no", "vendor_field": {"nested": [1, 2]}},
        "not a memory",
        {"id": "m2", "content": "coffee", "tags": "x", "created_at": "2026-12-01"},
    ],
    "count": "two", "total_available": 9, "note": "kept",
}


def test_timestamps_stay_right_past_the_per_thread_cache() -> None:
    # Converted timestamps are kept per thread (1,024 of them, then it starts over): 2,100
    # distinct ones, each seen twice, in offsets and forms the parser must still tell apart.
    for i in range(2100):
        text = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}" + ("Z", "+02:00", "", ".5")[i % 4]
        for _ in range(2):
            data = {"id": f"m{i}", "content": "c", "created_at": text, "updated_at": text}
            built = Memory._builder.build_from(data)
            assert built.created_at is not None and built.created_at == Memory._from(data).created_at, text
            assert built.updated_at == built.created_at


def test_short_strings_stay_right_past_the_per_thread_cache() -> None:
    # Short strings (up to 24 bytes) are kept per thread, one per hash slot (512), the newest
    # winning: 3,000 distinct ones of every length up to 24 and one past it (colliding in
    # slots, non-ASCII among them), in fields and tags, each seen twice, must come back as sent.
    for i in range(3000):
        word = (f"w{i}é" if i % 3 else f"type-{i}")[: 1 + i % 25].ljust(1 + i % 26, "x")
        for _ in range(2):
            data = {"id": "m", "content": "c", "type": word, "status": word[::-1],
                    "tags": [word, word + "!", ""], "title": None, "source": None}
            built = Memory._builder.build_from(data)
            assert (built.type, built.status, built.tags) == (word, word[::-1], (word, word + "!", "")), word
            assert built.title is None and built.source is None and built.to_dict() == data
            same(built, Memory._from(data))


def test_fields_found_whatever_order_the_keys_come_in() -> None:
    # The builder predicts each key from the order it saw last; a server that changes its
    # order (or adds keys) must still get every field right.
    import random

    base = {"id": "m1", "content": "c", "type": "fact", "confidence": 0.5, "tags": ["a", "b"],
            "created_at": "2026-03-01T00:00:00Z", "title": "t", "novel": 1, "also_new": [1]}
    rng = random.Random(7)
    for _ in range(50):
        keys = list(base)
        rng.shuffle(keys)
        data = {k: base[k] for k in keys[: rng.randint(1, len(keys))]}
        same(Memory._builder.build_from(data), Memory._from(data))


def test_wrong_types_over_the_wire_become_none_and_stay_in_to_dict() -> None:
    with FaultServer([Scripted(200, json.dumps(ODD))]) as fs:
        result = Client(api_key="k", base_url=fs.url).session_from_token(TOKEN).recall("tea", limit=5)
    first, second = result
    assert (first.score, first.confidence, first.updated_at, first.validation_count) == (None, None, None, None)
    assert first.contradiction_detected is None and first.tags == ("a", "b")
    assert first.created_at == datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    assert second.tags == () and second.created_at == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert isinstance(first.extra, Mapping) and first.extra["vendor_field"] == {"nested": [1, 2]}
    assert dict(first.extra) == {"vendor_field": {"nested": [1, 2]}} and len(first.extra) == 1
    assert second.extra == {} and "vendor_field" not in second.extra
    assert result.count is None and result.limit == 5 and result.extra.get("note") == "kept"
    assert result.to_dict() == ODD and first.to_dict() == ODD["memories"][0]
    again = result.to_dict()
    again["memories"].clear()  # a deep copy each time
    assert result.to_dict() == ODD


@pytest.mark.parametrize("body, shown", [("[1, 2]", "list"), ('"text"', "str"), ("3", "int"), ("null", "NoneType")])
def test_a_body_of_the_wrong_shape_is_a_server_error(body: str, shown: str) -> None:
    with FaultServer([Scripted(200, body)]) as fs:
        session = Client(api_key="k", base_url=fs.url).session_from_token(TOKEN)
        with pytest.raises(ServerError, match=f"expected a JSON object, got {shown}"):
            session.recall("tea")


def test_a_body_that_is_not_json_says_so_sync_and_async() -> None:
    html = Scripted(200, "<html>oops</html>", headers={"Content-Type": "text/html"})
    with FaultServer([html]) as fs:
        with pytest.raises(ServerError, match=r"HTTP 200 with a body that is not JSON \(text/html"):
            Client(api_key="k", base_url=fs.url, max_retries=0).session_from_token(TOKEN).recall("tea")

        async def go() -> None:
            session = AsyncClient(api_key="k", base_url=fs.url, max_retries=0).session_from_token(TOKEN)
            with pytest.raises(ServerError, match="not JSON"):
                await session.recall("tea")

        asyncio.run(go())


def test_cancelled_calls_free_their_connection() -> None:
    """max_connections=1: a stalled call cancelled by wait_for must give the connection back."""
    slow = Scripted(200, '{"memories":[],"count":0}', delay=1.5)
    fast = Scripted(200, '{"memory_id":"m9"}')
    with FaultServer([slow], routes={"/api/v2/agents/bot/remember": [fast]}) as fs:

        async def go() -> float:
            session = AsyncClient(api_key="k", base_url=fs.url, max_connections=1).session_from_token(TOKEN)
            for _ in range(3):
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(session.recall("slow"), 0.1)
            start = time.monotonic()
            assert (await session.remember("after")).memory_id == "m9"
            return time.monotonic() - start

        assert asyncio.run(go()) < 1.0


def test_event_loops_on_several_threads_share_one_client(server: Any) -> None:
    client = AsyncClient(api_key=server.api_key, base_url=server.url)
    seen: dict[int, list[int]] = {}

    def thread_main(k: int) -> None:
        async def go() -> list[int]:
            got = await asyncio.gather(*(client.agents.list() for _ in range(20)))
            return [len(a) for a in got]

        seen[k] = asyncio.run(go())

    threads = [threading.Thread(target=thread_main, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(seen) == [0, 1, 2, 3] and all(len(v) == 20 and len(set(v)) == 1 for v in seen.values())


def test_an_unawaited_call_is_dropped_without_noise(recwarn: pytest.WarningsRecorder) -> None:
    with FaultServer([Scripted(200, '{"memories":[],"count":0}', delay=0.5)]) as fs:

        async def go() -> int:
            session = AsyncClient(api_key="k", base_url=fs.url).session_from_token(TOKEN)
            # The native awaitable behind the coroutine, dropped without being awaited.
            native: Any = getattr(session, "_native")
            pending = native.recall("never awaited", None, None, None, None, [], [], None)
            del pending  # dropped: its request goes with it
            await asyncio.sleep(0.7)
            return len(fs.requests)

        assert asyncio.run(go()) <= 1
    assert [w for w in recwarn if "never awaited" in str(w.message)] == []
