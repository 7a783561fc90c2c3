"""The soak: many recalls through one memanto client, watching the client process's memory.

    python -m benches --soak [--soak-calls 200000] [--soak-tasks 64] [--out bench-results]

A LocalServer in another process is loaded with the LoCoMo turns; then ``--soak-calls``
recalls (LoCoMo questions, limit 10) go through one ``memanto_client.Client`` one after
another (sync), then as many through one ``AsyncClient`` from ``--soak-tasks`` tasks. The
client process's resident set size (RSS, ``/proc/self/statm``; the server's too, for context)
is sampled every 10,000 calls; each phase passes when no call failed and RSS grew by less
than 10 MB (10^6 bytes) from the 10,000th call to the last (the
first 10,000 calls warm up allocator pools, connection pools and caches). Latencies go into a
buffer allocated before the first call, so the soak itself adds nothing to the RSS it watches.
Writes ``soak.md`` and ``soak.json`` to ``--out``; exits 1 when a phase fails or a call fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import sys
import tempfile
import time
from array import array
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import clients as cl
from .locomo import Dataset, Item
from .server import Admin, ServerProcess
from .workloads import quantile

SAMPLE_EVERY = 10_000
GROWTH_LIMIT_MB = 10.0
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mb(pid: int | str = "self") -> float:
    """Current resident set size of a process in MB (10^6 bytes; Linux /proc, else the peak from
    getrusage)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6 if pid == "self" else float("nan")


def sample_every(calls: int) -> int:
    """Every 10,000 calls; a tenth of the calls for runs too short for that (development)."""
    return SAMPLE_EVERY if calls >= 2 * SAMPLE_EVERY else max(1, calls // 10)


@dataclass
class Phase:
    name: str
    concurrency: int
    every: int
    calls: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    #: (calls completed, client RSS MB, server RSS MB), every `every` calls and at the end.
    samples: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def rss_first(self) -> float:
        return self.samples[0][1] if self.samples else float("nan")

    @property
    def rss_end(self) -> float:
        return self.samples[-1][1] if self.samples else float("nan")

    @property
    def growth(self) -> float:
        return self.rss_end - self.rss_first

    @property
    def passed(self) -> bool:
        return self.errors == 0 and len(self.samples) > 1 and self.growth < GROWTH_LIMIT_MB


class _Recorder:
    """Latencies into a preallocated buffer, RSS samples every `phase.every` completions."""

    def __init__(self, phase: Phase, calls: int, server_pid: int) -> None:
        self.phase, self.server_pid = phase, server_pid
        self.latencies = array("d", bytes(8 * calls))
        self.done = 0

    def record(self, seconds: float, ok: bool) -> None:
        self.latencies[self.done] = seconds
        self.done += 1
        if not ok:
            self.phase.errors += 1
        if self.done % self.phase.every == 0 or self.done == len(self.latencies):
            if not self.phase.samples or self.phase.samples[-1][0] != self.done:
                self.phase.samples.append((self.done, rss_mb(), rss_mb(self.server_pid)))

    def finish(self, seconds: float) -> Phase:
        lat = sorted(self.latencies[: self.done])
        self.phase.calls, self.phase.seconds = self.done, seconds
        if lat:
            self.phase.p50_ms, self.phase.p99_ms = 1e3 * quantile(lat, 0.5), 1e3 * quantile(lat, 0.99)
        return self.phase


def soak_sync(target: cl.Target, work: list[Item], calls: int, server_pid: int) -> Phase:
    rec = _Recorder(Phase("sync (one Client, one call at a time)", 1, sample_every(calls)), calls, server_pid)
    client = cl.MemantoSync(target)
    timer = time.perf_counter
    start = timer()
    try:
        for i in range(calls):
            t0 = timer()
            try:
                client.recall(work[i % len(work)], None)
                ok = True
            except Exception:
                ok = False
            rec.record(timer() - t0, ok)
    finally:
        client.close()
    return rec.finish(timer() - start)


async def soak_async(target: cl.Target, work: list[Item], calls: int, tasks: int, server_pid: int) -> Phase:
    rec = _Recorder(Phase(f"async (one AsyncClient, {tasks} tasks)", tasks, sample_every(calls)), calls, server_pid)
    client = cl.MemantoAsync(target)
    await client.open()
    timer = time.perf_counter
    issued = 0

    async def worker() -> None:
        nonlocal issued
        while issued < calls:
            item = work[issued % len(work)]
            issued += 1
            t0 = timer()
            try:
                await client.recall(item, None)
                ok = True
            except Exception:
                ok = False
            rec.record(timer() - t0, ok)

    start = timer()
    try:
        await asyncio.gather(*(worker() for _ in range(tasks)))
    finally:
        await client.close()
    return rec.finish(timer() - start)


def markdown(phases: list[Phase], memories: int, seconds: float) -> str:
    every = phases[0].every if phases else SAMPLE_EVERY
    lines = [
        "# memanto-client soak",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · memanto-client {_version()} · {memories:,} memories in the agent · "
        f"took {seconds:.0f} s",
        "",
        f"Recall (LoCoMo questions, limit {cl.RECALL_LIMIT}) against a LocalServer in another process. "
        f"Client RSS (MB = 10^6 bytes) from /proc/self/statm every {every:,} calls; pass: growth from "
        f"the {every:,}th call to the last < {GROWTH_LIMIT_MB:g} MB, and no failed call.",
        "",
        f"| phase | calls | errors | seconds | calls/s | p50 ms | p99 ms | RSS at {every:,} calls MB | "
        "RSS at end MB | growth MB | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in phases:
        lines.append(f"| {p.name} | {p.calls:,} | {p.errors} | {p.seconds:.1f} | {p.calls / p.seconds:,.0f} | "
                     f"{p.p50_ms:.2f} | {p.p99_ms:.2f} | {p.rss_first:.1f} | {p.rss_end:.1f} | {p.growth:+.1f} | "
                     f"{'pass' if p.passed else '**fail**'} |")
    for p in phases:
        lines += ["", f"{p.name}, after N calls: client RSS / server RSS, MB", "",
                  " · ".join(f"{n:,}: {c:.1f} / {s:.1f}" for n, c, s in p.samples)]
    return "\n".join(lines) + "\n"


def _version() -> str:
    import memanto_client

    return getattr(memanto_client, "__version__", "?")


def run(data: Dataset, calls: int, tasks: int, out: Path, log: Any) -> int:
    started = time.perf_counter()
    work = [Item(q) for q in data.questions]
    with tempfile.TemporaryDirectory(prefix="memanto-soak-") as tmp, ServerProcess(Path(tmp) / "soak.db") as server:
        admin = Admin(server)
        session, target = admin.agent("soak")
        ingestion = admin.ingest(session, data.memories)
        admin.close()
        log(f"soak: {ingestion.memories} memories ingested; {calls:,} recalls sync, then {calls:,} from {tasks} tasks")
        phases = []
        for name in ("sync", "async"):
            t0 = time.perf_counter()
            phase = (soak_sync(target, work, calls, server.proc.pid) if name == "sync"
                     else asyncio.run(soak_async(target, work, calls, tasks, server.proc.pid)))
            phases.append(phase)
            log(f"soak {name}: {phase.calls:,} calls in {time.perf_counter() - t0:.0f} s, RSS {phase.rss_first:.1f} "
                f"-> {phase.rss_end:.1f} MB ({phase.growth:+.1f}), errors {phase.errors}: "
                f"{'pass' if phase.passed else 'FAIL'}")
    seconds = time.perf_counter() - started
    text = markdown(phases, ingestion.memories, seconds)
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.md").write_text(text, encoding="utf-8")
    (out / "soak.json").write_text(json.dumps({
        "seconds": seconds, "memories": ingestion.memories,
        "growth_limit_mb": GROWTH_LIMIT_MB,
        "phases": [{**asdict(p), "growth_mb": p.growth, "passed": p.passed} for p in phases],
    }, indent=1), encoding="utf-8")
    print(text, flush=True)
    log(f"soak done in {seconds:.0f} s: {out / 'soak.md'}")
    return 0 if all(p.passed for p in phases) else 1


if __name__ == "__main__":
    sys.exit("run it as: python -m benches --soak")
