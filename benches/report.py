"""Collecting results, checking the targets (benches.targets), and writing the markdown table, chart and JSON."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import targets
from .server import Ingestion
from .workloads import WORKLOADS, Cell, median_cell

ASYNC_NAMES = ("memanto async", "httpx async", "aiohttp", "pyreqwest async")


@dataclass
class Results:
    mode: str
    plan: dict[str, Any]
    notes: list[str]
    clients: list[str]
    concurrency: list[int]
    cells: dict[tuple[str, str, int], list[Cell]] = field(default_factory=dict)
    ingestion: dict[str, Ingestion] = field(default_factory=dict)
    #: (client, store factor) -> cells of recall at concurrency 1, and memories per factor.
    scale: dict[tuple[str, int], list[Cell]] = field(default_factory=dict)
    scale_sizes: dict[int, int] = field(default_factory=dict)
    ceiling_name: str | None = None
    seconds: float = 0.0

    def add(self, workload: str, client: str, concurrency: int, cell: Cell) -> None:
        self.cells.setdefault((workload, client, concurrency), []).append(cell)

    def get(self, workload: str, client: str | None, concurrency: int) -> Cell | None:
        cells = self.cells.get((workload, client or "", concurrency))
        return median_cell(cells) if cells else None

    def errors(self) -> int:
        return sum(c.errors for cells in self.cells.values() for c in cells)

    @property
    def mid(self) -> int:
        """The middle concurrency (8 in full runs)."""
        return self.concurrency[len(self.concurrency) // 2]

    @property
    def top(self) -> int:
        return self.concurrency[-1]


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    ratio: float
    goal: str
    met: bool | None  # None: not measurable in this run


def _ratio(a: float | None, b: float | None) -> float:
    return a / b if a is not None and b and not math.isnan(a) and not math.isnan(b) else float("nan")


def checks(r: Results) -> list[Check]:
    """The checks beside the targets table (benches.targets): memanto against the native load
    generator, and the LocalServer's recall latency as the store grows."""
    out: list[Check] = []

    def add(target: str, measured: str, ratio: float, goal: str, ok: bool) -> None:
        out.append(Check(target, measured, ratio, goal, None if math.isnan(ratio) else ok))

    def cell(w: str, c: str, n: int) -> Cell:
        return r.get(w, c, n) or Cell(*(float("nan"),) * 4, 0, 0)

    gen = r.get("recall", r.ceiling_name, r.top) if r.ceiling_name else None
    for name, how in (("memanto async", "tasks"), ("memanto", "threads")):
        m = cell("recall", name, r.top)
        ratio = _ratio(m.throughput, gen.throughput if gen else None)
        measured = f"{m.throughput:.0f} vs {gen.throughput:.0f} calls/s" if gen else "no load generator"
        add(f"recall: {name} at {r.top} {how} vs {r.ceiling_name or 'native load generator'}",
            measured, ratio, "≥ 0.8", ratio >= 0.8)
    if len(r.scale_sizes) == 2:
        small, big = sorted(r.scale_sizes)
        name = r.ceiling_name if (r.ceiling_name, big) in r.scale else "memanto"
        s, b = median_cell(r.scale[(name, small)]), median_cell(r.scale[(name, big)])
        ratio = _ratio(b.p50_ms, s.p50_ms)
        add(f"LocalServer recall p50 at {r.scale_sizes[big]:,} vs {r.scale_sizes[small]:,} memories ({name}, 1 at a time)",
            f"{b.p50_ms:.3f} vs {s.p50_ms:.3f} ms", ratio, "≤ 3", ratio <= 3)
    return out


def _fmt(x: float, digits: int = 0) -> str:
    return "–" if x is None or math.isnan(x) else f"{x:,.{digits}f}"


def markdown(r: Results) -> str:
    lines = [
        f"# memanto-client benchmark ({r.mode})",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {platform.machine()} · run took {r.seconds:.0f} s · "
        f"{r.plan['reps']} repetition(s) of {r.plan['duration']} s cells after {r.plan['warmup']} s warm-up; "
        "medians over repetitions.",
        "",
        *[f"- {n}" for n in r.notes],
        "- Sync clients run N threads, async clients N tasks on one event loop; all in one client "
        "process, the LocalServer in another. Client CPU = `time.process_time()` of the client process "
        "per call; server CPU from `/proc/<pid>/stat` in the same window.",
        "",
        *targets.markdown(r),
        "## Other checks",
        "",
        "| check | measured | ratio | goal | result |",
        "|---|---|---:|---|---|",
    ]
    for c in checks(r):
        result = "not measured" if c.met is None else ("met" if c.met else "**missed**")
        lines.append(f"| {c.target} | {c.measured} | {_fmt(c.ratio, 2)} | {c.goal} | {result} |")
    lines += ["", "## LocalServer", ""]
    for key, ing in r.ingestion.items():
        lines.append(f"- ingestion ({key}): {ing.memories:,} memories via batch-remember (100 per request, "
                     f"sequential) in {ing.seconds:.2f} s = **{ing.rate:,.0f} memories/s**; the first recall "
                     f"after it took {1e3 * ing.first_recall_seconds:.0f} ms")
    if r.scale:
        lines += ["", "Recall, one call at a time, LoCoMo questions, limit 10:", "",
                  "| memories in the agent | client | p50 ms | p99 ms | calls/s | client CPU µs/call | server CPU µs/call |",
                  "|---:|---|---:|---:|---:|---:|---:|"]
        for (name, factor), cells in sorted(r.scale.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            m = median_cell(cells)
            lines.append(f"| {r.scale_sizes[factor]:,} | {name} | {_fmt(m.p50_ms, 3)} | {_fmt(m.p99_ms, 3)} | "
                         f"{_fmt(m.throughput)} | {_fmt(m.cpu_us)} | {_fmt(m.server_us)} |")
    lines += ["", "## Clients", ""]
    names = r.clients + ([r.ceiling_name] if r.ceiling_name else [])
    for w in WORKLOADS:
        lines += [f"### {w.title}", "",
                  "| client | concurrency | calls/s | p50 ms | p99 ms | client CPU µs/call | server CPU µs/call |"
                  + (" of ceiling |" if w.name == "recall" and r.ceiling_name else ""),
                  "|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if w.name == "recall" and r.ceiling_name else "")]
        for n in r.concurrency:
            gen = r.get(w.name, r.ceiling_name, n) if r.ceiling_name else None
            for name in names:
                c = r.get(w.name, name, n)
                if c is None:
                    continue
                how = "" if n == 1 else (" tasks" if name in ASYNC_NAMES else
                                         " conns" if name == r.ceiling_name else " threads")
                row = (f"| {name} | {n}{how} | {_fmt(c.throughput)} | {_fmt(c.p50_ms, 2)} | {_fmt(c.p99_ms, 2)} | "
                       f"{_fmt(c.cpu_us)} | {_fmt(c.server_us)} |")
                if w.name == "recall" and r.ceiling_name:
                    row += f" {_fmt(100 * _ratio(c.throughput, gen.throughput if gen else None))}% |"
                lines.append(row)
        lines.append("")
    return "\n".join(lines) + "\n"


def chart(r: Results, path: Path) -> bool:
    """Draws the chart; False (no chart) when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = r.clients + ([r.ceiling_name] if r.ceiling_name else [])
    colors = dict(zip(names, plt.get_cmap("tab10").colors))
    fig, axes = plt.subplots(2, len(WORKLOADS), figsize=(5 * len(WORKLOADS), 8), squeeze=False)
    width = 0.8 / len(names)
    for col, w in enumerate(WORKLOADS):
        for row, (field_name, label) in enumerate((("throughput", "calls/s"), ("cpu_us", "client CPU µs/call"))):
            ax = axes[row][col]
            for i, name in enumerate(names):
                values = [getattr(r.get(w.name, name, n) or Cell(*(float("nan"),) * 4, 0, 0), field_name)
                          for n in r.concurrency]
                xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(r.concurrency))]
                ax.bar(xs, values, width, label=name, color=colors[name],
                       hatch="//" if name == r.ceiling_name else None)
            ax.set_xticks(range(len(r.concurrency)), [str(n) for n in r.concurrency])
            ax.set_xlabel("concurrency (threads / tasks)")
            ax.set_ylabel(label)
            if row == 0:
                ax.set_title(w.title)
            else:
                ax.set_yscale("log")
            ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(names), bbox_to_anchor=(0.5, 0.955), frameon=False)
    fig.suptitle(f"memanto-client vs hand-written clients, LocalServer in another process ({r.mode} run)")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(r: Results, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, png, raw = out / "results.md", out / "results.png", out / "results.json"
    if not chart(r, png):
        r.notes.append("matplotlib is not installed: no chart")
        png = md
    md.write_text(markdown(r), encoding="utf-8")
    raw.write_text(json.dumps({
        "mode": r.mode, "plan": r.plan, "notes": r.notes, "seconds": r.seconds,
        "ingestion": {k: asdict(v) for k, v in r.ingestion.items()},
        "scale": [{"client": name, "memories": r.scale_sizes[factor], "repetitions": [asdict(c) for c in cells]}
                  for (name, factor), cells in r.scale.items()],
        "cells": [{"workload": w, "client": c, "concurrency": n, "repetitions": [asdict(x) for x in cells]}
                  for (w, c, n), cells in r.cells.items()],
        "targets": [row.as_dict() for row in targets.rows(r)],
        "checks": [asdict(c) for c in checks(r)],
    }, indent=1), encoding="utf-8")
    return sorted({md, png, raw})
