"""A sustained mixed load: many concurrent clients against a LocalServer in another process.

    python -m benches.load [--clients 64] [--duration 60] [--data PATH] [--out DIR]

The server is loaded with the LoCoMo turns first (one agent, as the quickstart stores them).
Then ``--clients`` async memanto_client sessions (one AsyncClient each) loop for
``--duration`` seconds over a mix of operations: remember, recall, answer, recall_as_of and
recall_changed_since. Every call is timed; every exception is counted as an error (and the
first few are printed). Reports p50/p99 per operation, throughput, errors, and the server's
resident memory (RSS) before and after. Exits 1 when any call failed. Writes ``load.md``
and ``load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

import memanto_client

from .clients import Target
from .locomo import DEFAULT_DATA, FALLBACK_DATA, Item, load
from .server import Admin, ServerProcess
from .workloads import quantile

#: Operation -> relative frequency in the mix.
MIX = {"recall": 4, "remember": 2, "answer": 2, "recall_as_of": 1, "recall_changed_since": 1}


def rss_kib(pid: int) -> int:
    """The process's resident set size in KiB (Linux /proc; -1 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


@dataclass(frozen=True)
class OpStats:
    op: str
    calls: int
    errors: int
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class LoadResult:
    clients: int
    seconds: float
    memories_before: int
    rss_before_kib: int
    rss_after_kib: int
    ops: list[OpStats]
    error_samples: list[str]

    @property
    def errors(self) -> int:
        return sum(o.errors for o in self.ops)

    @property
    def calls(self) -> int:
        return sum(o.calls for o in self.ops)


def operations(session: Any, started: datetime) -> dict[str, Callable[[Item], Awaitable[Any]]]:
    since = started - timedelta(seconds=1)
    return {
        "recall": lambda it: session.recall(it.question, limit=10),
        "remember": lambda it: session.remember(it.note, type="event"),
        "answer": lambda it: session.answer(it.question),
        "recall_as_of": lambda it: session.recall_as_of(it.question, datetime.now(timezone.utc), limit=10),
        "recall_changed_since": lambda it: session.recall_changed_since(since, limit=10),
    }


async def drive(target: Target, questions: list[str], clients: int, duration: float,
                seed: int = 7) -> tuple[dict[str, list[float]], dict[str, int], list[str], float]:
    latencies: dict[str, list[float]] = {op: [] for op in MIX}
    errors: dict[str, int] = {op: 0 for op in MIX}
    samples: list[str] = []
    started = datetime.now(timezone.utc)
    names = [op for op, w in MIX.items() for _ in range(w)]

    async def client(worker: int, deadline: float) -> None:
        rng = random.Random(seed + worker)
        c = memanto_client.AsyncClient(api_key=target.api_key, base_url=target.base_url)
        try:
            session = c.session_from_token(target.token, agent_id=target.agent_id)
            ops = operations(session, started)
            while time.perf_counter() < deadline:
                op = rng.choice(names)
                item = Item(rng.choice(questions))
                t0 = time.perf_counter()
                try:
                    await ops[op](item)
                except Exception as exc:  # every failure is counted and reported
                    errors[op] += 1
                    if len(samples) < 5:
                        samples.append(f"{op}: {type(exc).__name__}: {exc}"[:300])
                    continue
                latencies[op].append(time.perf_counter() - t0)
        finally:
            await c.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i, t0 + duration) for i in range(clients)))
    return latencies, errors, samples, time.perf_counter() - t0


def run(data: Path, clients: int, duration: float, memories: int | None = None) -> LoadResult:
    dataset = load(data)
    stored = dataset.memories[:memories] if memories else dataset.memories
    with tempfile.TemporaryDirectory(prefix="memanto-load-") as tmp, ServerProcess(Path(tmp) / "load.db") as server:
        admin = Admin(server)
        try:
            session, target = admin.agent("load")
            admin.ingest(session, stored)
        finally:
            admin.close()
        rss_before = rss_kib(server.proc.pid)
        latencies, errors, samples, seconds = asyncio.run(drive(target, dataset.questions, clients, duration))
        rss_after = rss_kib(server.proc.pid)
    ops = []
    for op in MIX:
        lat = sorted(latencies[op])
        nan = float("nan")
        ops.append(OpStats(op, len(lat), errors[op], 1e3 * quantile(lat, 0.5) if lat else nan,
                           1e3 * quantile(lat, 0.99) if lat else nan))
    return LoadResult(clients, seconds, len(stored), rss_before, rss_after, ops, samples)


def markdown(r: LoadResult) -> str:
    lines = [f"## Load: {r.clients} concurrent clients for {r.seconds:.1f} s ({r.memories_before} memories stored first)",
             "", "| operation | calls | calls/s | errors | p50 | p99 |", "|---|---:|---:|---:|---:|---:|"]
    for o in r.ops:
        lines.append(f"| {o.op} | {o.calls} | {o.calls / r.seconds:.0f} | {o.errors} | {o.p50_ms:.2f} ms | {o.p99_ms:.2f} ms |")
    lines.append(f"| **all** | {r.calls} | {r.calls / r.seconds:.0f} | **{r.errors}** | | |")
    lines += ["", f"Server RSS: {r.rss_before_kib / 1024:.1f} MiB before, {r.rss_after_kib / 1024:.1f} MiB after."]
    if r.error_samples:
        lines += ["", "First errors:"] + [f"- `{e}`" for e in r.error_samples]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--memories", type=int, default=None, help="store only the first N turns")
    parser.add_argument("--data", type=Path, default=None, help="LoCoMo-format JSON (default: locomo10.json)")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="results folder")
    args = parser.parse_args(argv)
    data = args.data or (DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    result = run(data, args.clients, args.duration, args.memories)
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(result)
    (args.out / "load.md").write_text(text, encoding="utf-8")
    (args.out / "load.json").write_text(json.dumps(asdict(result), indent=1), encoding="utf-8")
    print(text)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
