"""LoCoMo conversations (Snap Research, CC BY-NC 4.0) as memories, and their questions.

Every dialogue turn becomes one memory through the public API, so the same ingestion works
against the LocalServer and a real server:

- ``content``: ``[<session date>] <speaker>: <text>`` (a shared photo as
  ``[shares a photo: <caption>]``), what the agent would remember and show;
- ``title``: the words of the turn it answers (the previous turn of the same session, without
  its photo caption; of a longer one its
  end, where the question usually is, within the API's 100-character title limit), so that
  an answer is found by the words of its question;
- ``tags``: the turn's dialogue id (``D3:7``), which LoCoMo's evidence lists name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: The API's longest memory title, in characters.
MAX_TITLE_CHARS = 100
#: The API's longest memory content used here, in characters.
MAX_CONTENT_CHARS = 10_000
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}


def load_samples(path: Path) -> list[dict[str, Any]]:
    """The conversations of a LoCoMo-format JSON file (one object or a list of them)."""
    samples = json.loads(Path(path).read_text(encoding="utf-8"))
    return [samples] if isinstance(samples, dict) else list(samples)


def _turn_text(turn: dict[str, Any]) -> str:
    text = str(turn.get("text", ""))
    if turn.get("blip_caption"):
        text += f" [shares a photo: {turn['blip_caption']}]"
    return text


def _tail(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """`text`, or its end from a word boundary behind an ellipsis, in at most `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    tail = text[-(limit - 1):]
    cut = tail.find(" ")
    if 0 <= cut < limit // 3:
        tail = tail[cut + 1:]
    return "…" + tail


def turns_as_memories(sample: dict[str, Any], *, context: bool = True) -> list[dict[str, Any]]:
    """Every turn of the conversation as a memory (see the module's description); with
    ``context=False`` no title (the turn alone)."""
    conv = sample["conversation"]
    sessions = sorted(int(m.group(1)) for k in conv if (m := re.fullmatch(r"session_(\d+)", k)))
    memories = []
    for n in sessions:
        date = conv.get(f"session_{n}_date_time", f"session {n}")
        previous: str | None = None
        for turn in conv[f"session_{n}"]:
            text = _turn_text(turn)
            memory: dict[str, Any] = {
                "content": f"[{date}] {turn['speaker']}: {text}"[:MAX_CONTENT_CHARS],
                "type": "event",
                "tags": [turn["dia_id"]],
                "source": "locomo",
            }
            if context and previous and previous.strip():
                memory["title"] = _tail(previous)
            memories.append(memory)
            previous = str(turn.get("text", "")) or text
    return memories


def evidence_ids(qa: dict[str, Any]) -> set[str]:
    """The dialogue ids a question's evidence names."""
    ids: set[str] = set()
    for e in qa.get("evidence") or []:
        ids.update(p.strip() for p in re.split(r"[;,\s]+", str(e)) if p.strip())
    return ids


def questions_with_evidence(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """The conversation's questions that name evidence turns."""
    return [qa for qa in sample.get("qa", []) if evidence_ids(qa)]
