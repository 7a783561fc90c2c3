"""The MCP tools: each one a thin call of the public SDK on the agent's session.

Arguments are checked by the SDK (one set of rules, one set of messages); an SDK error comes
back to the model as a tool error with the SDK's message. Results are compact JSON text.
Tools whose SDK call this version of memanto-client lacks (``recall_recent``, ``expire``,
``restore``, the ``status`` filter) are not offered.
"""

# No `from __future__ import annotations`: the MCP SDK reads these signatures at runtime.
import functools
import inspect
import json
from datetime import datetime
from typing import Annotated, Any, Callable, Mapping, TypeVar

import anyio
from pydantic import BaseModel, Field

from .. import MemantoError, Session
from .._types import Answer, BatchRememberResult, Memory, MemoryOperation, RecallResult, RememberResult
from ._compat import ToolError
from .backend import Backend

__all__ = ["register_tools", "MemoryInput"]

F = TypeVar("F", bound=Callable[..., Any])

_TYPES_TEXT = (
    "fact, preference, goal, decision, artifact, learning, event, instruction, relationship, "
    "context, observation, commitment or error"
)

_AgentId = Annotated[str | None, Field(
    description="Which agent's memory to use (letters, digits, _ and -). Omit it to use the "
    "server's default agent; an agent that does not exist yet is created.")]
_Content = Annotated[str, Field(description="The memory itself, one self-contained statement "
                               "(1 to 10,000 characters).")]
_MemType = Annotated[str | None, Field(description=f"Kind of memory: {_TYPES_TEXT} (default fact).")]
_Title = Annotated[str | None, Field(description="Short title, up to 100 characters.")]
_Confidence = Annotated[float | None, Field(description="How sure you are, 0.0 to 1.0 (default 0.8).")]
_Tags = Annotated[list[str] | None, Field(description="Labels for later filtering, e.g. "
                                         "[\"project-x\", \"billing\"] (no commas inside a tag).")]
_Source = Annotated[str | None, Field(description="Where it came from, e.g. \"user\" or a file name.")]
_Provenance = Annotated[str | None, Field(
    description="How it was learnt: explicit_statement (default), inferred, corrected, validated, "
    "observed or imported.")]
_Query = Annotated[str, Field(description="What to look for, in natural language (1 to 1,000 characters).")]
_Limit = Annotated[int | None, Field(description="Most memories to return, 1 to 100 (default 10).")]
_Types = Annotated[list[str] | None, Field(description=f"Keep only these kinds: {_TYPES_TEXT}.")]
_TagFilter = Annotated[list[str] | None, Field(description="Keep only memories carrying all of these tags.")]
_Status = Annotated[str | None, Field(description="active (not expired), expired, or all (default). "
                                     "Needs a 0.2.x server or the embedded one.")]
_After = Annotated[str | None, Field(description="Only memories created at or after this ISO-8601 "
                                    "time, e.g. 2025-01-31 or 2025-01-31T09:00:00Z.")]
_Before = Annotated[str | None, Field(description="Only memories created before this ISO-8601 time.")]
_MinSim = Annotated[float | None, Field(description="Drop matches scoring below this similarity, 0.0 to 1.0.")]
_MemoryId = Annotated[str, Field(description="The memory's id, as returned by remember or recall.")]


class MemoryInput(BaseModel):
    """One memory of a batch."""

    content: _Content
    type: _MemType = None
    title: _Title = None
    confidence: _Confidence = None
    tags: _Tags = None
    source: _Source = None
    provenance: _Provenance = None


# --- compact JSON for the model ------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def memory_json(m: Memory) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "content": m.content, "type": m.type,
                           "score": round(m.score, 4) if m.score is not None else None,
                           "created_at": _time(m.created_at), "tags": list(m.tags)}
    if m.title and not m.content.startswith(m.title):
        out["title"] = m.title
    if m.status and m.status != "active":
        out["status"] = m.status
    return out


def _recall_json(agent_id: str, r: RecallResult) -> dict[str, Any]:
    out: dict[str, Any] = {"agent_id": agent_id, "count": len(r), "memories": [memory_json(m) for m in r]}
    if r.truncated:
        out["more_available"] = True
    for key in ("as_of_date", "since_date"):
        if getattr(r, key, None):
            out[key] = getattr(r, key)
    return out


def _op_json(op: MemoryOperation) -> dict[str, Any]:
    fields = (("memory_id", op.memory_id), ("status", op.status), ("message", op.message))
    out: dict[str, Any] = {k: v for k, v in fields if v is not None}
    if op.updated_fields:
        out["updated_fields"] = list(op.updated_fields)
    return out


def _dump(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _given(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments the model actually gave (None means "not given")."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _without(fn: F, *names: str) -> F:
    """``fn`` with the named parameters left out of the signature the MCP SDK advertises."""
    sig = inspect.signature(fn)
    fn.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p for n, p in sig.parameters.items() if n not in names])
    return fn


def _requires(method: str, param: str) -> bool:
    p = inspect.signature(getattr(Session, method)).parameters.get(param)
    return p is not None and p.default is inspect.Parameter.empty


def _accepts(method: str, param: str) -> bool:
    fn = getattr(Session, method, None)
    return fn is not None and param in inspect.signature(fn).parameters


# --- registration -----------------------------------------------------------------------------


def register_tools(app: Any, backend: Backend, *, admin: bool = False) -> list[str]:
    """Add the memory tools (and, with ``admin``, the agent tools) to ``app``; returns their names."""
    names: list[str] = []

    async def run(agent_id: str | None, op: Callable[[Session], dict[str, Any]]) -> str:
        try:
            return _dump(await anyio.to_thread.run_sync(functools.partial(backend.call, agent_id, op)))
        except MemantoError as e:  # bad input (ValidationError) or a server-side failure
            raise ToolError(str(e)) from None

    def tool(fn: F, description: str, *, read_only: bool = False, destructive: bool = False) -> F:
        from mcp.types import ToolAnnotations

        notes = ToolAnnotations.model_validate(  # camelCase: the wire names, in mcp 1 and 2
            {"readOnlyHint": read_only, "destructiveHint": destructive, "openWorldHint": False})
        app.add_tool(fn, name=fn.__name__, description=description, annotations=notes, structured_output=False)
        names.append(fn.__name__)
        return fn

    async def remember(content: _Content, type: _MemType = None, title: _Title = None,
                       confidence: _Confidence = None, tags: _Tags = None, source: _Source = None,
                       provenance: _Provenance = None, agent_id: _AgentId = None) -> str:
        def op(s: Session) -> dict[str, Any]:
            r: RememberResult = s.remember(content, **_given(type=type, title=title, confidence=confidence,
                                                             tags=tags, source=source, provenance=provenance))
            return {"memory_id": r.memory_id, "agent_id": s.agent_id, "type": r.type or type or "fact"}
        return await run(agent_id, op)

    tool(remember, "Store one thing worth remembering across conversations: a fact about the user "
         "or project, a preference, a decision, a goal, an instruction, a commitment. Use it whenever "
         "you learn something you (or another agent) will need later. Returns the new memory's id.")

    async def batch_remember(
        memories: Annotated[list[MemoryInput], Field(description="1 to 100 memories to store at once.")],
        agent_id: _AgentId = None,
    ) -> str:
        items = [m.model_dump(exclude_none=True) for m in memories]

        def op(s: Session) -> dict[str, Any]:
            r: BatchRememberResult = s.batch_remember(items)
            return {"agent_id": s.agent_id, "submitted": r.total_submitted, "stored": r.successful,
                    "failed": r.failed, "results": [_given(id=x.id, status=x.status, reason=x.reason)
                                                    for x in r.results]}
        return await run(agent_id, op)

    tool(batch_remember, "Store several memories in one call (e.g. the notes of a meeting, or facts "
         "pulled from a document). Prefer it over many remember calls. Returns one result per memory.")

    async def recall(query: _Query, limit: _Limit = None, types: _Types = None, tags: _TagFilter = None,
                     status: _Status = None, created_after: _After = None, created_before: _Before = None,
                     min_similarity: _MinSim = None, agent_id: _AgentId = None) -> str:
        def op(s: Session) -> dict[str, Any]:
            r = s.recall(query, **_given(limit=limit, types=types, tags=tags, status=status,
                                         created_after=created_after, created_before=created_before,
                                         min_similarity=min_similarity))
            return _recall_json(s.agent_id, r)
        return await run(agent_id, op)

    if not _accepts("recall", "status"):
        _without(recall, "status")
    tool(recall, "Search memory by meaning. Use it before answering anything that may depend on what "
         "was said or decided earlier (user preferences, project facts, past decisions). Returns the "
         "best matches first, each with id, content, type, score (0..1), created_at and tags; "
         "filter by types, tags, status or creation time.", read_only=True)

    if hasattr(Session, "recall_recent"):
        async def recall_recent(limit: _Limit = None, types: _Types = None, tags: _TagFilter = None,
                                status: _Status = None, created_after: _After = None,
                                created_before: _Before = None, agent_id: _AgentId = None) -> str:
            def op(s: Session) -> dict[str, Any]:
                r = getattr(s, "recall_recent")(**_given(limit=limit, types=types, tags=tags, status=status,
                                                          created_after=created_after,
                                                          created_before=created_before))
                return _recall_json(s.agent_id, r)
            return await run(agent_id, op)

        tool(recall_recent, "The newest memories, newest first, without a search query. Use it to "
             "catch up at the start of a conversation (\"what happened lately?\").", read_only=True)

    async def recall_as_of(
        as_of: Annotated[str, Field(description="The point in time, ISO-8601 (e.g. 2025-03-01 or "
                                    "2025-03-01T12:00:00Z).")],
        query: Annotated[str | None, Field(description="What to look for; some servers require it.")] = None,
        limit: _Limit = None, types: _Types = None, tags: _TagFilter = None, agent_id: _AgentId = None,
    ) -> str:
        def op(s: Session) -> dict[str, Any]:
            if query is None and _requires("recall_as_of", "query"):
                raise ToolError("recall_as_of needs a query with this version of memanto-client")
            r = s.recall_as_of(as_of=as_of, **_given(query=query, limit=limit, types=types, tags=tags))
            return _recall_json(s.agent_id, r)
        return await run(agent_id, op)

    tool(recall_as_of, "What memory held at a past moment: the memories as they were at as_of "
         "(before later updates or corrections). Use it for \"what did we believe on <date>?\".",
         read_only=True)

    async def recall_changed_since(
        since: Annotated[str, Field(description="ISO-8601 time; memories created or changed after it.")],
        limit: _Limit = None, types: _Types = None, tags: _TagFilter = None, agent_id: _AgentId = None,
    ) -> str:
        def op(s: Session) -> dict[str, Any]:
            r = s.recall_changed_since(since=since, **_given(limit=limit, types=types, tags=tags))
            return _recall_json(s.agent_id, r)
        return await run(agent_id, op)

    tool(recall_changed_since, "Memories created or changed since a time. Use it to see what is new "
         "since the last time you looked.", read_only=True)

    async def answer(question: Annotated[str, Field(description="The question (1 to 1,000 characters).")],
                     limit: Annotated[int | None, Field(description="Memories to draw on, 1 to 100.")] = None,
                     agent_id: _AgentId = None) -> str:
        def op(s: Session) -> dict[str, Any]:
            a: Answer = s.answer(question, **_given(limit=limit))
            return {"agent_id": s.agent_id, "answer": a.answer, "sources": [memory_json(m) for m in a.sources]}
        return await run(agent_id, op)

    tool(answer, "Answer a question from memory: the server reads the relevant memories and replies "
         "with an answer and the memories it used (sources). Use recall instead when you want the "
         "memories themselves.", read_only=True)

    async def update_memory(memory_id: _MemoryId, content: Annotated[str | None, Field(
                                description="New content (1 to 10,000 characters).")] = None,
                            type: _MemType = None, title: _Title = None, confidence: _Confidence = None,
                            tags: Annotated[list[str] | None, Field(description="New tags (replace the old).")] = None,
                            source: _Source = None, provenance: _Provenance = None, agent_id: _AgentId = None) -> str:
        def op(s: Session) -> dict[str, Any]:
            return _op_json(s.update(memory_id, **_given(content=content, type=type, title=title,
                                                         confidence=confidence, tags=tags, source=source,
                                                         provenance=provenance)))
        return await run(agent_id, op)

    tool(update_memory, "Correct or refine an existing memory in place (give only the fields to "
         "change). Use it when the user corrects something you stored.", destructive=True)

    async def delete_memory(memory_id: _MemoryId, agent_id: _AgentId = None) -> str:
        return await run(agent_id, lambda s: _op_json(s.delete(memory_id)))

    tool(delete_memory, "Delete a memory for good. Only when the user asks to forget something or it "
         "was stored by mistake; prefer update_memory (or expire_memory) otherwise.", destructive=True)

    if hasattr(Session, "expire"):
        async def expire_memory(memory_id: _MemoryId, reason: Annotated[str | None, Field(
                                    description="Why it no longer holds (up to 64 characters).")] = None,
                                agent_id: _AgentId = None) -> str:
            return await run(agent_id, lambda s: _op_json(getattr(s, "expire")(memory_id, **_given(reason=reason))))

        tool(expire_memory, "Mark a memory as no longer true (kept for history, left out of "
             "status=active searches). Use it when something stops being the case.", destructive=True)

    if hasattr(Session, "restore"):
        async def restore_memory(memory_id: _MemoryId, agent_id: _AgentId = None) -> str:
            return await run(agent_id, lambda s: _op_json(getattr(s, "restore")(memory_id)))

        tool(restore_memory, "Make an expired memory active again, when something expired by mistake or became true again (it then shows up in active recall).")

    if admin:
        from .admin import register_admin_tools

        names += register_admin_tools(app, backend, tool)
    return names
