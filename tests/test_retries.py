"""Retries, backoff, Retry-After, timeouts, the connection bound, and response limits, against
a fault-injecting server over loopback."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

import pytest

from conftest import make_jwt
from faults import FaultServer, Scripted, wait_until
from memanto_client import APIConnectionError, APITimeoutError, AsyncClient, Client, LocalServer, RateLimitError, ServerError, Session

JSON = {"Content-Type": "application/json"}
AGENTS = Scripted(200, '{"agents":[],"count":0}')


def _session(url: str, **kw: Any) -> Session:
    token = make_jwt({"agent_id": "bot", "expires_at": "2099-01-01T00:00:00"})
    return Client(api_key="k", base_url=url, **kw).session_from_token(token)


def test_5xx_on_a_read_is_retried() -> None:
    with FaultServer([Scripted(503, '{"detail":"busy"}'), Scripted(502, "<html>bad gateway</html>", {"Content-Type": "text/html"}), AGENTS]) as fs:
        Client(api_key="k", base_url=fs.url).agents.list()
        assert len(fs.requests) == 3


def test_retries_are_bounded() -> None:
    with FaultServer([Scripted(503, '{"detail":"busy"}')]) as fs:
        with pytest.raises(ServerError) as err:
            Client(api_key="k", base_url=fs.url, max_retries=1).agents.list()
        assert err.value.status_code == 503
        assert len(fs.requests) == 2


def test_5xx_on_remember_is_not_replayed() -> None:
    with FaultServer([Scripted(500, '{"detail":"oops"}'), Scripted(200, '{"memory_id":"m"}')]) as fs:
        with pytest.raises(ServerError):
            _session(fs.url).remember("must not be stored twice")
        assert len(fs.requests) == 1


def test_reset_after_sending_is_not_replayed_for_writes_but_is_for_reads() -> None:
    with FaultServer([Scripted(reset=True), Scripted(200, '{"memory_id":"m"}')]) as fs:
        with pytest.raises(Exception):
            _session(fs.url).remember("once")
        assert len(fs.requests) == 1
    with FaultServer([Scripted(reset=True), Scripted(200, '{"memories":[],"count":0}')]) as fs:
        assert _session(fs.url).recall("q").count == 0
        assert len(fs.requests) == 2


def test_429_is_retried_even_for_writes_and_obeys_retry_after() -> None:
    limited = Scripted(429, '{"detail":"slow down"}', {**JSON, "Retry-After": "1"})
    with FaultServer([limited, Scripted(200, '{"memory_id":"m1"}')]) as fs:
        start = time.monotonic()
        assert _session(fs.url).remember("x").memory_id == "m1"
        waited = time.monotonic() - start
        assert len(fs.requests) == 2
        assert 0.95 <= waited < 3


def test_retry_after_as_http_date() -> None:
    when = formatdate(time.time() + 2, usegmt=True)
    with FaultServer([Scripted(429, "{}", {**JSON, "Retry-After": when}), AGENTS]) as fs:
        start = time.monotonic()
        Client(api_key="k", base_url=fs.url).agents.list()
        assert 0.9 <= time.monotonic() - start < 4  # rounded up, whole seconds


def test_huge_retry_after_is_capped_and_reported() -> None:
    with FaultServer([Scripted(429, "{}", {**JSON, "Retry-After": "999999999"})]) as fs:
        start = time.monotonic()
        with pytest.raises(RateLimitError) as err:
            Client(api_key="k", base_url=fs.url, max_retries=1, max_retry_after=0.5).agents.list()
        assert time.monotonic() - start < 3
        assert err.value.retry_after == 999999999.0
        assert len(fs.requests) == 2


def test_garbage_retry_after_falls_back_to_backoff() -> None:
    with FaultServer([Scripted(429, "{}", {**JSON, "Retry-After": "soon-ish"}), AGENTS]) as fs:
        start = time.monotonic()
        Client(api_key="k", base_url=fs.url).agents.list()
        assert time.monotonic() - start < 2.5
        assert len(fs.requests) == 2


def test_silent_server_times_out_within_the_configured_time() -> None:
    with FaultServer([Scripted(200, "{}", delay=10)]) as fs:
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            _session(fs.url, timeout=0.5).recall("q")  # a read: still not replayed after a timeout
        assert time.monotonic() - start < 1.5
        assert len(fs.requests) == 1


def test_timeout_none_must_be_explicit() -> None:
    assert Client(api_key="k", base_url="http://127.0.0.1:9").timeout == 60.0
    assert Client(api_key="k", base_url="http://127.0.0.1:9", timeout=None).timeout is None


def test_pool_queues_callers_instead_of_failing(server: LocalServer) -> None:
    client = server.client(max_connections=10)
    agent = client.agents.create("pool-queue")
    with agent.activate() as session:
        session.remember("queueing works")
        with ThreadPoolExecutor(50) as pool:
            counts = list(pool.map(lambda _: session.recall("queueing").count, range(200)))
    assert counts == [1] * 200
    agent.delete()


def test_idle_connection_closed_by_server_is_not_an_error() -> None:
    with FaultServer([AGENTS], idle_timeout=0.2) as fs:
        client = Client(api_key="k", base_url=fs.url, max_retries=0)
        client.agents.list()
        time.sleep(0.6)  # the server drops the kept-alive connection meanwhile
        client.agents.list()
        assert len(fs.requests) == 2


def test_connection_closed_by_server_shortly_before_the_next_call_is_not_an_error() -> None:
    # Sync calls drive their own I/O: between two calls nobody may be watching the kept-alive
    # connection, yet the next call must not pick it once the server has closed it.
    with FaultServer([AGENTS], idle_timeout=0.02) as fs:
        client = Client(api_key="k", base_url=fs.url, max_retries=0)
        for _ in range(5):
            client.agents.list()
            time.sleep(0.06)
        assert len(fs.requests) == 5
        assert fs.connections_closed >= 4


def test_connections_of_a_collected_client_are_closed() -> None:
    with FaultServer([AGENTS]) as fs:
        client = Client(api_key="k", base_url=fs.url)
        client.agents.list()
        client.agents.list()
        assert fs.connections_closed == 0
        del client
        gc.collect()
        assert wait_until(lambda: fs.connections_closed == 1, timeout=5.0)


def test_oversize_body_is_refused() -> None:
    big = '{"agents":[],"pad":"' + "x" * 2_000_000 + '"}'
    with FaultServer([Scripted(200, big)]) as fs:
        with pytest.raises(ServerError, match="max_response_bytes"):
            Client(api_key="k", base_url=fs.url, max_response_bytes=1_000_000).agents.list()
        Client(api_key="k", base_url=fs.url).agents.list()  # the default allows it


def test_requests_and_retries_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="memanto_client")
    with FaultServer([Scripted(503, "{}"), AGENTS]) as fs:
        Client(api_key="mk_log_secret", base_url=fs.url).agents.list()
    records = [r for r in caplog.records if r.name == "memanto_client"]
    messages = [r.getMessage() for r in records]
    assert any("GET /api/v2/agents -> 503 (attempt 1" in m and "retrying in" in m for m in messages), messages
    assert any("GET /api/v2/agents -> ok (attempt 2" in m and " ms)" in m for m in messages), messages
    assert not any("mk_log_secret" in m for m in messages)


class _CallingHandler(logging.Handler):
    """A logging handler that makes a sync call of its own for each record (once at a time)."""

    def __init__(self, call: Any) -> None:
        super().__init__(logging.DEBUG)
        self.call = call
        self.results: list[str] = []
        self.busy = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            self.results.append(type(self.call()).__name__)
        except BaseException as e:  # noqa: BLE001 - the test reads what came out
            self.results.append(f"raised {type(e).__module__}.{type(e).__name__}")
        finally:
            self.busy = False


def _with_handler(handler: logging.Handler) -> Any:
    logger = logging.getLogger("memanto_client")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    return logger, previous


def test_a_logging_handler_may_make_a_sync_call(server: LocalServer) -> None:
    # Records of a sync call reach Python after its runtime is left, so a handler that calls
    # the server itself works (it used to panic: the runtime cannot be entered twice).
    other = server.client()
    handler = _CallingHandler(other.health)
    logger, previous = _with_handler(handler)
    try:
        client = server.client()
        assert client.health().status == "healthy"
        assert client.health().status == "healthy"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert handler.results and set(handler.results) == {"Health"}, handler.results


def test_a_failing_logging_handler_does_not_fail_the_call(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_value))

    class Failing(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            raise ValueError("handler failed")

        def handleError(self, record: logging.LogRecord) -> None:
            raise  # noqa: PLE0704 - let it escape logging, as a handler's filter could

    handler = Failing(logging.DEBUG)
    logger, previous = _with_handler(handler)
    try:
        client = server.client()
        session = client.agents.create("failing-log-handler").activate()
        session.remember("stored exactly once")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert [m.content for m in session.recall("stored exactly once")] == ["stored exactly once"]
    # Reported as unraisable, not raised (the memory was stored: raising would invite a retry).
    assert any(isinstance(e, ValueError) and str(e) == "handler failed" for e in unraisable), unraisable


def test_a_sync_call_from_a_handler_on_the_io_thread_is_a_clean_error(server: LocalServer) -> None:
    # An async call's records are handled on the I/O thread, which cannot wait on a sync call.
    other = server.client()
    handler = _CallingHandler(other.health)
    logger, previous = _with_handler(handler)

    async def main() -> None:
        client = AsyncClient(api_key=server.api_key, base_url=server.url)
        assert (await client.health()).status == "healthy"

    try:
        asyncio.run(main())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert handler.results and set(handler.results) == {"raised memanto_client.exceptions.MemantoError"}, handler.results


def test_quiet_by_default() -> None:
    script = (
        "from memanto_client import LocalServer\n"
        "with LocalServer() as s:\n"
        "    c = s.client()\n"
        "    a = c.agents.create('quiet')\n"
        "    with a.activate() as x:\n"
        "        x.remember('hi'); x.recall('hi')\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


def test_connect_failure_of_a_write_is_retried_because_it_never_left() -> None:
    """Nothing listens at first; the server appears during the backoff. remember is a write,
    but a refused connection provably never reached a server, so it is retried."""
    import socket
    import threading

    from faults import unused_port

    port = unused_port()
    ready = threading.Event()
    received: list[bytes] = []

    def late_server() -> None:
        time.sleep(0.2)
        with socket.socket() as srv:
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", port))
            srv.listen()
            ready.set()
            srv.settimeout(10)
            conn, _ = srv.accept()
            with conn:
                received.append(conn.recv(65536))
                body = b'{"memory_id":"late"}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

    t = threading.Thread(target=late_server)
    t.start()
    # Pinned: this server answers one request, so no GET / detection first.
    r = _session(f"http://127.0.0.1:{port}", max_retries=3, api_version="0.0").remember("sent once it could be")
    t.join()
    assert r.memory_id == "late"
    assert len(received) == 1 and received[0].startswith(b"POST /api/v2/agents/bot/remember")


def test_plain_http_requests_carry_host_user_agent_and_json_content_type() -> None:
    with FaultServer([Scripted(200, '{"memory_id":"m"}')]) as fs:
        _session(fs.url).remember("hello")
        (req,) = fs.requests
        assert req.headers["user-agent"].startswith("memanto-client/")
        assert req.headers["host"] == fs.url.removeprefix("http://")
        assert req.headers["content-type"] == "application/json"
        assert req.headers["authorization"] == "Bearer k"
        assert b'"content":"hello"' in req.body


def test_a_proxy_from_the_environment_carries_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fault server plays an HTTP proxy: it gets the absolute URL of a host that does not
    # resolve, and answers for it. Unproxied, the call would fail to connect.
    target = "http://memanto-proxy-test.invalid:9"
    version = Scripted(200, '{"service":"MEMANTO","version":"0.0.8","docs":null}', JSON)
    with FaultServer([version], routes={f"{target}/api": [AGENTS]}, version=None) as fs:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", fs.url)
        assert Client(api_key="k", base_url=target).agents.list() == []
        listed = [r for r in fs.requests if r.path.startswith(f"{target}/api/v2/agents")]
        assert len(listed) == 1
        assert listed[0].headers["authorization"] == "Bearer k"
        # NO_PROXY naming the host sends it direct again: here, to nowhere.
        monkeypatch.setenv("NO_PROXY", "memanto-proxy-test.invalid")
        with pytest.raises(Exception, match="Could not reach"):
            Client(api_key="k", base_url=target, max_retries=0).agents.list()


@pytest.mark.parametrize("path", ["direct", "proxied"])
def test_a_redirect_is_not_followed_and_says_where_it_pointed(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Followed, the redirect would take the API key to another host (the plain path and the
    # reqwest path, used through a proxy, must agree).
    moved = Scripted(307, "", {"Location": "https://elsewhere.example/api/v2/agents"})
    with FaultServer([moved], version=None) as fs:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        base = fs.url
        if path == "proxied":
            monkeypatch.setenv("HTTP_PROXY", fs.url)
            base = "http://memanto-proxy-test.invalid:9"
        with pytest.raises(APIConnectionError, match=r"redirect \(HTTP 307, to https://elsewhere\.example/api/v2/agents\).*set base_url") as err:
            Client(api_key="k", base_url=base, api_version="0.0").agents.list()
        assert err.value.status_code == 307
        assert [r.path.removeprefix(base) for r in fs.requests] == ["/api/v2/agents"]


def test_bodiless_writes_say_content_length_0_and_every_request_accepts_json() -> None:
    with FaultServer([Scripted(200, '{"agent_id":"bot","status":"deactivated"}')]) as fs:
        _session(fs.url).deactivate()
        (req,) = fs.requests
        assert (req.method, req.path) == ("POST", "/api/v2/agents/bot/deactivate")
        assert req.headers["content-length"] == "0"
        assert req.headers["accept"] == "application/json"


_LYING_LENGTH = r'''
import socket, sys, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(8)
def serve():
    while True:
        conn, _ = srv.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + sys.argv[1].encode() + b"\r\n\r\n{}")
        conn.close()
threading.Thread(target=serve, daemon=True).start()
from memanto_client import Client, APIConnectionError
client = Client(api_key="k", base_url=f"http://127.0.0.1:{srv.getsockname()[1]}", api_version="0.0",
                max_response_bytes=sys.maxsize, max_retries=0, timeout=5)
try:
    client.agents.list()
except APIConnectionError as e:
    print("APIConnectionError")
'''


@pytest.mark.parametrize("length", [2**47, 2**63 - 1])
def test_a_content_length_that_lies_cannot_abort_the_process(length: int) -> None:
    # The length sized the body buffer before any byte came: with max_response_bytes set as
    # "no limit", the allocation failed and the interpreter aborted (SIGABRT).
    done = subprocess.run([sys.executable, "-c", _LYING_LENGTH, str(length)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "APIConnectionError"


def test_a_connect_timeout_is_a_timeout_and_not_retried_on_the_plain_http_path() -> None:
    # A listener whose backlog is full: the kernel drops further SYNs, so connecting hangs.
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    try:
        time.sleep(0.2)
        client = Client(api_key="k", base_url=f"http://127.0.0.1:{port}", api_version="0.0",
                        connect_timeout=0.3, timeout=10, max_retries=3)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="timed out"):
            client.agents.list()
        # One attempt (0.3 s), not four with backoff between them.
        assert time.monotonic() - started < 1.0
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_a_server_on_this_machine_is_never_reached_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The "proxy" records what it is sent: a LocalServer's calls (and its API key) must not go there.
    with FaultServer([AGENTS], version=None) as proxy, LocalServer() as srv:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        with srv.client() as client:
            assert client.agents.create("local-bot").agent_id == "local-bot"
            assert [a.agent_id for a in client.agents.list()] == ["local-bot"]
        localhost = srv.url.replace("127.0.0.1", "localhost")
        with Client(api_key=srv.api_key, base_url=localhost) as client:
            assert [a.agent_id for a in client.agents.list()] == ["local-bot"]
        assert proxy.requests == []


def test_an_error_code_that_echoes_the_key_is_redacted_in_repr_and_pickle() -> None:
    import pickle
    key = "mk_live_SECRETKEY_123456"
    body = '{"detail":{"error":"%s","message":"bad"}}' % key
    with FaultServer([Scripted(409, body, JSON)]) as fs:
        with pytest.raises(Exception) as err:
            Client(api_key=key, base_url=fs.url, api_version="0.0").agents.create("bot")
        assert err.value.status_code == 409  # type: ignore[attr-defined]
        for text in (str(err.value), repr(err.value), pickle.dumps(err.value).decode("latin-1")):
            assert key not in text


def test_a_3xx_that_is_not_a_redirect_is_an_unexpected_status_and_redirect_tokens_are_not_taken() -> None:
    with FaultServer([Scripted(304, "")]) as fs:
        with pytest.raises(ServerError) as err:
            Client(api_key="k", base_url=fs.url).agents.list()
        assert err.value.status_code == 304
        assert "redirect" not in str(err.value)
    new_token = make_jwt({"agent_id": "bot", "expires_at": "2099-06-01T00:00:00"})
    moved = Scripted(302, "", {"Location": "", "X-Session-Token": new_token})
    with FaultServer([moved]) as fs:
        session = _session(fs.url)
        before = session.session_token
        with pytest.raises(APIConnectionError, match="an empty Location header"):
            session.recall("q")
        assert session.session_token == before
