"""Recall quality: does ``recall`` find the evidence of LoCoMo's questions?

    python -m benches.recall_quality [--data PATH] [--out DIR] [--conversations N]
                                     [--no-latency] [--no-context]

Every conversation is stored through memanto_client in its own agent of a LocalServer in
another process, each turn as the quickstart stores it (``memanto_client.datasets.locomo``),
and each of its questions with evidence is asked with ``recall`` (top 10). A question is a
hit@k when one of the first k memories carries one of its evidence dialogue ids. Ranking was
tuned on the first five conversations only (conv-26, -30, -41, -42, -43); the other five are
reported apart, as held out. Then recall latency (p50/p99, one call at a time) with every
conversation in one agent (x1, about 6k memories) and ten times over (x10, about 60k), as
``python -m benches`` measures it. Writes ``recall_quality.md`` and ``recall_quality.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from memanto_client.datasets.locomo import CATEGORIES, evidence_ids, load_samples, questions_with_evidence, turns_as_memories

from . import clients as cl
from .locomo import DEFAULT_DATA, FALLBACK_DATA
from .server import Admin, ServerProcess
from .workloads import WORKLOADS, Cell, run_sync

TUNED = ("conv-26", "conv-30", "conv-41", "conv-42", "conv-43")
DEPTH = 10


@dataclass
class Tally:
    """Questions asked and hits at 5 and at 10."""

    n: int = 0
    hit5: int = 0
    hit10: int = 0

    def add(self, rank: int | None) -> None:
        self.n += 1
        self.hit5 += rank is not None and rank < 5
        self.hit10 += rank is not None and rank < 10

    def merge(self, other: "Tally") -> None:
        self.n, self.hit5, self.hit10 = self.n + other.n, self.hit5 + other.hit5, self.hit10 + other.hit10

    def pct(self, k: int) -> float:
        return 100.0 * (self.hit5 if k == 5 else self.hit10) / max(self.n, 1)


@dataclass
class Conversation:
    sample_id: str
    memories: int
    total: Tally = field(default_factory=Tally)
    by_category: dict[str, Tally] = field(default_factory=dict)

    @property
    def tuned(self) -> bool:
        return self.sample_id in TUNED


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def evaluate(admin: Admin, sample: dict[str, Any], context: bool, index: int) -> Conversation:
    """Stores the conversation in a new agent and asks all its questions with evidence."""
    sample_id = str(sample.get("sample_id", f"conv-{index}"))
    session, _ = admin.agent(f"quality-{index}-{sample_id}")
    memories = turns_as_memories(sample, context=context)
    admin.ingest(session, memories)
    result = Conversation(sample_id, len(memories))
    for qa in questions_with_evidence(sample):
        wanted = evidence_ids(qa)
        recalled = session.recall(qa["question"][:1000], limit=DEPTH)
        rank = next((i for i, m in enumerate(recalled) if set(m.tags) & wanted), None)
        result.total.add(rank)
        category = CATEGORIES.get(qa.get("category", 0), "other")
        result.by_category.setdefault(category, Tally()).add(rank)
    return result


def quality(server: ServerProcess, samples: list[dict[str, Any]], context: bool = True) -> list[Conversation]:
    admin = Admin(server)
    try:
        out = []
        for i, sample in enumerate(samples):
            conv = evaluate(admin, sample, context, i)
            log(f"{conv.sample_id}: {conv.total.n} questions, hit@5 {conv.total.pct(5):.1f}%, "
                f"hit@10 {conv.total.pct(10):.1f}%")
            out.append(conv)
        return out
    finally:
        admin.close()


@dataclass(frozen=True)
class Latency:
    memories: int
    p50_ms: float
    p99_ms: float
    runs: list[tuple[float, float]]


def latency(server: ServerProcess, samples: list[dict[str, Any]], context: bool = True, reps: int = 5,
            seconds: float = 2.0, scale: int = 10) -> list[Latency]:
    """Recall p50/p99 (memanto sync, one call at a time) with all conversations in one agent,
    and `scale` times over in another; the two alternate, `reps` times; medians of the runs."""
    memories = [m for s in samples for m in turns_as_memories(s, context=context)]
    questions = [qa["question"][:1000] for s in samples for qa in s.get("qa", []) if qa.get("question")]
    admin = Admin(server)
    targets = {}
    try:
        for factor in (1, scale):
            session, target = admin.agent(f"latency-x{factor}")
            admin.ingest(session, memories * factor)
            targets[factor] = target
            log(f"ingested {len(memories) * factor} memories for the latency runs")
    finally:
        admin.close()
    runs: dict[int, list[Cell]] = {1: [], scale: []}
    for rep in range(reps):
        for factor in ((1, scale) if rep % 2 == 0 else (scale, 1)):
            client = cl.MemantoSync(targets[factor])
            try:
                cell = run_sync(client, WORKLOADS[0], questions, 1, 0.25, seconds, server.cpu_seconds)
            finally:
                client.close()
            if cell.errors:
                raise RuntimeError(f"{cell.errors} recall errors in the latency run")
            runs[factor].append(cell)
            log(f"recall at {len(memories) * factor} memories: p50 {cell.p50_ms:.2f} ms, p99 {cell.p99_ms:.2f} ms")
    return [Latency(len(memories) * f, statistics.median(c.p50_ms for c in cells),
                    statistics.median(c.p99_ms for c in cells), [(c.p50_ms, c.p99_ms) for c in cells])
            for f, cells in runs.items()]


def _row(name: str, t: Tally) -> str:
    return f"| {name} | {t.n} | {t.pct(5):.1f}% | {t.pct(10):.1f}% |"


def markdown(convs: list[Conversation], lat: list[Latency], context: bool) -> str:
    groups = [("tuned", [c for c in convs if c.tuned]), ("held out", [c for c in convs if not c.tuned])]
    lines = ["## Recall quality (LoCoMo evidence in the top 5 / top 10 of `recall`)", "",
             f"Ingestion: {'turn + the turn it answers as title' if context else 'turn alone'}; "
             "ranking tuned on the first five conversations only.", "",
             "| conversation | questions | hit@5 | hit@10 |", "|---|---:|---:|---:|"]
    for name, members in groups:
        total = Tally()
        for c in members:
            lines.append(_row(f"{c.sample_id} ({name})", c.total))
            total.merge(c.total)
        if members:
            lines.append(_row(f"**all {name}**", total).replace(f"| {total.n} |", f"| **{total.n}** |"))
    categories = sorted({k for c in convs for k in c.by_category})
    lines += ["", "| category | " + " | ".join(f"{n} hit@5 | {n} hit@10" for n, m in groups if m) + " |",
              "|---|" + "---:|---:|" * sum(1 for _, m in groups if m)]
    for cat in categories:
        cells = []
        for _, members in groups:
            if not members:
                continue
            t = Tally()
            for c in members:
                t.merge(c.by_category.get(cat, Tally()))
            cells.append(f"{t.pct(5):.1f}% (n={t.n}) | {t.pct(10):.1f}%")
        lines.append(f"| {cat} | " + " | ".join(cells) + " |")
    if lat:
        lines += ["", "| recall latency | p50 | p99 |", "|---|---:|---:|"]
        lines += [f"| {x.memories} memories | {x.p50_ms:.2f} ms | {x.p99_ms:.2f} ms |" for x in lat]
    return "\n".join(lines) + "\n"


def run(data: Path, out: Path, n_conversations: int | None, with_latency: bool, context: bool,
        reps: int = 5) -> tuple[list[Conversation], list[Latency]]:
    samples = load_samples(data)[:n_conversations]
    with tempfile.TemporaryDirectory(prefix="memanto-quality-") as tmp, ServerProcess(Path(tmp) / "q.db") as server:
        convs = quality(server, samples, context)
        lat = latency(server, samples, context, reps=reps) if with_latency else []
    out.mkdir(parents=True, exist_ok=True)
    (out / "recall_quality.md").write_text(markdown(convs, lat, context), encoding="utf-8")
    (out / "recall_quality.json").write_text(json.dumps({
        "data": data.name, "context": context,
        "conversations": [asdict(c) | {"tuned": c.tuned} for c in convs],
        "latency": [asdict(x) for x in lat],
    }, indent=1), encoding="utf-8")
    return convs, lat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.recall_quality", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="LoCoMo-format JSON (default: locomo10.json)")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="results folder")
    parser.add_argument("--conversations", type=int, default=None, help="only the first N conversations")
    parser.add_argument("--no-latency", action="store_true", help="skip the 6k/60k latency runs")
    parser.add_argument("--no-context", action="store_true", help="store each turn alone (no title)")
    parser.add_argument("--reps", type=int, default=5, help="latency repetitions (medians are reported)")
    args = parser.parse_args(argv)
    data = args.data or (DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    started = time.perf_counter()
    convs, lat = run(data, args.out, args.conversations, not args.no_latency, not args.no_context, args.reps)
    print(markdown(convs, lat, not args.no_context))
    log(f"done in {time.perf_counter() - started:.0f} s: {args.out / 'recall_quality.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
