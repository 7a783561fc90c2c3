"""The recall-quality benchmark on the bundled conversation: it stores every turn, asks every
question with evidence, and the LocalServer finds the evidence of most of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from memanto_client.datasets.locomo import load_samples, questions_with_evidence, turns_as_memories

REPO = Path(__file__).resolve().parent.parent
CONV_26 = REPO / "examples" / "data" / "locomo-conv-26.json"


def test_turns_carry_the_turn_they_answer_as_title() -> None:
    sample = load_samples(CONV_26)[0]
    memories = turns_as_memories(sample)
    assert len(memories) == 419
    first, second = memories[0], memories[1]
    assert "title" not in first  # a session's first turn answers nothing
    assert first["tags"] == ["D1:1"] and first["content"].startswith("[1:56 pm on 8 May, 2023] Caroline: ")
    assert second["title"] == sample["conversation"]["session_1"][0]["text"]  # short: whole
    long_reply = next(m for m in memories if m.get("title", "").startswith("…"))
    assert 50 < len(long_reply["title"]) <= 100 and not long_reply["title"].startswith("… ")
    assert all(len(m.get("title", "")) <= 100 for m in memories)
    assert all("title" not in m for m in turns_as_memories(sample, context=False))


def test_one_conversation_finds_most_evidence(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benches.recall_quality", "--data", str(CONV_26), "--no-latency",
         "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    raw = json.loads((tmp_path / "recall_quality.json").read_text(encoding="utf-8"))
    (conv,) = raw["conversations"]
    assert conv["sample_id"] == "conv-26" and conv["tuned"] is True
    total = conv["total"]
    assert total["n"] == len(questions_with_evidence(load_samples(CONV_26)[0])) == 197
    assert total["hit5"] <= total["hit10"] <= total["n"]
    # Plain BM25 over the bare turns found 60.4% here; the floor is loose but above it.
    assert total["hit5"] / total["n"] > 0.65, total
    assert sum(t["n"] for t in conv["by_category"].values()) == total["n"]
    table = (tmp_path / "recall_quality.md").read_text(encoding="utf-8")
    assert "| conv-26 (tuned) | 197 |" in table
