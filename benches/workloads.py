"""The workloads and the time-boxed cell runner (threads for sync clients, tasks for async ones).

A workload is a sequence of calls making one operation; every call is timed on its own. A
cell runs one client at one concurrency: the workers loop over operations for a warm-up
(connections opened, caches warm), then for the measured window. Calls completing inside
the window count; the client process's CPU time (``time.process_time()``, every thread of
this process, the server being another process) is read at both ends of the window.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .locomo import Item, items


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    steps: tuple[str, ...]


WORKLOADS = (
    Workload("recall", "recall (LoCoMo questions)", ("recall",)),
    Workload("remember", "remember", ("remember",)),
    Workload("session", "activate + extend + current", ("activate", "extend", "current")),
    Workload("agent", "agent loop: recall, answer, remember", ("recall", "answer", "remember")),
)


@dataclass(frozen=True)
class Cell:
    """One measured cell: throughput (calls/s), latency per call, client CPU per call."""

    throughput: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    calls: int
    errors: int
    #: The server process's CPU time per call in the same window (NaN when unknown).
    server_us: float = float("nan")


class _Window:
    """Shared by the workers of a cell: whether completions count, and what they recorded."""

    def __init__(self) -> None:
        self.measuring = False
        self.stopping = False
        self.latencies: list[list[float]] = []
        self.errors = 0

    def recorder(self) -> list[float]:
        mine: list[float] = []
        self.latencies.append(mine)
        return mine

    def result(self, seconds: float, cpu: float, server_cpu: float) -> Cell:
        lat = sorted(x for worker in self.latencies for x in worker)
        if not lat:
            nan = float("nan")
            return Cell(0.0, nan, nan, nan, 0, self.errors)
        n = len(lat)
        return Cell(n / seconds, 1e3 * quantile(lat, 0.50), 1e3 * quantile(lat, 0.99), 1e6 * cpu / n, n,
                    self.errors, 1e6 * server_cpu / n)


def _no_probe() -> float:
    return float("nan")


def quantile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank quantile of already sorted values."""
    i = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[i]


def _worker_items(questions: list[str], worker: int, concurrency: int) -> Iterator[Item]:
    return items(questions, worker * len(questions) // max(concurrency, 1))


def run_sync(client: Any, workload: Workload, questions: list[str], concurrency: int,
             warmup: float, duration: float, server_cpu: Callable[[], float] = _no_probe) -> Cell:
    window = _Window()
    steps = [getattr(client, s) for s in workload.steps]

    def work(worker: int) -> None:
        mine = window.recorder()
        timer = time.perf_counter
        for item in _worker_items(questions, worker, concurrency):
            if window.stopping:
                return
            prev = None
            for step in steps:
                t0 = timer()
                try:
                    prev = step(item, prev)
                except Exception:
                    window.errors += 1
                    break
                if window.measuring:
                    mine.append(timer() - t0)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    t0, c0, s0 = time.perf_counter(), time.process_time(), server_cpu()
    window.measuring = True
    time.sleep(duration)
    window.measuring = False
    t1, c1, s1 = time.perf_counter(), time.process_time(), server_cpu()
    window.stopping = True
    for t in threads:
        t.join()
    return window.result(t1 - t0, c1 - c0, s1 - s0)


async def run_async(client: Any, workload: Workload, questions: list[str], concurrency: int,
                    warmup: float, duration: float, server_cpu: Callable[[], float] = _no_probe) -> Cell:
    window = _Window()
    steps = [getattr(client, s) for s in workload.steps]

    async def work(worker: int) -> None:
        mine = window.recorder()
        timer = time.perf_counter
        for item in _worker_items(questions, worker, concurrency):
            if window.stopping:
                return
            prev = None
            for step in steps:
                t0 = timer()
                try:
                    prev = await step(item, prev)
                except Exception:
                    window.errors += 1
                    break
                if window.measuring:
                    mine.append(timer() - t0)

    tasks = [asyncio.create_task(work(i)) for i in range(concurrency)]
    await asyncio.sleep(warmup)
    t0, c0, s0 = time.perf_counter(), time.process_time(), server_cpu()
    window.measuring = True
    await asyncio.sleep(duration)
    window.measuring = False
    t1, c1, s1 = time.perf_counter(), time.process_time(), server_cpu()
    window.stopping = True
    await asyncio.gather(*tasks)
    return window.result(t1 - t0, c1 - c0, s1 - s0)


def median_cell(cells: list[Cell]) -> Cell:
    """Field-wise medians over the repetitions of a cell."""
    med = statistics.median
    return Cell(
        throughput=med(c.throughput for c in cells), p50_ms=med(c.p50_ms for c in cells),
        p99_ms=med(c.p99_ms for c in cells), cpu_us=med(c.cpu_us for c in cells),
        calls=sum(c.calls for c in cells), errors=sum(c.errors for c in cells),
        server_us=med(c.server_us for c in cells),
    )
