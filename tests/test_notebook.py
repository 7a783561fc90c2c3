"""The async example notebook runs top to bottom."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_async_notebook_runs_top_to_bottom() -> None:
    nb = nbformat.read(EXAMPLES / "quickstart_async.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    env_backup = {k: os.environ.pop(k) for k in ("MEMANTO_BASE_URL",) if k in os.environ}
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    finally:
        os.environ.update(env_backup)
    outputs = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "stream"
    )
    assert "stored 419 memories" in outputs
    assert "evidence hit rate" in outputs
    assert "deactivated; active = False" in outputs
    assert "eyJ" not in outputs
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
