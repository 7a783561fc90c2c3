"""The performance targets (issue 11), each a ratio of memanto to a peer client in one run.

Every figure is the median over the run's repetitions of one cell (workload x client x
concurrency), and every ratio is memanto's median over the peer's median from the same run.
Beside each row is the physical floor: the native load generator's (wrk's or oha's) own CPU
per recall call at the same concurrency (it only does recall), and for throughput rows its
calls/s too.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .workloads import Cell

if TYPE_CHECKING:
    from .report import Results

#: The workloads the targets cover (``session`` has no target).
TARGET_WORKLOADS = ("recall", "remember", "agent")


@dataclass(frozen=True)
class Goal:
    """memanto's `field` over the peer's, at the run's sequential, middle or top concurrency."""

    memanto: str
    peer: str
    level: str  # "seq" (1), "threads" (the middle concurrency, 8), "tasks" (the top, 64)
    field: str  # "cpu_us" (lower is better) or "throughput" (higher is better)
    bound: float
    #: One of the issue's "done when" criteria (the others are only in its table).
    done_when: bool = True

    @property
    def lower_is_better(self) -> bool:
        return self.field == "cpu_us"


GOALS = (
    Goal("memanto", "httpx", "seq", "cpu_us", 0.20),
    Goal("memanto", "pyreqwest", "seq", "cpu_us", 1.2),
    # The table sets memanto's sequential (sync) figure against aiohttp's.
    Goal("memanto", "aiohttp", "seq", "cpu_us", 0.5, done_when=False),
    Goal("memanto async", "aiohttp", "seq", "cpu_us", 0.5, done_when=False),
    Goal("memanto async", "aiohttp", "tasks", "throughput", 1.5),
    Goal("memanto", "httpx", "threads", "throughput", 4.0),
    Goal("memanto async", "aiohttp", "tasks", "cpu_us", 0.5, done_when=False),
)


@dataclass(frozen=True)
class Row:
    workload: str
    measure: str
    memanto: str
    peer: str
    concurrency: int
    memanto_value: float
    peer_value: float
    ratio: float
    target: str
    met: bool | None  # None: a cell is missing from this run (client not installed, mode)
    floor_cpu_us: float
    floor_throughput: float
    done_when: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _nan_cell() -> Cell:
    return Cell(*(float("nan"),) * 4, 0, 0)


def _finite(x: float) -> bool:
    return x is not None and not math.isnan(x)


def rows(r: "Results") -> list[Row]:
    levels = {"seq": 1, "threads": r.mid, "tasks": r.top}
    out = []
    for workload in TARGET_WORKLOADS:
        for g in GOALS:
            n = levels[g.level]
            m = r.get(workload, g.memanto, n) or _nan_cell()
            p = r.get(workload, g.peer, n) or _nan_cell()
            mv, pv = getattr(m, g.field), getattr(p, g.field)
            ratio = mv / pv if _finite(mv) and _finite(pv) and pv else float("nan")
            met = None if math.isnan(ratio) else (ratio <= g.bound if g.lower_is_better else ratio >= g.bound)
            floor = (r.get("recall", r.ceiling_name, n) if r.ceiling_name else None) or _nan_cell()
            how = "sequential" if n == 1 else f"{n} {g.level}"
            what = "client CPU/call" if g.field == "cpu_us" else "calls/s"
            out.append(Row(workload, f"{what}, {how}", g.memanto, g.peer, n, mv, pv, ratio,
                           f"{'≤' if g.lower_is_better else '≥'} {g.bound:g}", met,
                           floor.cpu_us, floor.throughput if g.field == "throughput" else float("nan"),
                           g.done_when))
    return out


def _fmt(x: float, unit: str) -> str:
    return "–" if not _finite(x) else f"{x:,.0f} {unit}"


def _floor(row: Row) -> str:
    parts = [_fmt(row.floor_throughput, "calls/s")] if _finite(row.floor_throughput) else []
    return ", ".join(parts + [_fmt(row.floor_cpu_us, "µs/call")])


def _shown(client: str) -> str:
    return {"memanto": "memanto sync", "httpx": "httpx sync", "pyreqwest": "pyreqwest sync"}.get(client, client)


def _unit(row: Row) -> str:
    return "µs" if "CPU" in row.measure else "calls/s"


def markdown(r: "Results") -> list[str]:
    gen = r.ceiling_name or "native load generator"
    lines = [
        "## Targets",
        "",
        f"memanto over its peer, each figure the median of {r.plan['reps']} repetition(s) in this run "
        "(client CPU = `time.process_time()` of the client process per call; calls/s = completed "
        f"calls in the window). Floor: {gen}'s own CPU per recall call (and its calls/s) at the same "
        "concurrency, the cost of HTTP with no Python at all; it only does recall, so every workload "
        "shows recall's floor.",
        "",
        "Rows marked * are the issue's \"done when\" criteria; the others are in its table only.",
        "",
        f"| workload | measure | memanto | peer | memanto figure | peer figure | ratio | target | met | floor ({gen}, recall) |",
        "|---|---|---|---|---:|---:|---:|---|---|---:|",
    ]
    for row in rows(r):
        met = "not measured" if row.met is None else ("yes" if row.met else "**no**")
        ratio = "–" if not _finite(row.ratio) else f"{row.ratio:.2f}"
        star = " *" if row.done_when else ""
        lines.append(f"| {row.workload} | {row.measure}{star} | {_shown(row.memanto)} | {_shown(row.peer)} | "
                     f"{_fmt(row.memanto_value, _unit(row))} | {_fmt(row.peer_value, _unit(row))} | {ratio} | "
                     f"{row.target} | {met} | {_floor(row) if r.ceiling_name else '–'} |")
    measured = [row.met for row in rows(r) if row.met is not None]
    total = len(GOALS) * len(TARGET_WORKLOADS)
    done = [row.met for row in rows(r) if row.met is not None and row.done_when]
    lines += ["", f"{sum(measured)} of {len(measured)} measured targets met"
              + (f" ({total - len(measured)} not measured)" if len(measured) < total else "")
              + f"; of the done-when criteria (*), {sum(done)} of {len(done)}.", ""]
    return lines
