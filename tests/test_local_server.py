from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from memanto_client import Client, InvalidSessionTokenError, LocalServer, NotFoundError, SessionTokenMissingError

REPO = Path(__file__).resolve().parents[1]


def test_health_and_server_info(server: LocalServer) -> None:
    client = server.client()
    h = client.health()
    assert h.ok and h.status == "healthy" and h.service == "MEMANTO"
    assert h.moorcheh_connected is False and h.extra["backend"] == "local"
    assert client.ready() is True and client.live() is True
    assert Client(base_url=server.url, api_key="wrong").ready() is True  # no key needed
    info = client.server_info()
    assert info["service"] == "MEMANTO"
    assert info["version"].startswith("0.0.")


def test_persistence_across_restart(tmp_path: Path) -> None:
    db = tmp_path / "memanto.db"
    with LocalServer(db_path=db) as first:
        key = first.api_key
        client = first.client()
        agent = client.agents.create("persistent", description="survives restarts")
        session = agent.activate()
        token = session.session_token
        stored = session.remember("The launch is on 3 March", type="event", tags=["launch"])
    assert db.exists()
    with LocalServer(db_path=db) as second:
        assert second.api_key == key  # the generated key is stored with the data
        client = second.client()
        assert client.agents.get("persistent").description == "survives restarts"
        reborn = client.session_from_token(token)  # tokens issued before the restart still work
        hits = reborn.recall("when is the launch?")
        assert [m.id for m in hits][:1] == [stored.memory_id]
        assert hits[0].tags == ("launch",)
    assert db.exists()


def test_explicit_api_key(tmp_path: Path) -> None:
    with LocalServer(api_key="mk_test_explicit_key") as srv:
        assert srv.api_key == "mk_test_explicit_key"
        assert Client(api_key="mk_test_explicit_key", base_url=srv.url).health().ok


def test_temporary_database_is_removed_on_stop() -> None:
    srv = LocalServer()
    path = Path(srv.db_path)
    assert path.exists()
    srv.stop()
    srv.stop()  # idempotent
    assert not path.exists()


def test_deleting_an_agent_revokes_its_tokens_and_memories(client: Client) -> None:
    agent = client.agents.create("short-lived-agent-x")
    session = agent.activate()
    session.remember("secret plan")
    token = session.session_token
    agent.delete()
    # the client forgets the token of a deleted agent's session ...
    with pytest.raises(SessionTokenMissingError):
        session.recall("plan")
    # ... and the server revoked it too
    with pytest.raises(InvalidSessionTokenError):
        client.session_from_token(token).recall("plan")
    again = client.agents.create("short-lived-agent-x")
    with again.activate() as s2:
        assert s2.recall("secret plan").count == 0
    again.delete()


def _raw(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_documented_error_bodies_on_the_wire(server: LocalServer, client: Client) -> None:
    """The LocalServer speaks the spec's status codes and error shapes (checked without our client)."""
    base = server.url + "/api/v2"
    key = {"Authorization": f"Bearer {server.api_key}"}
    assert _raw(base + "/agents") == (401, {"detail": "Missing API key in authorization header and no configured default"})
    assert _raw(base + "/agents", headers={"Authorization": f"bearer {server.api_key}"})[0] == 401
    assert _raw(base + "/agents", headers={"Authorization": "Bearer nope"}) == (401, {"detail": "Invalid Moorcheh API key"})
    agent = client.agents.create("wire-check")
    status, body = _raw(base + "/agents/wire-check/recall?query=x", headers=key)
    assert (status, body) == (401, {"detail": "Missing session token. Use X-Session-Token header."})
    status, body = _raw(base + "/agents/wire-check/recall?query=x", headers={**key, "X-Session-Token": "abc"})
    assert status == 401 and body["detail"]["error"] == "InvalidSessionToken"
    with agent.activate() as s:
        tok = {**key, "X-Session-Token": s.session_token, "Content-Type": "application/json"}
        status, body = _raw(base + "/agents/wire-check/remember", "POST", tok, json.dumps({"content": "x" * 10_001}).encode())
        assert status == 413 and body["detail"]["error"] == "text_too_long"
        status, body = _raw(base + "/agents/wire-check/recall?query=x&limit=101", headers=tok)
        assert status == 400 and body["detail"]["error"] == "k_too_large"
        status, body = _raw(base + "/agents/wire-check/remember", "POST", tok, b"{not json")
        assert status == 422 and body["detail"][0]["type"] == "json_invalid"
    status, body = _raw(base + "/agents", "POST", {**key, "Content-Type": "application/json"}, b'{"agent_id":"wire-check"}')
    assert status == 409 and body["detail"]["error"] == "AgentAlreadyExists"
    agent.delete()


def _serve(db: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "memanto_client._cli", "serve", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("Memanto LocalServer listening on http://127.0.0.1:"), first
    lines = [first] + [proc.stdout.readline() for _ in range(3)]
    return proc, first.split(" on ", 1)[1].strip(), lines


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_memanto_local_command_with_key_from_environment(tmp_path: Path) -> None:
    env = {**os.environ, "MOORCHEH_API_KEY": "mk_cli_test_key"}
    proc, url, lines = _serve(tmp_path / "cli.db", env)
    try:
        assert not any("mk_cli_test_key" in line for line in lines)
        assert "$MOORCHEH_API_KEY" in lines[2]
        assert Client(api_key="mk_cli_test_key", base_url=url).health().ok
    finally:
        assert _stop(proc) == 0


def test_memanto_local_command_with_stored_key(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {k: v for k, v in os.environ.items() if k != "MOORCHEH_API_KEY"}
    proc, url, lines = _serve(db, env)
    try:
        assert "show-key" in lines[2]
        shown = subprocess.run([sys.executable, "-m", "memanto_client._cli", "show-key", "--db", str(db)],
                               capture_output=True, text=True, timeout=30, env=env)
        key = shown.stdout.strip()
        assert key.startswith("mk_local_")
        assert not any(key in line for line in lines)
        assert Client(api_key=key, base_url=url).health().ok
    finally:
        assert _stop(proc) == 0
