"""The sustained-load benchmark, for two seconds: every operation of the mix runs, none fails,
and the server's memory is reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONV_26 = REPO / "examples" / "data" / "locomo-conv-26.json"


def test_two_second_mixed_load_has_no_errors(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benches.load", "--data", str(CONV_26), "--clients", "16", "--duration", "2",
         "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    raw = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    assert raw["clients"] == 16 and raw["memories_before"] == 419
    ops = {o["op"]: o for o in raw["ops"]}
    assert set(ops) == {"recall", "remember", "answer", "recall_as_of", "recall_changed_since"}
    for op in ops.values():
        assert op["errors"] == 0, raw["error_samples"]
        assert op["calls"] > 0 and 0 < op["p50_ms"] <= op["p99_ms"], op
    assert raw["rss_before_kib"] > 0 and raw["rss_after_kib"] > 0
    assert "| **all** |" in (tmp_path / "load.md").read_text(encoding="utf-8")
