"""The LangChain integration against the LocalServer, sync and async."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document  # noqa: E402

from conftest import new_agent_id  # noqa: E402
from memanto_client import AsyncClient, LocalServer, Session  # noqa: E402
from memanto_client.integrations.langchain import MemantoRetriever, memanto_tools  # noqa: E402


def test_retriever_documents(session: Session) -> None:
    r = session.remember("Alex prefers oat milk in coffee", type="preference", tags=["alex", "drinks"])
    session.remember("The office is in Berlin")
    retriever = MemantoRetriever(session=session, k=3)
    docs = retriever.invoke("what milk does Alex like?")
    assert docs and isinstance(docs[0], Document)
    top = docs[0]
    assert top.page_content == "Alex prefers oat milk in coffee"
    assert top.id == r.memory_id
    assert top.metadata["id"] == r.memory_id
    assert top.metadata["type"] == "preference"
    assert top.metadata["tags"] == ["alex", "drinks"]
    assert 0 < top.metadata["score"] <= 1
    assert top.metadata["created_at"].endswith("+00:00")
    only_events = MemantoRetriever(session=session, k=3, memory_types=["event"]).invoke("Alex milk")
    assert only_events == []


@pytest.mark.asyncio
async def test_retriever_async_with_sync_and_async_sessions(server: LocalServer, session: Session) -> None:
    session.remember("Berlin office opens at nine")
    docs = await MemantoRetriever(session=session).ainvoke("when does the office open")
    assert docs[0].page_content == "Berlin office opens at nine"

    aclient = AsyncClient(api_key=server.api_key, base_url=server.url)
    agent = await aclient.agents.create(new_agent_id("lc-async"))
    async with agent.activate() as asession:
        await asession.remember("Grace prefers green tea", type="preference")
        retriever = MemantoRetriever(session=asession, k=2)
        docs = await retriever.ainvoke("what tea does Grace drink")
        assert [d.page_content for d in docs] == ["Grace prefers green tea"]
        with pytest.raises(TypeError, match="ainvoke"):
            retriever.invoke("sync call on an async session")
        remember, recall = memanto_tools(asession)
        out = await remember.ainvoke({"content": "Grace's birthday is 9 December", "type": "event", "tags": ["grace"]})
        assert out.startswith("Remembered (id ")
        found = await recall.ainvoke({"query": "Grace birthday", "limit": 3})
        assert "- [event] Grace's birthday is 9 December" in found
    await agent.delete()


def test_tools_sync(session: Session) -> None:
    remember, recall = memanto_tools(session)
    assert (remember.name, recall.name) == ("memanto_remember", "memanto_recall")
    assert set(remember.args) == {"content", "type", "tags"}
    assert set(recall.args) == {"query", "limit"}
    out = remember.invoke({"content": "The deploy window is Tuesday 10:00 UTC", "type": "instruction"})
    assert out.startswith("Remembered (id ")
    found = recall.invoke({"query": "when is the deploy window"})
    assert found.splitlines()[0] == "- [instruction] The deploy window is Tuesday 10:00 UTC"
    assert recall.invoke({"query": "zebra quantum"}) == "No matching memories."
