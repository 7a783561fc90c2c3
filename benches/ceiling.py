"""The ceiling: the recall endpoint hammered by a native HTTP load generator.

``wrk`` (a Lua script cycles through the same LoCoMo questions as the clients) or ``oha``
(with ``--urls-from-file`` when it has it, else one question), whichever is installed. If
neither is, ``apt-get install -y wrk`` is tried when running as root; otherwise the ceiling is
skipped with a note. The generator's own CPU time per call comes from ``RUSAGE_CHILDREN``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .clients import RECALL_LIMIT, Target
from .workloads import Cell

INSTALL_TIMEOUT = 240


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _recall_paths(target: Target, questions: list[str]) -> list[str]:
    return [
        f"/api/v2/agents/{target.agent_id}/recall?" + urllib.parse.urlencode({"query": q, "limit": RECALL_LIMIT})
        for q in questions
    ]


@dataclass
class LoadGenerator:
    name: str
    path: str
    workdir: Path

    def run(self, target: Target, questions: list[str], concurrency: int, seconds: float,
            server_cpu: Callable[[], float] | None = None) -> Cell:
        """One time-boxed run (whole seconds, at least 1); CPU per call of the generator and,
        with `server_cpu`, of the server over the whole run."""
        runner = self._wrk if self.name == "wrk" else self._oha
        c0, s0 = _children_cpu(), server_cpu() if server_cpu else float("nan")
        throughput, p50, p99, calls, errors = runner(target, questions, concurrency, max(1, round(seconds)))
        cpu, server = _children_cpu() - c0, (server_cpu() if server_cpu else float("nan")) - s0
        per_call = (lambda x: 1e6 * x / calls) if calls else (lambda x: float("nan"))
        return Cell(throughput, p50, p99, per_call(cpu), calls, errors, per_call(server))

    def _wrk(self, target: Target, questions: list[str], concurrency: int, seconds: int) -> tuple:
        script = self.workdir / f"recall-{target.agent_id}-{abs(hash(target.token))}.lua"
        if not script.exists():
            paths = ",\n".join(json.dumps(p) for p in _recall_paths(target, questions))
            script.write_text(
                f"local paths = {{\n{paths}\n}}\n"
                f"wrk.headers[\"Authorization\"] = {json.dumps('Bearer ' + target.api_key)}\n"
                f"wrk.headers[\"X-Session-Token\"] = {json.dumps(target.token)}\n"
                "local i = 0\n"
                "request = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n"
            )
        threads = min(concurrency, 2)
        cmd = [self.path, f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script),
               target.base_url]
        text = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
        throughput = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
        calls = int(re.search(r"(\d+) requests in", text).group(1))
        pct = {m.group(1): _wrk_ms(m.group(2)) for m in re.finditer(r"^\s*(50|99)%\s+([\d.]+\w+)", text, re.M)}
        errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s*(\d+)", text))
        if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
            errors += sum(int(g) for g in m.groups())
        return throughput, pct.get("50", float("nan")), pct.get("99", float("nan")), calls, errors

    def _oha(self, target: Target, questions: list[str], concurrency: int, seconds: int) -> tuple:
        help_text = subprocess.run([self.path, "--help"], capture_output=True, text=True).stdout
        headers = ["-H", f"Authorization: Bearer {target.api_key}", "-H", f"X-Session-Token: {target.token}"]
        output = ["--output-format", "json"] if "--output-format" in help_text else ["-j"]
        cmd = [self.path, "--no-tui", *output, "-z", f"{seconds}s", "-c", str(concurrency), *headers]
        paths = _recall_paths(target, questions)
        if "--urls-from-file" in help_text:
            url_file = self.workdir / f"urls-{target.agent_id}-{abs(hash(target.token))}.txt"
            url_file.write_text("\n".join(target.base_url + p for p in paths) + "\n")
            cmd += ["--urls-from-file", str(url_file)]
        else:
            cmd.append(target.base_url + paths[0])
        data = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout)
        codes = data.get("statusCodeDistribution", {})
        calls = sum(codes.values())
        errors = calls - codes.get("200", 0) + sum(data.get("errorDistribution", {}).values())
        pct = data.get("latencyPercentiles", {})
        return (data["summary"]["requestsPerSec"], 1e3 * (pct.get("p50") or float("nan")),
                1e3 * (pct.get("p99") or float("nan")), calls, errors)


def _wrk_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def find_generator(install: bool) -> tuple[LoadGenerator | None, str]:
    """The load generator to use, and a note saying which (or why there is none)."""
    workdir = Path(tempfile.mkdtemp(prefix="memanto-bench-"))
    for name in ("wrk", "oha"):
        if path := shutil.which(name):
            return LoadGenerator(name, path, workdir), f"native load generator: {name} ({path})"
    if install and shutil.which("apt-get") and os.geteuid() == 0:
        try:
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if path := shutil.which("wrk"):
            return LoadGenerator("wrk", path, workdir), f"native load generator: wrk ({path}, installed with apt-get)"
    return None, ("no native load generator: install `wrk` (apt-get install -y wrk) or `oha` "
                  "(cargo install oha --locked); the ceiling comparison is skipped")
