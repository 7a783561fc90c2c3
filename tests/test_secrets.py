"""No API key or session token in any repr, exception text or log record of a full flow."""

from __future__ import annotations

import logging
import pickle

import pytest

from memanto_client import Client, LocalServer, MemantoError


def test_full_flow_leaks_nothing(server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    client = server.client()
    seen.append(repr(client))
    agent = client.agents.create("secrets-check")
    seen.append(repr(agent))
    session = agent.activate()
    token = session.session_token
    seen += [repr(session), repr(session.claims), repr(session.record), str(session.claims.to_dict())]
    seen.append(repr(session.remember("hello")))
    seen.append(repr(session.recall("hello")))
    seen.append(repr(session.current()))
    seen.append(repr(session.extend(1)))
    new_token = session.session_token
    errors: list[MemantoError] = []
    for call in (
        lambda: Client(api_key=server.api_key + "x", base_url=server.url).agents.list(),
        lambda: client.session_from_token(token[:-4] + "AAAA").recall("x"),
        lambda: client.session_from_token(token + "garbage").recall("x"),
        lambda: session.remember("x" * 10_001),
    ):
        with pytest.raises(MemantoError) as err:
            call()
        errors.append(err.value)
    session.deactivate()
    with pytest.raises(MemantoError) as err:
        session.recall("after")
    errors.append(err.value)
    for e in errors:
        seen += [str(e), repr(e), repr(e.body), repr(pickle.loads(pickle.dumps(e)).__dict__)]
    seen += [r.getMessage() for r in caplog.records]
    blob = "\n".join(seen)
    for secret in (server.api_key, token, new_token):
        assert secret not in blob
    assert "eyJ" not in blob
    agent.delete()
