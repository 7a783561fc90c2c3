"""memanto-client benchmarks: the SDK against hand-written httpx / requests / aiohttp / pyreqwest
clients and a native load generator, all talking to a LocalServer in another process.

    python -m benches [--quick | --smoke] [--out bench-results] [--data PATH]
    python -m benches --soak [--soak-calls 200000] [--soak-tasks 64]

Writes ``results.md`` (tables), ``results.png`` (chart) and ``results.json`` (every
repetition) to ``--out``; the full run also runs ``benches.recall_quality`` (evidence hit@5 /
hit@10 on every LoCoMo conversation) and appends its tables to ``results.md``. The targets
table (benches.targets) is printed on stdout too. The full run takes about 8 minutes on 2
busy cores (it must stay under 10), ``--quick`` about 1.5 minutes, ``--smoke`` a few seconds
(a tiny store, one repetition, tiny cells). ``--soak`` runs benches.soak instead of the plan.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import clients as cl
from . import report, targets
from .ceiling import LoadGenerator, find_generator
from .locomo import DEFAULT_DATA, FALLBACK_DATA, Dataset, load
from .server import Admin, ServerProcess, Store
from .workloads import WORKLOADS, Cell, Workload, run_async, run_sync


@dataclass(frozen=True)
class Plan:
    reps: int
    warmup: float
    duration: float
    concurrency: tuple[int, ...]
    memories: int | None = None  # None: the whole data set
    questions: int | None = None
    scale: int = 10
    scale_reps: int = 3
    scale_seconds: float = 1.5
    ceiling_seconds: float = 1.0
    ceiling: bool = True  # run the native load generator (it needs whole seconds per cell)
    quality: bool = False  # also run the recall-quality benchmark (benches.recall_quality)


PLANS = {
    "full": Plan(reps=3, warmup=0.25, duration=1.0, concurrency=(1, 8, 64), quality=True),
    "quick": Plan(reps=1, warmup=0.2, duration=0.5, concurrency=(1, 8, 64), scale_reps=1, scale_seconds=1.0),
    "smoke": Plan(reps=1, warmup=0.02, duration=0.05, concurrency=(1, 4), memories=300, questions=60,
                  scale_reps=1, scale_seconds=0.1, ceiling=False),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def available_clients() -> tuple[list[type], list[str]]:
    missing = [p for p in cl.BASELINE_PACKAGES if importlib.util.find_spec(p) is None]
    chosen = [c for c in (*cl.SYNC_CLIENTS, *cl.ASYNC_CLIENTS) if cl.NEEDS.get(c) not in missing]
    return chosen, missing


def run_cell(client_cls: type, workload: Workload, target: cl.Target, questions: list[str], concurrency: int,
             plan: Plan, server: ServerProcess) -> Cell:
    args = (workload, questions, concurrency, plan.warmup, plan.duration, server.cpu_seconds)
    if client_cls in cl.ASYNC_CLIENTS:
        async def cell() -> Cell:
            client = client_cls(target)
            await client.open()
            try:
                return await run_async(client, *args)
            finally:
                await client.close()

        return asyncio.run(cell())
    client = client_cls(target)
    try:
        return run_sync(client, *args)
    finally:
        client.close()


def run_matrix(store: Store, data: Dataset, plan: Plan, chosen: list[type], generator: LoadGenerator | None,
               results: report.Results) -> None:
    """Every workload x concurrency x client, repeated; the order of the clients (and of the
    load generator among them) rotates between repetitions so that noise hits all alike.
    Every cell of a workload that remembers starts on a fresh copy of the store as ingested,
    and so does every run of a workload that only reads (``Store``)."""
    for rep in range(plan.reps):
        for workload in WORKLOADS:
            writes = "remember" in workload.steps
            if not writes:
                server, target = store.fresh()
            for concurrency in plan.concurrency:
                runs: list[object] = chosen[rep % len(chosen):] + chosen[:rep % len(chosen)]
                if workload.name == "recall" and generator is not None:
                    runs.insert(rep % (len(runs) + 1), generator)
                for runner in runs:
                    if writes:
                        server, target = store.fresh()
                    if runner is generator:
                        name = generator.name
                        cell = generator.run(target, data.questions, concurrency, plan.ceiling_seconds,
                                             server.cpu_seconds)
                    else:
                        name = runner.name
                        cell = run_cell(runner, workload, target, data.questions, concurrency, plan, server)
                    results.add(workload.name, name, concurrency, cell)
                    log(f"[{rep + 1}/{plan.reps}] {workload.name:8} c={concurrency:<3} {name:14} "
                        f"{cell.throughput:8.0f} calls/s  p50 {cell.p50_ms:7.2f} ms  "
                        f"cpu {cell.cpu_us:6.0f} us/call  errors {cell.errors}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick", help="one short repetition")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke", help="seconds; for tests")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="results folder")
    parser.add_argument("--data", type=Path, default=None, help="LoCoMo-format JSON (default: locomo10.json)")
    parser.add_argument("--no-install", action="store_true", help="never try to install a load generator")
    parser.add_argument("--soak", action="store_true",
                        help="instead of the plan: many recalls through one client, watching its RSS (soak.md)")
    parser.add_argument("--soak-calls", type=int, default=200_000, help="recalls per soak phase (default 200000)")
    parser.add_argument("--soak-tasks", type=int, default=64, help="tasks in the async soak phase (default 64)")
    args = parser.parse_args(argv)
    mode_name = args.mode or "full"
    plan = PLANS[mode_name]
    started = time.perf_counter()

    data_path = args.data or (DEFAULT_DATA if DEFAULT_DATA.exists() else FALLBACK_DATA)
    data = load(data_path)
    if plan.memories or plan.questions:
        data = data.subset(plan.memories or len(data.memories), plan.questions or len(data.questions))
    if args.soak:
        from . import soak

        return soak.run(data, args.soak_calls, args.soak_tasks, args.out, log)
    chosen, missing = available_clients()
    if plan.ceiling:
        generator, generator_note = find_generator(install=not args.no_install)
    else:
        generator, generator_note = None, f"native load generator: not run in {mode_name} mode"
    notes = [f"data: {data_path.name}, {len(data.memories)} memories, {len(data.questions)} questions", generator_note,
             "every cell that remembers, and every run of a read-only workload, starts on a fresh copy of the store"]
    if missing:
        notes.append(f"not installed, skipped: {', '.join(missing)}")
    log(f"memanto-client benchmark ({mode_name}): " + "; ".join(notes))

    results = report.Results(mode=mode_name, plan=plan.__dict__, notes=notes,
                             clients=[c.name for c in chosen], concurrency=list(plan.concurrency))
    with tempfile.TemporaryDirectory(prefix="memanto-bench-") as tmp, Store(Path(tmp), data.memories) as store:
        results.ingestion["store"] = store.ingestion
        log(f"ingested {len(data.memories)} memories: {results.ingestion['store'].rate:.0f}/s")

        run_matrix(store, data, plan, chosen, generator, results)
        if generator is not None:
            results.ceiling_name = generator.name

        server, _ = store.fresh()
        admin = Admin(server)
        scale_store(admin, server, data, plan, generator, results)
        admin.close()

    results.seconds = time.perf_counter() - started
    paths = report.write(results, args.out)
    print("\n".join(targets.markdown(results)), flush=True)
    if plan.quality:
        from . import recall_quality

        convs, lat = recall_quality.run(data_path, args.out, None, True, True, reps=3)
        md = args.out / "results.md"
        md.write_text(md.read_text(encoding="utf-8") + "\n" + recall_quality.markdown(convs, lat, True),
                      encoding="utf-8")
        paths.append(args.out / "recall_quality.md")
    log(f"done in {results.seconds:.0f} s: " + ", ".join(str(p) for p in paths))
    return 1 if results.errors() else 0


def scale_store(admin: Admin, server: ServerProcess, data: Dataset, plan: Plan, generator: LoadGenerator | None,
                results: report.Results) -> None:
    """Recall latency with the store at 1x and at `plan.scale` x (the data repeated into
    another agent), through memanto (sync, one call at a time) and the load generator (one
    connection); both agents are loaded first, then measured alternately."""
    agents = {}
    for factor in (1, plan.scale):
        session, target = admin.agent(f"locomo-x{factor}")
        ingestion = admin.ingest(session, data.memories * factor)
        results.ingestion[f"x{factor}"] = ingestion
        results.scale_sizes[factor] = ingestion.memories
        agents[factor] = target
        log(f"ingested {ingestion.memories} memories into locomo-x{factor}: {ingestion.rate:.0f}/s")
    recall = WORKLOADS[0]
    scale_plan = Plan(reps=1, warmup=min(0.25, plan.scale_seconds / 3), duration=plan.scale_seconds,
                      concurrency=(1,))
    for rep in range(plan.scale_reps):
        for factor in ((1, plan.scale) if rep % 2 == 0 else (plan.scale, 1)):
            cell = run_cell(cl.MemantoSync, recall, agents[factor], data.questions, 1, scale_plan, server)
            results.scale.setdefault(("memanto", factor), []).append(cell)
            line = f"recall at {results.scale_sizes[factor]} memories: memanto p50 {cell.p50_ms:.2f} ms"
            if generator is not None:
                native = generator.run(agents[factor], data.questions, 1, plan.scale_seconds, server.cpu_seconds)
                results.scale.setdefault((generator.name, factor), []).append(native)
                line += f", {generator.name} p50 {native.p50_ms:.2f} ms"
            log(line)


if __name__ == "__main__":
    sys.exit(main())
