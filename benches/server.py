"""The LocalServer under test, in its own process, and loading it with LoCoMo memories.

``python -m memanto_client._cli serve`` (the ``memanto-local`` command) runs on a fresh SQLite
file with ``MOORCHEH_API_KEY`` set in its environment; the benchmark reads the URL it prints.
Set-up calls (agents, sessions, ingestion) go through ``memanto_client``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import memanto_client

from .clients import Target
from .locomo import batches

READY_TIMEOUT = 30.0


class ServerProcess:
    """``memanto-local serve --db FILE --port 0`` in a child process."""

    def __init__(self, db_path: Path, api_key: str | None = None) -> None:
        self.api_key = api_key or "bench-" + secrets.token_hex(16)
        self.db_path = db_path
        env = dict(os.environ, MOORCHEH_API_KEY=self.api_key)
        cmd = [sys.executable, "-m", "memanto_client._cli", "serve", "--db", str(db_path), "--port", "0"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + READY_TIMEOUT
        assert self.proc.stdout is not None
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if m := re.search(r"listening on (http://\S+)", line):
                return m.group(1)
        self.stop()
        raise RuntimeError("the LocalServer did not start:\n" + "".join(seen))

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (Linux; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Ingestion:
    memories: int
    seconds: float
    #: The first recall afterwards (the LocalServer builds the agent's search index then).
    first_recall_seconds: float = float("nan")

    @property
    def rate(self) -> float:
        return self.memories / self.seconds


class Admin:
    """Set-up through memanto_client: agents, long-lived sessions, batch ingestion."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.client = memanto_client.Client(api_key=server.api_key, base_url=server.url)

    def agent(self, agent_id: str) -> tuple[Any, Target]:
        """Create the agent and activate it for a day; returns its session and a Target."""
        session = self.client.agents.create(agent_id, pattern="support").activate(duration_hours=24)
        return session, Target(self.server.url, self.server.api_key, agent_id, session.session_token)

    def ingest(self, session: Any, memories: list[dict[str, Any]]) -> Ingestion:
        """All of `memories` through batch-remember, 100 at a time, one request after another."""
        start = time.perf_counter()
        stored = 0
        for batch in batches(memories, 100):
            stored += session.batch_remember(batch).successful
        seconds = time.perf_counter() - start
        if stored != len(memories):
            raise RuntimeError(f"batch-remember stored {stored} of {len(memories)} memories")
        start = time.perf_counter()
        session.recall("warm up the search index", limit=1)
        return Ingestion(stored, seconds, time.perf_counter() - start)

    def close(self) -> None:
        self.client.close()


class Store:
    """The LoCoMo store as ingested, kept aside, and a LocalServer on a fresh copy of it.

    A cell that remembers adds thousands of memories (a 64-task cell over ten thousand). On
    one shared store every later cell, and every later repetition, would recall over a larger
    index than the first did: the server's CPU per recall doubled between the first
    repetition and the next, and a ratio depended on where its cell ran. So every cell that
    writes, and every run of a workload that only reads, gets a server on its own copy of the
    store as ingested (copying it and starting the server take about 0.1 s).
    """

    def __init__(self, folder: Path, memories: list[dict[str, Any]], agent_id: str = "locomo") -> None:
        self.folder = folder
        self.api_key = "bench-" + secrets.token_hex(16)
        self._pristine = folder / "store.db"
        with ServerProcess(self._pristine, self.api_key) as server:
            admin = Admin(server)
            session, target = admin.agent(agent_id)
            self.ingestion = admin.ingest(session, memories)
            admin.close()
        self.agent_id, self.token = target.agent_id, target.token
        self.server: ServerProcess | None = None
        self._copies = 0

    def fresh(self) -> tuple[ServerProcess, Target]:
        """Stops the current server, if any, and starts one on a new copy of the store (its
        search index built); returns it and the agent's Target (same key and token)."""
        self.close()
        self._copies += 1
        path = self.folder / f"copy-{self._copies}.db"
        for suffix in ("", "-wal"):
            if Path(f"{self._pristine}{suffix}").exists():
                shutil.copyfile(f"{self._pristine}{suffix}", f"{path}{suffix}")
        self.server = ServerProcess(path, self.api_key)
        target = Target(self.server.url, self.api_key, self.agent_id, self.token)
        with memanto_client.Client(api_key=self.api_key, base_url=self.server.url) as client:
            client.session_from_token(self.token, agent_id=self.agent_id).recall("warm up", limit=1)
        return self.server, target

    def close(self) -> None:
        """Stops the current server and removes its copy of the store."""
        if self.server is None:
            return
        self.server.stop()
        path = self.server.db_path
        self.server = None
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
