"""Temporal recall against the LocalServer, with known right answers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest

from memanto_client import Session, TemporalResult, ValidationError


def _pause() -> None:
    time.sleep(1.1)  # stored times have sub-second precision; keep events clearly apart


def test_supersede_changes_as_of_and_current(session: Session) -> None:
    a = session.remember("The team meets on Mondays", type="decision", tags=["meeting"])
    _pause()
    before = datetime.now(timezone.utc)
    _pause()
    op = session.supersede(a.memory_id, "The team meets on Thursdays", type="decision", tags=["meeting"])
    assert op.old_memory_id == a.memory_id and op.new_memory_id and op.status == "superseded"
    assert op.superseded_at is not None and op.superseded_at > before
    b_id = op.new_memory_id
    _pause()
    after = datetime.now(timezone.utc)

    then = session.recall_as_of("when does the team meet", before)
    assert isinstance(then, TemporalResult) and then.temporal_mode == "as_of"
    assert [m.id for m in then] == [a.memory_id]

    now = session.recall_as_of("when does the team meet", after)
    assert [m.id for m in now] == [b_id]

    current = session.recall_current("when does the team meet")
    assert current.temporal_mode == "current_only"
    assert [m.id for m in current] == [b_id]
    assert current[0].supersedes == a.memory_id

    # plain recall still sees both, and shows the trust fields
    both = {m.id: m for m in session.recall("when does the team meet")}
    assert set(both) == {a.memory_id, b_id}
    assert both[a.memory_id].is_superseded and both[a.memory_id].superseded_by == b_id

    changed = session.recall_changed_since(before)
    kinds = {m.id: m.change_type for m in changed}
    assert kinds == {a.memory_id: "updated", b_id: "created"}
    assert changed.temporal_mode == "changed_since"
    assert session.recall_changed_since(after).count == 0


def test_supersede_with_an_existing_memory(session: Session) -> None:
    old = session.remember("Budget is 10k")
    new = session.remember("Budget is 12k")
    op = session.supersede(old.memory_id, new_memory_id=new.memory_id)
    assert (op.old_memory_id, op.new_memory_id) == (old.memory_id, new.memory_id)
    assert [m.id for m in session.recall_current("budget")] == [new.memory_id]
    with pytest.raises(ValidationError):
        session.supersede(old.memory_id)  # neither content nor new_memory_id
    with pytest.raises(ValidationError):
        session.supersede(old.memory_id, "x", new_memory_id=new.memory_id)


@pytest.mark.parametrize("fmt", [
    lambda t: t,                                                    # aware datetime
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),                  # Z
    lambda t: t.astimezone(timezone(timedelta(hours=2))).isoformat(),  # +02:00
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f"),                   # naive string = UTC
])
def test_time_formats_agree(session: Session, fmt: Callable[[datetime], datetime | str]) -> None:
    session.remember("Paris trip booked", type="event")
    _pause()
    t = datetime.now(timezone.utc)
    assert session.recall_as_of("Paris trip", fmt(t)).count == 1
    assert session.recall_changed_since(fmt(t)).count == 0
    assert session.recall_as_of("Paris trip", fmt(t - timedelta(minutes=5))).count == 0


def test_date_only_and_bad_times(session: Session) -> None:
    session.remember("Invoice sent")
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert session.recall_as_of("invoice", tomorrow).count == 1
    assert session.recall_changed_since("2000-01-01").count == 1
    with pytest.raises(ValidationError, match="ISO-8601"):
        session.recall_as_of("invoice", "last tuesday")
    with pytest.raises(ValidationError, match="naive"):
        session.recall_changed_since(datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="required"):
        session.recall_as_of("invoice", None)


def test_type_filter_matching_none(session: Session) -> None:
    session.remember("Coffee at nine", type="fact")
    assert session.recall_current("coffee", types=["goal"]).count == 0
    assert session.recall_as_of("coffee", datetime.now(timezone.utc) + timedelta(seconds=5), types="goal").count == 0
    assert session.recall_current("coffee", types=["fact"]).count == 1


def test_limit_of_100_reports_capping(session: Session) -> None:
    for start in (0, 100):
        session.batch_remember([{"content": f"apple note {i}", "type": "observation"} for i in range(start, start + 75)])
    full = session.recall("apple note", limit=100)
    assert full.count == 100 and len(full) == 100
    assert full.total_available == 150
    assert full.truncated is True
    small = session.recall("apple note 7", limit=100, min_similarity=0.0)
    assert small.total_available is not None
    some = session.recall("apple", limit=100, types="fact")
    assert some.count == 0 and some.truncated is False
    cur = session.recall_current("apple note", limit=100)
    assert cur.count == 100 and cur.total_available == 150 and cur.truncated
