"""Agent management tools, offered only with ``--admin``: list, create and delete agents."""

import functools
from typing import Annotated, Any, Callable

import anyio
from pydantic import Field

from .. import MemantoError
from .._types import AgentInfo
from ._compat import ToolError
from .backend import Backend

__all__ = ["register_admin_tools"]

_AgentName = Annotated[str, Field(description="The agent's id: letters, digits, _ and -.")]


def _agent_json(info: AgentInfo) -> dict[str, Any]:
    created = info.created_at.isoformat().replace("+00:00", "Z") if info.created_at else None
    return {"agent_id": info.agent_id, "pattern": info.pattern, "description": info.description,
            "memory_count": info.memory_count, "created_at": created}


def register_admin_tools(app: Any, backend: Backend, tool: Callable[..., Any]) -> list[str]:
    import json

    async def run(fn: Callable[[], Any]) -> str:
        try:
            result = await anyio.to_thread.run_sync(fn)
        except MemantoError as e:
            raise ToolError(str(e)) from None
        return json.dumps(result, ensure_ascii=False, separators=(",", ":"))

    async def list_agents() -> str:
        return await run(lambda: {"agents": [_agent_json(a.info) for a in backend.client.agents.list()],
                                  "default_agent": backend.default_agent})

    tool(list_agents, "List every agent (memory space) on the server with its memory count.", read_only=True)

    async def create_agent(
        agent_id: _AgentName,
        pattern: Annotated[str | None, Field(description="support (default), project or tool.")] = None,
        description: Annotated[str | None, Field(description="What this agent's memory is for.")] = None,
    ) -> str:
        kwargs: dict[str, Any] = {k: v for k, v in (("pattern", pattern), ("description", description)) if v is not None}
        return await run(lambda: _agent_json(backend.client.agents.create(agent_id, **kwargs).info))

    tool(create_agent, "Create an agent: a separate memory space. (Memory tools create their agent on "
         "first use, so this is only needed to set a pattern or description.)")

    async def delete_agent(agent_id: _AgentName) -> str:
        def op() -> dict[str, Any]:
            backend.forget(agent_id)
            backend.client.agents.delete(agent_id)
            return {"deleted": agent_id}
        return await run(op)

    tool(delete_agent, "Delete an agent and ALL of its memories, irreversibly. Only on the user's "
         "explicit request.", destructive=True)
    return ["list_agents", "create_agent", "delete_agent"]
