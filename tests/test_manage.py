"""Memory management, file upload and session listing against the LocalServer."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import new_agent_id
from memanto_client import Client, NotFoundError, Session, ValidationError


def test_validate_counts(session: Session) -> None:
    m = session.remember("The API rate limit is 100 per minute")
    one = session.validate(m.memory_id)
    assert one.status == "validated" and one.validation_count == 1
    assert one.validated_at is not None and one.validated_at.tzinfo == timezone.utc
    two = session.validate(m.memory_id)
    assert two.validation_count == 2
    assert session.recall("rate limit")[0].validation_count == 2


def test_contradict_keeps_memory_flagged(session: Session) -> None:
    m = session.remember("The office has a gym")
    op = session.contradict(m.memory_id, reason="the gym closed in May")
    assert op.status == "contradicted" and op.memory_id == m.memory_id
    cur = session.recall_current("office gym")
    assert [x.id for x in cur] == [m.memory_id]
    assert cur[0].is_contradicted
    assert cur[0].extra.get("_warning") == "contradicted"


def test_update_keeps_id_and_reindexes(session: Session) -> None:
    m = session.remember("Favourite colour is blue", type="preference")
    op = session.update(m.memory_id, content="Favourite colour is green", confidence=0.95)
    assert op.memory_id == m.memory_id
    assert set(op.updated_fields) >= {"content", "confidence"}
    assert session.recall("green")[0].id == m.memory_id
    assert session.recall("green")[0].confidence == pytest.approx(0.95)
    assert session.recall("blue").count == 0
    with pytest.raises(ValidationError, match="at least one field"):
        session.update(m.memory_id)


def test_delete_removes_from_every_recall(session: Session) -> None:
    keep = session.remember("Cats need water daily")
    gone = session.remember("Cats need vaccinations yearly")
    op = session.delete(gone.memory_id)
    assert op.status == "deleted"
    assert [m.id for m in session.recall("cats need")] == [keep.memory_id]
    assert [m.id for m in session.recall_current("cats need")] == [keep.memory_id]
    assert [m.id for m in session.recall_as_of("cats need", datetime.now(timezone.utc))] == [keep.memory_id]
    assert [m.id for m in session.recall_changed_since("2000-01-01")] == [keep.memory_id]


@pytest.mark.parametrize("call", ["validate", "contradict", "delete"])
def test_unknown_memory_ids(session: Session, call: str) -> None:
    with pytest.raises(NotFoundError) as err:
        getattr(session, call)("00000000-0000-4000-8000-000000000000")
    assert err.value.status_code == 404
    assert "memory id" in str(err.value)


def test_upload_text_markdown_json_csv(session: Session, tmp_path: Path) -> None:
    txt = tmp_path / "notes.txt"
    txt.write_text("First paragraph about llamas.\n\nSecond paragraph mentions the zeppelin hangar.\n\nThird one.")
    md = tmp_path / "guide.md"
    md.write_text("# Setup\nInstall the widget.\n\n## Usage\nTurn the crank twice.\n")
    js = tmp_path / "items.json"
    js.write_text(json.dumps([{"name": "quokka", "legs": 4}, {"name": "kiwi", "legs": 2}]))
    csv = tmp_path / "people.csv"
    csv.write_text("name,city\nAda,London\nGrace,Arlington\n")
    for path, needle in [(txt, "zeppelin"), (md, "crank"), (js, "quokka"), (csv, "Arlington")]:
        r = session.upload_file(path)
        assert r.status == "uploaded" and r.file_name == path.name
        assert r.memories_created and r.memories_created >= 1 and len(r.memory_ids) == r.memories_created
        hits = session.recall(needle)
        assert hits.count >= 1 and needle in hits[0].content and hits[0].id in r.memory_ids
    assert session.upload_file(js).memories_created == 2
    assert session.upload_file(csv).memories_created == 2


def test_upload_refusals(session: Session, tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4 fake")
    with pytest.raises(ValidationError) as err:
        session.upload_file(pdf)
    assert err.value.status_code == 415
    assert "not supported by the LocalServer" in str(err.value)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(ValidationError, match="cannot be uploaded"):
        session.upload_file(exe)
    with pytest.raises(ValidationError, match="cannot read"):
        session.upload_file(tmp_path / "missing.txt")


def test_sessions_listing_has_no_tokens(client: Client) -> None:
    agent = client.agents.create(new_agent_id("list"))
    with agent.activate() as s:
        listed = client.sessions()
        mine = [r for r in listed if r.agent_id == agent.agent_id]
        assert len(mine) == 1 and mine[0].session_id == s.session_id
        assert mine[0].status == "active"
        assert "session_token" not in mine[0].to_dict()
        assert s.session_token not in repr(listed)
    agent.delete()
