from __future__ import annotations

from datetime import datetime, timezone

import pytest

from conftest import new_agent_id
from faults import FaultServer, Scripted
from memanto_client import Client, ConflictError, LocalServer, NotFoundError, ValidationError


def test_create_get_list_delete(client: Client) -> None:
    agent_id = new_agent_id("crud")
    before = datetime.now(timezone.utc)
    agent = client.agents.create(agent_id, pattern="project", description="a test", metadata={"team": "qa"})
    assert agent.agent_id == agent_id
    assert agent.pattern == "project"
    assert agent.description == "a test"
    assert agent.namespace == f"memanto_agent_{agent_id}"
    assert agent.created_at is not None and agent.created_at.tzinfo is not None
    assert abs((agent.created_at - before).total_seconds()) < 60
    assert agent.info.metadata is not None and agent.info.metadata["team"] == "qa"
    assert agent.session_count == 0

    got = client.agents.get(agent_id)
    assert got.agent_id == agent_id and got.pattern == "project"
    assert agent_id in [a.agent_id for a in client.agents.list()]

    agent.delete()
    with pytest.raises(NotFoundError) as err:
        client.agents.get(agent_id)
    assert err.value.status_code == 404
    assert err.value.code == "AgentNotFound"
    assert agent_id not in [a.agent_id for a in client.agents.list()]


def test_list_is_newest_first(client: Client) -> None:
    ids = [new_agent_id("order") for _ in range(3)]
    for i in ids:
        client.agents.create(i)
    listed = [a.agent_id for a in client.agents.list() if a.agent_id in ids]
    assert listed == list(reversed(ids))
    for i in ids:
        client.agents.delete(i)


def test_duplicate_agent_is_conflict(client: Client) -> None:
    agent_id = new_agent_id("dup")
    client.agents.create(agent_id)
    with pytest.raises(ConflictError) as err:
        client.agents.create(agent_id)
    assert err.value.status_code == 409
    assert err.value.code == "AgentAlreadyExists"
    assert agent_id in str(err.value)
    assert client.agents.get_or_create(agent_id).agent_id == agent_id
    client.agents.delete(agent_id)


def test_unknown_agent(client: Client) -> None:
    with pytest.raises(NotFoundError):
        client.agents.get("no-such-agent-xyz")
    with pytest.raises(NotFoundError):
        client.agents.delete("no-such-agent-xyz")
    with pytest.raises(NotFoundError) as err:
        client.agents.get("no-such-agent-xyz").activate()
    assert "agents.list()" in str(err.value)


@pytest.mark.parametrize("bad", ["has space", "", "slash/id", "ünïcode", "semi;colon"])
def test_bad_agent_id_is_refused_before_sending(bad: str) -> None:
    with FaultServer([Scripted(201, "{}")]) as fs:
        client = Client(api_key="k", base_url=fs.url)
        with pytest.raises(ValidationError) as err:
            client.agents.create(bad)
        assert "agent_id" in str(err.value)
        assert err.value.status_code is None
        assert fs.requests == []


def test_bad_pattern_is_refused_before_sending() -> None:
    with FaultServer([Scripted(201, "{}")]) as fs:
        client = Client(api_key="k", base_url=fs.url)
        with pytest.raises(ValidationError, match="pattern"):
            client.agents.create("ok-id", pattern="helper")
        assert fs.requests == []


def test_get_or_create_creates_once(server: LocalServer) -> None:
    client = server.client()
    agent_id = new_agent_id("goc")
    first = client.agents.get_or_create(agent_id, pattern="tool")
    second = client.agents.get_or_create(agent_id, pattern="support")
    assert first.pattern == "tool" and second.pattern == "tool"
    client.agents.delete(agent_id)
