"""The benchmark suite (``python -m benches``) runs end to end in its smoke mode and reports real
numbers for every client and workload."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BASELINES = ("httpx", "requests", "aiohttp")
CLIENTS = {"memanto", "memanto async", "httpx", "httpx async", "requests", "aiohttp"}
WORKLOADS = ("recall", "remember", "session", "agent")

_missing = [name for name in BASELINES if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(
    bool(_missing), reason=f"the benchmark's baseline clients are not installed: {', '.join(_missing)}"
)


def test_smoke_mode_reports_every_client(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "benches", "--smoke", "--no-install", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]

    raw = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for workload in WORKLOADS:
        seen = {c["client"] for c in raw["cells"] if c["workload"] == workload}
        assert CLIENTS <= seen, (workload, seen)
    for cell in raw["cells"]:
        for rep in cell["repetitions"]:
            assert rep["errors"] == 0, cell
            assert rep["calls"] > 0, cell
            for key in ("throughput", "p50_ms", "p99_ms", "cpu_us"):
                assert math.isfinite(rep[key]) and rep[key] > 0, (key, cell)
    assert raw["ingestion"]["store"]["memories"] > 0
    assert {(s["client"], s["memories"]) for s in raw["scale"] if s["client"] == "memanto"} == {
        ("memanto", 300), ("memanto", 3000)
    }

    table = (out / "results.md").read_text(encoding="utf-8")
    assert "## Targets" in table and "## LocalServer" in table
    for name in CLIENTS:
        row = next(line for line in table.splitlines() if line.startswith(f"| {name} | 1 |"))
        numbers = [c.strip() for c in row.strip("|").split("|")[2:7]]
        assert all(n and n != "–" for n in numbers), row
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "results.png").stat().st_size > 0


def test_every_fresh_store_holds_just_the_ingested_memories(tmp_path: Path) -> None:
    """A cell that remembers must not grow the store the next cell recalls from."""
    import memanto_client

    sys.path.insert(0, str(REPO))
    # Imported by name: mypy checks the tests, not the benchmark's peer clients.
    Store = importlib.import_module("benches.server").Store

    memories = [{"content": f"note {i} about the lake house", "type": "fact"} for i in range(20)]
    with Store(tmp_path, memories) as store:
        counts = []
        for _ in range(2):
            server, target = store.fresh()
            with memanto_client.Client(api_key=target.api_key, base_url=target.base_url) as client:
                counts.append(client.agents.get(target.agent_id).memory_count)
                session = client.session_from_token(target.token, agent_id=target.agent_id)
                for i in range(5):
                    session.remember(f"written by a cell {i}")
                assert client.agents.get(target.agent_id).memory_count == 25
        first_copy = server.db_path
        store.close()
        assert not first_copy.exists()
    assert counts == [20, 20]
