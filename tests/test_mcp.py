"""`memanto-client mcp`: the real command, driven over stdio and streamable HTTP by the official
`mcp` client library."""

from __future__ import annotations

import inspect
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, TextIO

import pytest

pytest.importorskip("mcp", reason="the `mcp` extra is not installed")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.types import TextContent  # noqa: E402

from memanto_client import LocalServer, Session  # noqa: E402
from memanto_client.mcp import default_db_path  # noqa: E402

pytestmark = pytest.mark.anyio

BASE_TOOLS = {"remember", "batch_remember", "recall", "recall_as_of", "recall_changed_since", "answer",
              "update_memory", "delete_memory"}
ADMIN_TOOLS = {"list_agents", "create_agent", "delete_agent"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def command() -> list[str]:
    """The installed console script when there is one, else the same entry point via -m."""
    script = Path(sys.executable).with_name("memanto-client.exe" if os.name == "nt" else "memanto-client")
    return [str(script), "mcp"] if script.exists() else [sys.executable, "-m", "memanto_client", "mcp"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEMANTO_", "MOORCHEH_"))}
    env.update(extra)
    return env


class Client:
    """An MCP client session plus everything the server sent back, as text."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session
        self.seen: list[str] = []

    async def tools(self) -> dict[str, dict[str, Any]]:
        listed = await self.session.list_tools()
        dumped = [t.model_dump(by_alias=True, exclude_none=True) for t in listed.tools]
        self.seen.append(json.dumps(dumped))
        return {t["name"]: t for t in dumped}

    async def call_raw(self, name: str, **arguments: Any) -> tuple[bool, str]:
        result = await self.session.call_tool(name, arguments)
        dumped = result.model_dump(by_alias=True)
        self.seen.append(json.dumps(dumped))
        text = "".join(b.text for b in result.content if isinstance(b, TextContent))
        return bool(dumped.get("isError")), text

    async def call(self, name: str, **arguments: Any) -> Any:
        is_error, text = await self.call_raw(name, **arguments)
        assert not is_error, f"{name} failed: {text}"
        return json.loads(text)

    async def error(self, name: str, **arguments: Any) -> str:
        is_error, text = await self.call_raw(name, **arguments)
        assert is_error, f"{name} unexpectedly succeeded: {text}"
        return text


@asynccontextmanager
async def stdio(*args: str, errlog: TextIO, env: dict[str, str] | None = None,
                cmd: list[str] | None = None) -> AsyncIterator[Client]:
    cmd = cmd or command()
    params = StdioServerParameters(command=cmd[0], args=[*cmd[1:], *args], env=env or clean_env())
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield Client(session)


def assert_no_secrets(texts: list[str], key: str) -> None:
    blob = "\n".join(texts)
    assert len(key) >= 16 and key not in blob
    assert "eyJ" not in blob  # no JWT (session token) anywhere


def stored_key(db: Path) -> str:
    with LocalServer(db_path=db) as server:
        return server.api_key


async def test_tools_have_schemas_that_tell_a_model_when_to_use_them(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    async with stdio("--db", str(tmp_path / "m.db"), errlog=errlog) as c:
        tools = await c.tools()
    names = set(tools)
    assert BASE_TOOLS <= names and not names & ADMIN_TOOLS
    assert ("recall_recent" in names) == hasattr(Session, "recall_recent")
    assert ("expire_memory" in names) == hasattr(Session, "expire")
    for name, t in tools.items():
        assert len(t["description"]) > 40, name
        schema = t["inputSchema"]
        assert schema["type"] == "object"
        assert "agent_id" in schema["properties"] and "agent_id" not in schema.get("required", []), name
        for prop, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}.{prop} has no description"
    recall = tools["recall"]["inputSchema"]
    assert recall["required"] == ["query"]
    assert {"query", "limit", "types", "tags", "created_after", "created_before", "min_similarity"} <= set(
        recall["properties"])
    assert ("status" in recall["properties"]) == ("status" in inspect.signature(Session.recall).parameters)
    assert "preference" in tools["remember"]["inputSchema"]["properties"]["type"]["description"]
    assert tools["remember"]["inputSchema"]["required"] == ["content"]
    assert tools["recall"]["annotations"]["readOnlyHint"] is True
    assert tools["delete_memory"]["annotations"]["destructiveHint"] is True
    item = tools["batch_remember"]["inputSchema"]
    assert item["required"] == ["memories"]
    errlog.seek(0)
    log = errlog.read()
    assert str((tmp_path / "m.db").resolve()) in log and "default agent 'default'" in log


async def test_remember_recall_filters_answer_update_delete(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    async with stdio("--db", str(tmp_path / "m.db"), "--agent", "helper", errlog=errlog) as c:
        oat = await c.call("remember", content="Alex prefers oat milk in coffee", type="preference",
                           tags=["drinks", "alex"])
        assert oat["agent_id"] == "helper" and oat["type"] == "preference" and oat["memory_id"]
        tea = await c.call("remember", content="Sam drinks green tea every morning", tags=["drinks"])
        deploy = await c.call("remember", content="We decided to deploy on Fridays", type="decision",
                              tags=["ops"])
        batch = await c.call("batch_remember", memories=[
            {"content": "The staging server is called kestrel", "type": "fact", "tags": ["ops"]},
            {"content": "Alex's birthday is on 3 May", "type": "event", "tags": ["alex"]},
        ])
        assert batch["submitted"] == 2 and batch["stored"] == 2 and len(batch["results"]) == 2

        found = await c.call("recall", query="what milk does Alex like?")
        assert found["agent_id"] == "helper"
        top = found["memories"][0]
        assert top["id"] == oat["memory_id"] and top["content"] == "Alex prefers oat milk in coffee"
        assert top["type"] == "preference" and set(top["tags"]) == {"drinks", "alex"}
        assert 0 < top["score"] <= 1 and top["created_at"].endswith("Z")

        by_tag = await c.call("recall", query="drinks milk tea coffee", tags=["drinks"], limit=10)
        assert {m["id"] for m in by_tag["memories"]} == {oat["memory_id"], tea["memory_id"]}
        by_both = await c.call("recall", query="drinks", tags=["drinks", "alex"])
        assert [m["id"] for m in by_both["memories"]] == [oat["memory_id"]]
        by_type = await c.call("recall", query="deploy Fridays staging kestrel", types=["decision"])
        assert [m["id"] for m in by_type["memories"]] == [deploy["memory_id"]]
        one = await c.call("recall", query="drinks milk tea coffee", tags=["drinks"], limit=1)
        assert len(one["memories"]) == 1 and one["more_available"] is True
        future = await c.call("recall", query="Alex", created_after="2999-01-01")
        assert future["memories"] == []

        ans = await c.call("answer", question="What milk does Alex prefer?")
        assert "oat" in ans["answer"].lower()
        assert oat["memory_id"] in [s["id"] for s in ans["sources"]]

        changed = await c.call("recall_changed_since", since="2000-01-01T00:00:00Z")
        assert oat["memory_id"] in [m["id"] for m in changed["memories"]]
        as_of = await c.call("recall_as_of", as_of="2999-01-01T00:00:00Z", query="Alex milk")
        assert oat["memory_id"] in [m["id"] for m in as_of["memories"]]

        upd = await c.call("update_memory", memory_id=tea["memory_id"], content="Sam drinks black tea now")
        assert upd["memory_id"] == tea["memory_id"]
        again = await c.call("recall", query="what tea does Sam drink", limit=1)
        assert again["memories"][0]["content"] == "Sam drinks black tea now"

        await c.call("delete_memory", memory_id=deploy["memory_id"])
        gone = await c.call("recall", query="deploy Fridays", types=["decision"])
        assert gone["memories"] == []

        # another agent is another memory space, created on first use
        other = await c.call("recall", query="Alex oat milk", agent_id="someone-else")
        assert other["agent_id"] == "someone-else" and other["memories"] == []


async def test_bad_input_is_a_tool_error_and_the_server_keeps_serving(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    db = tmp_path / "m.db"
    async with stdio("--db", str(db), errlog=errlog) as c:
        msg = await c.error("remember", content="x", type="not-a-type")
        assert "not-a-type" in msg and "type" in msg
        msg = await c.error("recall", query="x", limit=500)
        assert "limit" in msg and "100" in msg
        msg = await c.error("remember", content="")
        assert "content" in msg
        msg = await c.error("recall", query="x", agent_id="bad agent id!")
        assert "agent" in msg.lower()
        msg = await c.error("delete_memory", memory_id="no-such-memory")
        assert msg and "Traceback" not in msg
        msg = await c.error("recall", query=123)  # wrong JSON type: the MCP SDK's own check
        assert "query" in msg
        ok = await c.call("remember", content="still serving after errors")
        found = await c.call("recall", query="still serving")
        assert found["memories"][0]["id"] == ok["memory_id"]
        seen = c.seen
    errlog.seek(0)
    assert_no_secrets([*seen, errlog.read()], stored_key(db))


async def test_memories_survive_a_restart_on_the_same_db(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    db = tmp_path / "persist.db"
    async with stdio("--db", str(db), errlog=errlog) as c:
        stored = await c.call("remember", content="The wifi password hint is 'blue heron'", tags=["home"])
        seen = list(c.seen)
    async with stdio("--db", str(db), errlog=errlog) as c:
        found = await c.call("recall", query="wifi password hint", tags=["home"])
        assert [m["id"] for m in found["memories"]] == [stored["memory_id"]]
        seen += c.seen
    with LocalServer(db_path=db) as server:  # and the SDK sees it in the same file
        with server.client().agents.get("default").activate() as session:
            assert session.recall("wifi")[0].id == stored["memory_id"]
        key = server.api_key
    errlog.seek(0)
    assert_no_secrets([*seen, errlog.read()], key)


async def test_a_second_process_on_the_same_db_is_refused(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    db = tmp_path / "m.db"
    async with stdio("--db", str(db), errlog=errlog) as c:
        await c.call("remember", content="first process")
        second = subprocess.run([*command(), "--db", str(db)], env=clean_env(), capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert second.returncode == 1 and second.stdout == ""
        assert "in use by another memanto-client mcp process" in second.stderr
        found = await c.call("recall", query="first process")  # the first one is unaffected
        assert found["count"] == 1


async def test_expire_restore_and_status_filter(tmp_path: Path) -> None:
    if not hasattr(Session, "expire"):
        pytest.skip("this memanto-client has no Session.expire/restore/status filter yet")
    errlog = (tmp_path / "stderr.txt").open("w+")
    async with stdio("--db", str(tmp_path / "m.db"), errlog=errlog) as c:
        keep = await c.call("remember", content="Office is on floor 3", tags=["office"])
        old = await c.call("remember", content="Office is on floor 2", tags=["office"])
        await c.call("expire_memory", memory_id=old["memory_id"], reason="moved")
        active = await c.call("recall", query="which floor is the office", status="active")
        assert [m["id"] for m in active["memories"]] == [keep["memory_id"]]
        expired = await c.call("recall", query="which floor is the office", status="expired")
        assert [m["id"] for m in expired["memories"]] == [old["memory_id"]]
        assert expired["memories"][0]["status"] == "expired"
        await c.error("recall", query="office", status="bogus")
        await c.call("restore_memory", memory_id=old["memory_id"])
        active = await c.call("recall", query="which floor is the office", status="active")
        assert {m["id"] for m in active["memories"]} == {keep["memory_id"], old["memory_id"]}
        recent = await c.call("recall_recent", limit=1)
        assert [m["id"] for m in recent["memories"]] == [old["memory_id"]]


async def test_remote_server_via_base_url_and_admin_tools(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    with LocalServer() as server:
        env = clean_env(MEMANTO_BASE_URL=server.url, MOORCHEH_API_KEY=server.api_key)
        async with stdio("--admin", "--agent", "remote-bot", errlog=errlog, env=env) as c:
            names = set(await c.tools())
            assert ADMIN_TOOLS <= names
            created = await c.call("create_agent", agent_id="scratch", pattern="project", description="tmp")
            assert created["agent_id"] == "scratch" and created["pattern"] == "project"
            assert "already exists" in (await c.error("create_agent", agent_id="scratch")).lower()
            stored = await c.call("remember", content="Remote memories land on the remote server")
            listed = await c.call("list_agents")
            assert {"scratch", "remote-bot"} <= {a["agent_id"] for a in listed["agents"]}
            assert listed["default_agent"] == "remote-bot"
            await c.call("delete_agent", agent_id="scratch")
            await c.error("delete_agent", agent_id="scratch")
            seen = c.seen
        with server.client().agents.get("remote-bot").activate() as session:
            assert session.recall("remote memories")[0].id == stored["memory_id"]
        assert "scratch" not in {a.agent_id for a in server.client().agents.list()}
        key = server.api_key
    errlog.seek(0)
    log = errlog.read()
    assert server.url in log
    assert_no_secrets([*seen, log], key)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_streamable_http_transport(tmp_path: Path) -> None:
    import mcp.client.streamable_http as transport

    # `streamablehttp_client` in mcp 1.x before the rename (it yields a third item)
    streamable_http_client: Any = getattr(transport, "streamable_http_client", None) or getattr(
        transport, "streamablehttp_client")
    port = free_port()
    db = tmp_path / "http.db"
    out, err = (tmp_path / "stdout.txt").open("w+"), (tmp_path / "stderr.txt").open("w+")
    proc = subprocess.Popen([*command(), "--transport", "http", "--port", str(port), "--db", str(db)],
                            env=clean_env(MEMANTO_AGENT_ID="http-agent"), stdin=subprocess.DEVNULL,
                            stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "the HTTP server exited early"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP server did not start listening"
                time.sleep(0.2)
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                c = Client(session)
                assert BASE_TOOLS <= set(await c.tools())
                stored = await c.call("remember", content="HTTP clients share this memory", tags=["http"])
                assert stored["agent_id"] == "http-agent"  # from MEMANTO_AGENT_ID
                found = await c.call("recall", query="HTTP clients", tags=["http"])
                assert [m["id"] for m in found["memories"]] == [stored["memory_id"]]
                assert "limit" in await c.error("recall", query="x", limit=0)
                seen = c.seen
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out.seek(0)
    err.seek(0)
    output = out.read() + err.read()
    assert f"http://127.0.0.1:{port}/mcp" in output
    assert_no_secrets([*seen, output], stored_key(db))


def test_default_db_path_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "memanto-client" / "mcp.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_db_path() == Path.home() / ".local" / "share" / "memanto-client" / "mcp.db"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_db_path() == Path.home() / "Library" / "Application Support" / "memanto-client" / "mcp.db"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert default_db_path() == tmp_path / "memanto-client" / "mcp.db"


async def test_global_base_url_option_reaches_the_mcp_server(tmp_path: Path) -> None:
    errlog = (tmp_path / "stderr.txt").open("w+")
    cli = command()[:-1]  # the command without its "mcp"
    with LocalServer() as server:
        env = clean_env(MOORCHEH_API_KEY=server.api_key)
        async with stdio(errlog=errlog, env=env, cmd=[*cli, "--base-url", server.url, "mcp"]) as c:
            stored = await c.call("remember", content="sent via the global --base-url option")
        with server.client().agents.get("default").activate() as session:
            assert session.recall("global option")[0].id == stored["memory_id"]
    errlog.seek(0)
    assert server.url in errlog.read()


def test_other_commands_still_refuse_unknown_options() -> None:
    done = subprocess.run([*command()[:-1], "health", "--no-such-option"], capture_output=True, text=True,
                          timeout=60, env=clean_env())
    assert done.returncode == 2 and "unrecognized arguments: --no-such-option" in done.stderr


def test_help_and_python_m_entry_point() -> None:
    for cmd in (command(), [sys.executable, "-m", "memanto_client.mcp"]):
        done = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60, env=clean_env())
        assert done.returncode == 0, done.stderr
        assert "--transport" in done.stdout and "--db" in done.stdout and "--admin" in done.stdout
