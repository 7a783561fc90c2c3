"""LangChain integration: a retriever backed by ``recall`` and tools that let an agent remember
and recall. Requires ``langchain-core`` (``pip install 'memanto-client[langchain]'``).

    from memanto_client.integrations.langchain import MemantoRetriever, memanto_tools

    retriever = MemantoRetriever(session=session, k=5)        # Session or AsyncSession
    docs = retriever.invoke("what does Alex drink?")          # or: await retriever.ainvoke(...)
    tools = memanto_tools(session)                             # [memanto_remember, memanto_recall]
"""

from __future__ import annotations

from typing import Any, Sequence

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.tools import BaseTool, StructuredTool
    from pydantic import BaseModel, ConfigDict, Field
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "memanto_client.integrations.langchain needs langchain-core: pip install 'memanto-client[langchain]'"
    ) from exc

from .._session import AsyncSession, Session
from .._types import Memory

__all__ = ["MemantoRetriever", "memanto_tools", "memory_to_document"]


def memory_to_document(memory: Memory) -> Document:
    """A recalled memory as a LangChain ``Document``: the content as ``page_content``; id, type,
    score, tags, title, source and created_at (ISO-8601, UTC) as metadata."""
    metadata: dict[str, Any] = {
        "id": memory.id,
        "type": memory.type,
        "score": memory.score,
        "tags": list(memory.tags),
        "title": memory.title,
        "source": memory.source,
        "created_at": memory.created_at.isoformat() if memory.created_at else None,
    }
    return Document(page_content=memory.content, metadata=metadata, id=memory.id or None)


class MemantoRetriever(BaseRetriever):
    """Retrieves an agent's memories with ``recall`` (``GET /api/v2/agents/{id}/recall``).

    Args:
        session: a :class:`Session` (sync) or :class:`AsyncSession`. ``invoke`` needs a
            ``Session``; ``ainvoke`` works with either (a sync session runs in a worker thread).
        k: memories per query, 1..100 (default 5).
        min_similarity: optional similarity floor, 0..1.
        memory_types: optional memory types to keep. memory_tags: optional tags a memory must
            carry. (``tags`` is LangChain's own field, for tracing.)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    session: Any = Field(description="a memanto_client Session or AsyncSession")
    k: int = 5
    min_similarity: float | None = None
    memory_types: Sequence[str] | None = None
    memory_tags: Sequence[str] | None = None

    def _recall_args(self) -> dict[str, Any]:
        return {"limit": self.k, "min_similarity": self.min_similarity, "types": self.memory_types, "tags": self.memory_tags}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if isinstance(self.session, AsyncSession):
            raise TypeError("this retriever holds an AsyncSession: use ainvoke()")
        result = self.session.recall(query, **self._recall_args())
        return [memory_to_document(m) for m in result]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        if isinstance(self.session, AsyncSession):
            result = await self.session.recall(query, **self._recall_args())
            return [memory_to_document(m) for m in result]
        return await super()._aget_relevant_documents(query, run_manager=run_manager)


class _RememberArgs(BaseModel):
    content: str = Field(description="the fact, preference, event or decision to remember, in one or two sentences")
    type: str = Field(default="fact", description="one of: fact, preference, goal, decision, event, instruction, "
                                                  "relationship, context, observation, commitment, learning, artifact, error")
    tags: list[str] = Field(default_factory=list, description="short labels to find it by later")


class _RecallArgs(BaseModel):
    query: str = Field(description="what to look for in long-term memory")
    limit: int = Field(default=5, ge=1, le=100, description="how many memories to return")


def _format(memories: Sequence[Memory]) -> str:
    if not memories:
        return "No matching memories."
    return "\n".join(f"- [{m.type}] {m.content}" for m in memories)


def memanto_tools(session: Session | AsyncSession) -> list[BaseTool]:
    """Two tools for a tool-calling agent: ``memanto_remember`` (store a memory with
    ``remember``) and ``memanto_recall`` (search with ``recall``). With an AsyncSession the tools
    are async (use ``ainvoke``); with a Session both ``invoke`` and ``ainvoke`` work."""

    if isinstance(session, AsyncSession):
        asession = session

        async def aremember(content: str, type: str = "fact", tags: list[str] | None = None) -> str:
            r = await asession.remember(content, type=type, tags=tags or None)
            return f"Remembered (id {r.memory_id})."

        async def arecall(query: str, limit: int = 5) -> str:
            return _format(list(await asession.recall(query, limit=limit)))

        funcs: dict[str, Any] = {"remember": {"coroutine": aremember}, "recall": {"coroutine": arecall}}
    else:
        ssession = session

        def remember(content: str, type: str = "fact", tags: list[str] | None = None) -> str:
            r = ssession.remember(content, type=type, tags=tags or None)
            return f"Remembered (id {r.memory_id})."

        def recall(query: str, limit: int = 5) -> str:
            return _format(list(ssession.recall(query, limit=limit)))

        funcs = {"remember": {"func": remember}, "recall": {"func": recall}}

    return [
        StructuredTool.from_function(
            name="memanto_remember",
            description="Store something worth remembering in the agent's long-term memory.",
            args_schema=_RememberArgs,
            **funcs["remember"],
        ),
        StructuredTool.from_function(
            name="memanto_recall",
            description="Search the agent's long-term memory; returns the most relevant memories.",
            args_schema=_RecallArgs,
            **funcs["recall"],
        ),
    ]
