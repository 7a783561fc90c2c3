"""Every documented error reaches the caller as the right class, with a remedy."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time

import pytest

import memanto_client as mc
from faults import FaultServer, Scripted, unused_port
from memanto_client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Client,
    LocalServer,
    MemantoError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SessionExpiredError,
    SessionTokenMissingError,
    ValidationError,
)


def test_invalid_api_key(server: LocalServer) -> None:
    client = Client(api_key="mk_wrong_key", base_url=server.url)
    with pytest.raises(AuthenticationError) as err:
        client.agents.list()
    assert err.value.status_code == 401
    assert "Invalid Moorcheh API key" in str(err.value)
    assert "MOORCHEH_API_KEY" in str(err.value)
    assert "mk_wrong_key" not in str(err.value)
    with pytest.raises(AuthenticationError):
        client.health()


def test_missing_api_key(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOORCHEH_API_KEY", raising=False)
    client = Client(base_url=server.url)
    assert "api_key=not set" in repr(client)
    with pytest.raises(AuthenticationError, match="Missing API key"):
        client.agents.list()


def test_api_key_and_base_url_from_environment(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOORCHEH_API_KEY", server.api_key)
    monkeypatch.setenv("MEMANTO_BASE_URL", server.url)
    client = Client()
    assert client.base_url == server.url
    assert client.health().ok


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMANTO_BASE_URL", raising=False)
    assert Client(api_key="k").base_url == "http://localhost:8000"
    assert Client(api_key="k").timeout == 60.0
    assert Client(api_key="k", timeout=None).timeout is None


def test_bad_configuration() -> None:
    with pytest.raises(ValidationError, match="base_url"):
        Client(api_key="k", base_url="localhost:8000")
    with pytest.raises(ValidationError, match="timeout"):
        Client(api_key="k", base_url="http://x", timeout=0)


def test_missing_session_token_from_server() -> None:
    body = '{"detail":"Missing session token. Use X-Session-Token header."}'
    with FaultServer([Scripted(401, body)]) as fs:
        s = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(SessionTokenMissingError) as err:
            s.recall("x")
    assert err.value.status_code == 401
    assert "Activate the agent first" in str(err.value)


def test_expired_session_from_server_0_0_8_shape() -> None:
    body = '{"detail":{"error":"SessionExpired","message":"Session sess_1 expired at 2026-01-01 00:00:00","details":{}}}'
    with FaultServer([Scripted(401, body)]) as fs:
        s = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(SessionExpiredError) as err:
            s.recall("x")
    assert err.value.code == "SessionExpired"
    assert "session.extend()" in str(err.value) and "agent.activate()" in str(err.value)
    assert isinstance(err.value, mc.SessionError)


def test_agent_mismatch_0_0_8_500_is_permission_denied() -> None:
    body = ('{"detail":{"error":"InternalServerError","message":"An unexpected error occurred",'
            '"details":{"original_error":"Session is for agent \'a\', cannot access \'b\'"}}}')
    with FaultServer([Scripted(500, body)]) as fs:
        s = Client(api_key="k", base_url=fs.url).session_from_token(_token())
        with pytest.raises(PermissionDeniedError) as err:
            s.recall("x")
    assert err.value.status_code == 500
    assert "cannot access 'b'" in str(err.value)


def test_html_502_from_a_proxy() -> None:
    html = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
            "</center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n" + "<!-- padding -->" * 200)
    with FaultServer([Scripted(502, html, {"Content-Type": "text/html"})]) as fs:
        with pytest.raises(ServerError) as err:
            Client(api_key="k", base_url=fs.url, max_retries=0).agents.list()
    e = err.value
    assert e.status_code == 502
    assert "502 Bad Gateway" in str(e) and "text/html" in str(e)
    assert "<h1>" not in str(e)
    assert len(str(e)) < 500
    assert isinstance(e.body, str) and "502 Bad Gateway" in e.body


def test_200_with_a_non_json_body() -> None:
    with FaultServer([Scripted(200, "<html>welcome</html>", {"Content-Type": "text/html; charset=utf-8"})]) as fs:
        with pytest.raises(ServerError, match="not JSON .*text/html") as err:
            Client(api_key="k", base_url=fs.url).agents.list()
    assert err.value.status_code == 200


def test_rate_limit_carries_retry_after() -> None:
    with FaultServer([Scripted(429, '{"detail":"slow down"}', {"Content-Type": "application/json", "Retry-After": "7"})]) as fs:
        with pytest.raises(RateLimitError) as err:
            Client(api_key="k", base_url=fs.url, max_retries=0).agents.list()
    assert err.value.retry_after == 7.0
    assert err.value.status_code == 429


def test_connection_refused() -> None:
    port = unused_port()
    with pytest.raises(APIConnectionError) as err:
        Client(api_key="k", base_url=f"http://127.0.0.1:{port}", timeout=5, max_retries=0).agents.list()
    assert not isinstance(err.value, APITimeoutError)
    assert "MEMANTO_BASE_URL" in str(err.value)


def test_stalled_server_times_out() -> None:
    with FaultServer([Scripted(200, "{}", delay=5)]) as fs:
        client = Client(api_key="k", base_url=fs.url, timeout=0.5)
        start = time.monotonic()
        with pytest.raises(APITimeoutError) as err:
            client.agents.list()
        elapsed = time.monotonic() - start
    assert 0.4 < elapsed < 3
    assert isinstance(err.value, APIConnectionError)
    assert "timeout" in str(err.value).lower()


def test_gil_is_released_while_waiting() -> None:
    counter = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1
            time.sleep(0.001)

    with FaultServer([Scripted(200, '{"agents":[],"count":0}', delay=0.6)]) as fs:
        t = threading.Thread(target=spin)
        t.start()
        Client(api_key="k", base_url=fs.url).agents.list()
        stop.set()
        t.join()
    assert counter > 100  # the other thread ran during the 0.6 s wait


def test_errors_pickle_with_their_attributes() -> None:
    e = SessionExpiredError("expired (HTTP 401). Re-activate.", status_code=401, code="SessionExpired", body={"detail": {"error": "SessionExpired"}})
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is SessionExpiredError
    assert (back.message, back.status_code, back.code, back.body) == (e.message, 401, "SessionExpired", e.body)
    assert isinstance(back, MemantoError) and isinstance(back, Exception)
    assert issubclass(ValidationError, ValueError)


def test_hierarchy() -> None:
    for name in ["AuthenticationError", "SessionTokenMissingError", "SessionExpiredError", "InvalidSessionTokenError",
                 "PermissionDeniedError", "NotFoundError", "ConflictError", "ValidationError", "RateLimitError",
                 "ServerError", "APIConnectionError", "APITimeoutError"]:
        cls = getattr(mc, name)
        assert issubclass(cls, MemantoError) and issubclass(cls, Exception), name


def test_ctrl_c_abandons_a_blocking_call() -> None:
    with FaultServer([Scripted(200, "{}", delay=30)]) as fs:
        script = (
            # As in a terminal, even when this suite runs as a background job (SIGINT ignored
            # and inherited: Python would then leave Ctrl-C ignored in the child).
            "import signal, sys, time\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
            "from memanto_client import Client\n"
            f"c = Client(api_key='k', base_url='{fs.url}', timeout=None)\n"
            "print('calling', flush=True)\n"
            "try:\n"
            "    c.agents.list()\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted', flush=True)\n"
            "    sys.exit(3)\n"
        )
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "calling"
        time.sleep(0.5)
        start = time.monotonic()
        proc.send_signal(__import__("signal").SIGINT)
        rc = proc.wait(timeout=10)
        elapsed = time.monotonic() - start
    assert rc == 3
    assert elapsed < 2.0


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="needs setitimer")
def test_a_signal_handler_can_make_a_call_while_one_waits() -> None:
    # A sync call waits on its own thread; a Python signal handler run meanwhile (on that same
    # thread, when the wait lets Python deliver signals) may itself call the server.
    import signal

    slow = Scripted(200, '{"agents":[],"count":0}', delay=0.6)
    fast = Scripted(200, '{"agents":[{"agent_id":"from-handler"}],"count":1}')
    with FaultServer([slow], routes={"/api/v2/agents/from-handler": [fast]}) as fs:
        client = Client(api_key="k", base_url=fs.url, timeout=10.0)
        seen: list[object] = []

        def handler(signum: int, frame: object) -> None:
            seen.append(client.agents.get("from-handler"))

        previous = signal.signal(signal.SIGALRM, handler)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.15)
            assert client.agents.list() == []
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        assert len(seen) == 1


def _token() -> str:
    from conftest import make_jwt

    return make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"})
