"""LocalServer(api_version=...): each generation's GET /, the 0.2 management gate and token
renewal, over real loopback HTTP (urllib, so that the SDK's own generation handling is not
involved)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from memanto_client import LocalServer


def call(
    server: LocalServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(server.url + path, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read()), dict(res.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


@pytest.mark.parametrize(
    ("api_version", "version", "generations"),
    [("0.2", "0.2.30", None), ("0.0", "0.0.8", None), (None, "0.0.8", ["0.0", "0.2"])],
)
def test_index_reports_the_imitated_generation(
    api_version: str | None, version: str, generations: list[str] | None
) -> None:
    with LocalServer(api_version=api_version) as srv:  # type: ignore[arg-type]
        status, body, _ = call(srv, "GET", "/")
        assert status == 200
        assert body["version"] == version
        assert body.get("generations") == generations
        assert srv.api_version == api_version
        assert f"api_version={api_version!r}" in repr(srv)


def test_bad_api_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="api_version"):
        LocalServer(api_version="0.1")  # type: ignore[arg-type]


def test_management_gate_and_renewed_tokens() -> None:
    with LocalServer(api_version="0.2", trust_loopback=False, renew_every_call=True) as srv:
        status, body, _ = call(srv, "POST", "/api/v2/agents", {"agent_id": "bot"})
        assert status == 401
        assert body["detail"].startswith("Unauthorized. Agent management endpoints require")
        key = {"X-Api-Key": srv.api_key}
        assert call(srv, "POST", "/api/v2/agents", {"agent_id": "bot"}, key)[0] == 201
        status, session, _ = call(srv, "POST", "/api/v2/agents/bot/activate", None, {"Authorization": f"Bearer {srv.api_key}"})
        assert status == 200
        token = session["session_token"]
        status, stored, headers = call(srv, "POST", "/api/v2/agents/bot/remember", {"content": "hi"}, {"X-Session-Token": token})
        assert status == 200
        assert stored["type"] == "fact"
        renewed = headers.get("x-session-token") or headers.get("X-Session-Token")
        assert renewed and renewed != token
        status, body, _ = call(srv, "POST", "/api/v2/agents/bot/recall", {"query": "hi"}, {"X-Session-Token": token})
        assert status == 401
        assert body["detail"]["error"] == "InvalidSessionToken"
        status, found, _ = call(srv, "POST", "/api/v2/agents/bot/recall", {"query": "hi"}, {"X-Session-Token": renewed})
        assert status == 200
        assert found["count"] == 1
