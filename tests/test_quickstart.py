"""The main job end to end: the quickstart on the bundled conversation, and no secret printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_quickstart_runs_on_bundled_conversation() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MEMANTO_BASE_URL", "MOORCHEH_API_KEY")}
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "quickstart.py")],
                          capture_output=True, text=True, timeout=300, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "Stored 419 of 419 turns" in out
    m = re.search(r"Evidence hit rate: (\d+)/(\d+) = ([\d.]+)%", out)
    assert m, out
    hits, total = int(m.group(1)), int(m.group(2))
    assert total == 197
    assert hits / total > 0.3  # keyword recall over real dialogue finds evidence for most questions
    assert out.count("  Q: ") == 3
    assert "agent_id:" in out and "time remaining:" in out and "Extended by 1 hour" in out
    assert "Deactivated: session active = False" in out
    assert "eyJ" not in out  # no session token printed
    assert "mk_local_" not in out  # no LocalServer API key printed
