"""The memanto-client command (python -m memanto_client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from memanto_client import LocalServer, Session

REPO = Path(__file__).resolve().parents[1]


def _run(server: LocalServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MOORCHEH_API_KEY": server.api_key, "MEMANTO_BASE_URL": server.url}
    return subprocess.run([sys.executable, "-m", "memanto_client", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


def test_health_agents_and_decode(server: LocalServer, session: Session) -> None:
    h = _run(server, "health")
    assert h.returncode == 0 and json.loads(h.stdout)["status"] == "healthy"
    a = _run(server, "agents")
    assert a.returncode == 0 and session.agent_id in a.stdout
    d = _run(server, "decode-token", stdin=session.session_token + "\n")
    assert d.returncode == 0
    claims = json.loads(d.stdout)
    assert claims["agent_id"] == session.agent_id and claims["session_id"] == session.session_id
    assert claims["time_remaining_seconds"] > 0
    for out in (h, a, d):
        assert server.api_key not in out.stdout + out.stderr
        assert "eyJ" not in out.stdout + out.stderr


def test_ingest_with_progress_then_recall(server: LocalServer) -> None:
    data = REPO / "examples" / "data" / "locomo-conv-26.json"
    ing = _run(server, "ingest", "cli-locomo", str(data), "--create")
    assert ing.returncode == 0, ing.stderr
    assert "ingested 100/419" in ing.stderr and "ingested 419 memories into cli-locomo" in ing.stderr
    rec = _run(server, "recall", "cli-locomo", "adoption agencies", "--limit", "2")
    assert rec.returncode == 0
    lines = rec.stdout.strip().splitlines()
    assert len(lines) == 2 and "adoption agencies" in lines[0].lower()
    assert lines[0].split("\t")[2] == "D2:8"


def test_errors_print_the_remedy(server: LocalServer) -> None:
    env = {**os.environ, "MOORCHEH_API_KEY": "mk_wrong", "MEMANTO_BASE_URL": server.url}
    out = subprocess.run([sys.executable, "-m", "memanto_client", "agents"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 1
    assert "error: Invalid Moorcheh API key" in out.stderr and "MOORCHEH_API_KEY" in out.stderr
    assert "mk_wrong" not in out.stderr
    bad = _run(server, "decode-token", stdin="not-a-token")
    assert bad.returncode == 1 and "Malformed session token" in bad.stderr
