"""Bad input found by an adversarial review of the two-generation API: each gets a clear
ValidationError naming the argument, before anything is sent; nothing crashes the
interpreter."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterator

import pytest

from conftest import new_agent_id
from faults import FaultServer, Scripted
from memanto_client import Client, LocalServer, ServerError, Session, ValidationError


@pytest.fixture(scope="module")
def current() -> Iterator[LocalServer]:
    with LocalServer(api_version="0.2") as srv:
        yield srv


@pytest.fixture
def s02(current: LocalServer) -> Iterator[Session]:
    with current.client().agents.create(new_agent_id("bad")).activate() as s:
        yield s


def test_cyclic_and_deep_json_is_refused_not_a_crash(s02: Session, current: LocalServer) -> None:
    cyc: dict[str, Any] = {}
    cyc["a"] = cyc
    with pytest.raises(ValidationError, match="contains itself"):
        s02.set_policy(cyc)
    deep: dict[str, Any] = {}
    cur = deep
    for _ in range(20_000):
        cur["a"] = {}
        cur = cur["a"]
    with pytest.raises(ValidationError, match="levels deep"):
        s02.set_policy(deep)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValidationError, match="contains itself"):
        current.client().agents.create(new_agent_id("m"), metadata={"l": loop})


def test_json_that_would_change_meaning_is_refused(s02: Session) -> None:
    cases: list[tuple[Any, str]] = [
        ({"rules": [{"name": "low", "match": {"confidence_below": float("nan")}, "expire_after": "1m"}]}, "nan"),
        ({"retention": {"context": float("inf")}}, "inf"),
        ({"rules": [{"name": "x", "match": {"types": ["context"]}, "expire_after": "1m"}]}, "types"),
        ({"retention": {}, "zzz": 1}, "zzz"),
        ({1: "x"}, "key of type int"),
        ({"r": b"30d"}, "bytes"),
        ({"version": 10**30}, "too large"),
        ({"z": datetime.now(timezone.utc)}, "datetime"),
    ]
    for bad, match in cases:
        with pytest.raises(ValidationError, match=match):
            s02.set_policy(bad)
    assert s02.policy().is_empty is True  # nothing was stored


def test_wrong_types_name_the_argument(s02: Session) -> None:
    mid = s02.remember("a memory").memory_id
    for call, name in (
        (lambda: s02.recall("x", status=5), "status"),  # type: ignore[arg-type]
        (lambda: s02.recall(5), "query"),  # type: ignore[arg-type]
        (lambda: s02.expire(None), "memory_id"),  # type: ignore[arg-type]
        (lambda: s02.expire(mid, reason=5), "reason"),  # type: ignore[arg-type]
        (lambda: s02.restore(b"x"), "memory_id"),  # type: ignore[arg-type]
        (lambda: s02.update(mid, content=5), "content"),  # type: ignore[arg-type]
        (lambda: s02.policy_preset(None), "name"),  # type: ignore[arg-type]
        (lambda: s02.resolve_conflict(0, None), "action"),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError, match=name):
            call()
    assert s02.recall("a memory")[0].content == "a memory"  # nothing was lost


def test_integers_out_of_range(s02: Session) -> None:
    with pytest.raises(ValidationError, match="limit"):
        s02.recall_all(limit=10**20)
    with pytest.raises(ValidationError, match="index"):
        s02.resolve_conflict(10**20, "keep_new")
    with pytest.raises(ValidationError, match="max_memories"):
        s02.extract([{"role": "user", "content": "I like tea."}], max_memories=-1)
    with pytest.raises(ValidationError, match="dry_run"):
        s02.extract([{"role": "user", "content": "I like tea."}], dry_run="no")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="dry_run"):
        s02.apply_policy(dry_run=None)  # type: ignore[arg-type]


def test_dates_accept_date_objects(s02: Session) -> None:
    today = datetime.now(timezone.utc).date()
    assert s02.daily_summary(today).date == today.isoformat()
    assert s02.conflicts(date(2026, 1, 2)).date == "2026-01-02"
    with pytest.raises(ValidationError, match="naive"):
        s02.conflicts(datetime(2026, 1, 2))


def test_preset_dots_pins_and_long_values(s02: Session, current: LocalServer) -> None:
    for name in (".", ".."):
        with pytest.raises(ValidationError, match="preset name"):
            s02.policy_preset(name)
    for pin in ("0.9", "1", "current", "0.1"):
        with pytest.raises(ValidationError, match="api_version"):
            current.client(api_version=pin)
    with pytest.raises(ValidationError) as err:
        s02.recall("x", status="x" * 200_000)
    assert len(str(err.value)) < 300


def test_a_server_without_a_memanto_version_is_not_taken_for_one() -> None:
    for body in ("{}", '{"version": null}', '{"version": "abc"}'):
        with FaultServer([Scripted(200, body)], version=None) as fs:
            with pytest.raises(ServerError, match="no Memanto version"):
                Client(api_key="k", base_url=fs.url).detect_server()


def test_resolving_twice_says_so(s02: Session) -> None:
    s02.remember("Alex's favourite colour is blue", type="preference", title="favourite colour")
    s02.remember("Alex's favourite colour is green", type="preference", title="favourite colour")
    s02.generate_conflicts()
    found = s02.conflicts()
    assert len(found) >= 1
    s02.resolve_conflict(found[0].index or 0, "keep_both")
    from memanto_client import ConflictError

    with pytest.raises(ConflictError) as err:
        s02.resolve_conflict(found[0].index or 0, "keep_both")
    assert "agent" not in str(err.value) and "conflicts()" in str(err.value)
