"""One LocalServer per database file, nothing acknowledged lost when the server dies, and
``memanto-local serve`` stopped cleanly by SIGTERM and Ctrl-C however it was started."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
import pytest

from memanto_client import APIConnectionError, Client, LocalServer

KEY = "mk_durability_test_key"
HELD = "is in use by another LocalServer"
REMEDY = "stop that server first, or use another database file"


def _cli() -> list[str]:
    """The installed ``memanto-local`` command next to this interpreter (else the module)."""
    exe = Path(sys.executable).parent / "memanto-local"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "memanto_client._cli"]


class Serve:
    """``memanto-local serve --db DB`` as a subprocess, stdin from /dev/null; its stdout lines
    are collected by a thread (reads stay bounded in time)."""

    def __init__(self, db: Path, *, ignore_sigint: bool = False) -> None:
        cmd = _cli() + ["serve", "--db", str(db), "--port", "0"]
        if ignore_sigint:  # started the way a background job is: SIGINT ignored, inherited
            cmd = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                   "os.execv(sys.argv[1], sys.argv[1:])"] + cmd
        self.errors = db.with_name(db.name + ".serve-stderr")
        with open(self.errors, "w") as err:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True,
                                         env={**os.environ, "MOORCHEH_API_KEY": KEY})
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            first = self.line(60)
            assert first.startswith("Memanto LocalServer listening on http://127.0.0.1:"), (first, self.stderr())
            self.url = first.split(" on ", 1)[1].strip()
            self.banner = [first] + [self.line(10) for _ in range(3)]
        except BaseException:
            self.kill()  # no server left behind by a failed start
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")  # end of output

    def line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"memanto-local serve printed nothing in {timeout} s; stderr: {self.stderr()}") from None

    def rest(self) -> str:
        """Everything printed after the banner (once the process has exited)."""
        self.reader.join(timeout=10)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return "".join(out)

    def stderr(self) -> str:
        return self.errors.read_text()

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.reader.join(timeout=10)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "memanto.db"


@pytest.fixture
def serve(db: Path) -> Iterator[Serve]:
    server = Serve(db)
    try:
        yield server
    finally:
        server.kill()


# --- one server per file ------------------------------------------------------------------------


def test_a_second_in_process_server_on_a_held_file_is_refused(db: Path) -> None:
    first = LocalServer(db_path=db)
    try:
        with first.client().agents.create("held").activate() as s:
            stored = s.remember("written through the first server zq1held").memory_id
        with pytest.raises(OSError) as refused:
            LocalServer(db_path=db)
        text = str(refused.value)
        assert text == (f"could not start the LocalServer: the database {db} {HELD} (it holds the lock {db}.lock); "
                        f"{REMEDY}")
    finally:
        first.stop()
    with LocalServer(db_path=db) as second:  # stopping the first frees the file
        with second.client().agents.get("held").activate() as s:
            assert [m.id for m in s.recall("zq1held")] == [stored]


def test_serve_holds_the_file_against_an_in_process_server(serve: Serve, db: Path) -> None:
    with pytest.raises(OSError, match=HELD) as refused:
        LocalServer(db_path=db)
    assert str(db) in str(refused.value) and REMEDY in str(refused.value)
    assert serve.stop(signal.SIGTERM) == 0
    with LocalServer(db_path=db, api_key=KEY) as after:
        assert after.client().health().ok


def test_serve_refuses_a_file_held_in_process(db: Path) -> None:
    with LocalServer(db_path=db):
        out = subprocess.run(_cli() + ["serve", "--db", str(db), "--port", "0"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "listening" not in out.stdout
    assert HELD in out.stderr and str(db) in out.stderr and REMEDY in out.stderr
    assert "Traceback" not in out.stderr


def test_show_key_works_while_serving_and_says_where_the_key_lives(db: Path) -> None:
    with LocalServer(db_path=db) as srv:  # no api_key: one is made and stored in the file
        out = subprocess.run(_cli() + ["show-key", "--db", str(db)], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout == srv.api_key + "\n"
        assert f"stored in the database {db.resolve()} (file mode 600, owner-only)" in out.stderr
        assert srv.api_key not in out.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with LocalServer(db_path=db.with_name("configured.db"), api_key=KEY):
        out = subprocess.run(_cli() + ["show-key", "--db", str(db.with_name("configured.db"))],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and out.stdout == ""
    assert "no API key is stored in" in out.stderr and "MOORCHEH_API_KEY" in out.stderr


# --- signals -------------------------------------------------------------------------------------


Acked = dict[tuple[str, str], list[str]]


def _hammer(url: str, threads: int, batches_wanted: int) -> tuple[Acked, list[BaseException], threading.Event]:
    """Threads (one agent and session each) that batch_remember 25 memories at a time, each with
    its batch's unique tag in the content, until the server goes away. Returns the acknowledged
    ids by (agent, tag), the error that ended each thread, and an event set once
    `batches_wanted` batches were acknowledged."""
    client = Client(api_key=KEY, base_url=url, timeout=30, max_retries=0)
    agents = [client.agents.create(f"durable-{t}") for t in range(threads)]
    acked: Acked = {}
    ended: list[BaseException] = []
    enough = threading.Event()
    lock = threading.Lock()

    def work(t: int) -> None:
        session = agents[t].activate()
        b = 0
        try:
            while True:
                tag = f"t{t}b{b}"
                result = session.batch_remember([f"durability {tag} item {i}" for i in range(25)])
                ids = [r.id for r in result.results if r.id]
                assert len(ids) == 25 and result.successful == 25, result
                with lock:
                    acked[(agents[t].agent_id, tag)] = ids
                    if len(acked) >= batches_wanted:
                        enough.set()
                b += 1
        except BaseException as e:  # noqa: BLE001 - the server was stopped: this ends the thread
            with lock:
                ended.append(e)

    for t in range(threads):
        threading.Thread(target=work, args=(t,), daemon=True, name=f"hammer-{t}").start()
    return acked, ended, enough


def _wait_for(ended: list[BaseException], count: int) -> None:
    deadline = time.monotonic() + 60
    while len(ended) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(ended) == count, f"{len(ended)} of {count} writer threads ended"


def _all_recalled(db: Path, acked: Acked) -> int:
    """Restarts on `db` and recalls each acknowledged batch by its tag; returns how many
    acknowledged memories were found (each asserted)."""
    found = 0
    with LocalServer(db_path=db, api_key=KEY) as srv:
        client = srv.client()
        for agent_id in sorted({a for a, _ in acked}):
            with client.agents.get(agent_id).activate() as session:
                for (owner, tag), ids in sorted(acked.items()):
                    if owner != agent_id:
                        continue
                    hits = {m.id for m in session.recall(tag, limit=100) if f" {tag} " in m.content}
                    missing = set(ids) - hits
                    assert not missing, f"{agent_id} batch {tag}: {len(missing)} acknowledged memories lost"
                    found += len(ids)
    return found


def test_sigkill_during_concurrent_batch_writes_loses_nothing_acknowledged(serve: Serve, db: Path) -> None:
    acked, ended, enough = _hammer(serve.url, threads=4, batches_wanted=40)
    assert enough.wait(timeout=120), f"only {len(acked)} batches acknowledged"
    time.sleep(0.3)  # the writers are still going: the kill lands among in-flight batches
    os.kill(serve.proc.pid, signal.SIGKILL)
    assert serve.proc.wait(timeout=10) == -signal.SIGKILL
    _wait_for(ended, 4)
    assert all(isinstance(e, APIConnectionError) for e in ended), ended
    acknowledged = sum(len(ids) for ids in acked.values())
    found = _all_recalled(db, acked)
    print(f"\nSIGKILL: {len(acked)} batches / {acknowledged} memories acknowledged, {found} recalled after restart")
    assert found == acknowledged >= 40 * 25


def test_sigterm_stops_serve_gracefully(serve: Serve, db: Path) -> None:
    acked, ended, enough = _hammer(serve.url, threads=3, batches_wanted=10)
    assert enough.wait(timeout=120)
    assert serve.stop(signal.SIGTERM) == 0
    _wait_for(ended, 3)
    # Each writer ends when the server is gone, not on an error answer from a closing server.
    assert all(isinstance(e, APIConnectionError) for e in ended), ended
    assert serve.rest().strip().endswith("stopped")
    assert "Traceback" not in serve.stderr()
    # Closed cleanly: the WAL was checkpointed into the database and removed, the lock released.
    assert not Path(f"{db}-wal").exists()
    acknowledged = sum(len(ids) for ids in acked.values())
    assert _all_recalled(db, acked) == acknowledged > 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_on_signals_even_when_started_with_sigint_ignored(db: Path, sig: int) -> None:
    server = Serve(db, ignore_sigint=True)
    try:
        assert Client(api_key=KEY, base_url=server.url).health().ok
        assert server.stop(sig) == 0
        assert server.rest().strip().endswith("stopped")
    finally:
        server.kill()
    with LocalServer(db_path=db, api_key=KEY):  # and the file is free again
        pass
