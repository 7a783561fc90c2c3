"""The benchmark's data: LoCoMo turns as memories, LoCoMo questions as queries, and notes to
remember.

Every turn becomes a memory as ``examples/quickstart.py`` stores it
(``memanto_client.datasets.locomo.turns_as_memories``). Notes written by the remember workloads use words that occur in
no LoCoMo question, so the writes of one benchmark cell never change how much work the recall
queries of a later cell cost the server.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from memanto_client.datasets.locomo import load_samples, turns_as_memories

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "locomo10.json"
FALLBACK_DATA = REPO / "examples" / "data" / "locomo-conv-26.json"

#: Filler for remembered notes: no word of it occurs in a LoCoMo question.
NOTE_TEXT = "lorem ipsum dolor amet consectetur adipiscing elit sed eiusmod tempor incididunt ut labore et magna aliqua"


@dataclass(frozen=True)
class Dataset:
    memories: list[dict[str, Any]]
    questions: list[str]

    def subset(self, n_memories: int, n_questions: int) -> "Dataset":
        return Dataset(self.memories[:n_memories], self.questions[:n_questions])


def load(path: Path) -> Dataset:
    samples = load_samples(path)
    memories = [m for sample in samples for m in turns_as_memories(sample)]
    questions = [qa["question"][:1000] for sample in samples for qa in sample.get("qa", []) if qa.get("question")]
    return Dataset(memories, questions)


def batches(items: list[Any], size: int = 100) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass(frozen=True)
class Item:
    """The input of one workload operation."""

    question: str

    @property
    def note(self) -> str:
        return f"benchmark note {uuid.uuid4().hex}: {NOTE_TEXT}"


def items(questions: list[str], start: int) -> Iterator[Item]:
    """An endless walk through the questions, from `start` (each worker starts elsewhere)."""
    start %= len(questions)
    return (Item(q) for q in itertools.cycle(questions[start:] + questions[:start]))
