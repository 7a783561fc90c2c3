"""The async API, and both APIs under concurrency, event loops, fork, and panics."""

from __future__ import annotations

import asyncio
import inspect
import logging
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import memanto_client as mc
from conftest import make_jwt, new_agent_id
from faults import FaultServer, Scripted
from memanto_client import (
    AsyncAgent,
    AsyncClient,
    AsyncSession,
    Client,
    LocalServer,
    MemantoError,
    NotFoundError,
    ValidationError,
)


@pytest.fixture
def aclient(server: LocalServer) -> AsyncClient:
    return AsyncClient(api_key=server.api_key, base_url=server.url, timeout=10)


@pytest.mark.asyncio
async def test_async_flow_matches_sync(aclient: AsyncClient, server: LocalServer) -> None:
    agent = await aclient.agents.create(new_agent_id("async"), pattern="tool")
    assert isinstance(agent, AsyncAgent) and agent.pattern == "tool"
    async with agent.activate() as session:
        assert isinstance(session, AsyncSession)
        assert session.claims.agent_id == agent.agent_id
        r = await session.remember("Ada prefers tea", type="preference", tags=["ada"])
        batch = await session.batch_remember(["Grace likes coffee", {"content": "Alan likes cocoa", "type": "fact"}])
        assert batch.successful == 2
        hits = await session.recall("what does Ada drink", limit=3)
        assert hits[0].id == r.memory_id and hits[0].tags == ("ada",)
        answer = await session.answer("What does Ada prefer?")
        assert "tea" in answer.answer
        current = await session.current()
        assert current.session_id == session.session_id
        await session.extend(hours=1)
        assert (await session.recall_current("Ada")).count == 1
        assert (await session.validate(r.memory_id)).validation_count == 1
        # the same data through the sync client
        sync_hits = Client(api_key=server.api_key, base_url=server.url).session_from_token(session.session_token).recall("what does Ada drink", limit=3)
        assert [m.id for m in sync_hits] == [m.id for m in hits]
    assert not session.is_active
    assert (await agent.refresh()).session_count == 1
    got = await aclient.agents.get_or_create(agent.agent_id)
    assert got.agent_id == agent.agent_id
    assert agent.agent_id in [a.agent_id for a in await aclient.agents.list()]
    assert (await aclient.health()).ok
    await agent.delete()
    with pytest.raises(NotFoundError):
        await aclient.agents.get(agent.agent_id)


@pytest.mark.asyncio
async def test_awaiting_activate_without_a_with_block(aclient: AsyncClient) -> None:
    agent = await aclient.agents.create(new_agent_id("await"))
    session = await agent.activate()
    assert session.is_active
    summary = await session.deactivate()
    assert summary.agent_id == agent.agent_id
    await agent.delete()


@pytest.mark.asyncio
async def test_64_concurrent_async_recalls(aclient: AsyncClient) -> None:
    agent = await aclient.agents.create(new_agent_id("many"))
    async with agent.activate() as session:
        await session.batch_remember([{"content": f"fact number {i} about topic{i}", "tags": [f"t{i}"]} for i in range(64)])
        results = await asyncio.gather(*(session.recall(f"topic{i}", limit=1) for i in range(64)))
    assert [r[0].tags for r in results] == [(f"t{i}",) for i in range(64)]
    await agent.delete()


@pytest.mark.asyncio
async def test_cancellation_drops_the_request_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="asyncio")
    token = make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"})
    with FaultServer([Scripted(200, '{"memories":[],"count":0}', delay=2)],
                     routes={"/api/v2/agents/bot/remember": [Scripted(200, '{"memory_id":"m"}')]}) as fs:
        session = AsyncClient(api_key="k", base_url=fs.url).session_from_token(token)
        start = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(session.recall("slow"), 0.2)
        assert time.monotonic() - start < 1.0
        # the loop keeps working and the client is usable; nothing late arrives
        r = await session.remember("after the cancel")
        assert r.memory_id == "m"
        await asyncio.sleep(2.2)  # past the stalled response
    noise = [rec.getMessage() for rec in caplog.records if "cancel" in rec.getMessage().lower() or "InvalidState" in rec.getMessage()]
    assert noise == []


def test_async_client_across_successive_asyncio_runs(server: LocalServer) -> None:
    aclient = AsyncClient(api_key=server.api_key, base_url=server.url)

    async def count() -> int:
        return len(await aclient.agents.list())

    first = asyncio.run(count())
    second = asyncio.run(count())
    assert first == second

    async def close() -> None:
        async with AsyncClient(api_key=server.api_key, base_url=server.url) as c:
            assert (await c.health()).ok
        await aclient.close()

    asyncio.run(close())


def test_sync_call_inside_a_running_loop(server: LocalServer) -> None:
    client = server.client()

    async def notebook_cell() -> bool:
        return client.health().ok  # a sync call while the loop runs, as in Jupyter

    assert asyncio.run(notebook_cell()) is True


def test_eight_threads_share_one_client(server: LocalServer) -> None:
    client = server.client()
    agent = client.agents.create(new_agent_id("threads"))
    with agent.activate() as session:
        session.batch_remember([{"content": f"thread fact {i} keyword{i}", "tags": [f"k{i}"]} for i in range(8)])

        def work(i: int) -> list[tuple[str, ...]]:
            return [session.recall(f"keyword{i}", limit=1)[0].tags for _ in range(25)]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(work, range(8)))
    assert results == [[(f"k{i}",)] * 25 for i in range(8)]
    agent.delete()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_child_uses_an_inherited_client(server: LocalServer) -> None:
    client = server.client(timeout=5)
    agent = client.agents.create(new_agent_id("fork"))
    session = agent.activate()
    session.remember("made before the fork")
    assert client.agents.get(agent.agent_id).agent_id == agent.agent_id  # the pool holds a connection now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(r)
            hits = session.recall("before the fork")
            client.agents.get(agent.agent_id)
            os.write(w, str(hits.count).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("the forked child hung")
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.read(r, 100) == b"1"
    os.close(r)
    # the parent still works too
    assert session.recall("before the fork").count == 1
    agent.delete()


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_multiprocessing_fork_start_method(server: LocalServer) -> None:
    global _INHERITED
    _INHERITED = server.client(timeout=5)
    assert _INHERITED.health().ok  # the parent's pool now holds a connection
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            oks = pool.map_async(_health_in_child, [(server.url, server.api_key)] * 4, chunksize=1).get(timeout=30)
    finally:
        _INHERITED = None
    assert oks == [True] * 4


_INHERITED: Client | None = None


def _health_in_child(args: tuple[str, str]) -> bool:
    assert _INHERITED is not None, "the pool child must inherit the client"
    return _INHERITED.health().ok


def test_panics_become_memanto_errors() -> None:
    with pytest.raises(MemantoError, match="internal error"):
        mc._native._debug_panic(False)

    async def main() -> None:
        await mc._native._debug_panic(True)

    with pytest.raises(MemantoError, match="internal error"):
        asyncio.run(main())


def _params(f: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]


def test_async_api_covers_every_sync_call() -> None:
    pairs = [(mc.Client, mc.AsyncClient), (mc.Agents, mc.AsyncAgents), (mc.Agent, mc.AsyncAgent), (mc.Session, mc.AsyncSession)]
    for sync_cls, async_cls in pairs:
        sync_names = {n for n in dir(sync_cls) if not n.startswith("_")}
        async_names = {n for n in dir(async_cls) if not n.startswith("_")}
        assert sync_names == async_names, (sync_cls, sync_names ^ async_names)
        for name in sync_names:
            s, a = getattr(sync_cls, name), getattr(async_cls, name)
            if callable(s) and not isinstance(inspect.getattr_static(sync_cls, name), property):
                assert _params(s) == _params(a), (sync_cls, name)
                if name not in ("activate", "session_from_token"):
                    # real coroutine functions, as frameworks (and help()) detect them
                    assert inspect.iscoroutinefunction(a), (async_cls, name)
                    assert not inspect.iscoroutinefunction(s), (sync_cls, name)
                assert (s.__doc__ or "") == (a.__doc__ or ""), (sync_cls, name)


@pytest.mark.asyncio
async def test_async_validation_errors_are_raised_before_sending() -> None:
    with FaultServer([Scripted(200, "{}")]) as fs:
        session = AsyncClient(api_key="k", base_url=fs.url).session_from_token(make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"}))
        with pytest.raises(ValidationError):
            await session.remember("")
        with pytest.raises(ValidationError):
            await session.recall("q", limit=500)
        assert fs.requests == []
