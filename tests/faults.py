"""A small fault-injecting HTTP server for tests: it answers each request with the next
scripted response (status, headers, body, optional delay) and records what it received."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Scripted:
    status: int = 200
    body: bytes | str = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    delay: float = 0.0  # seconds to wait before answering (a stall)
    reset: bool = False  # close the connection without answering
    clock_offset: float = 0.0  # seconds added to the Date header (a server clock that is off)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FaultServer:
    """``with FaultServer([Scripted(...), ...]) as fs: Client(base_url=fs.url)``. When the
    script runs out, the last response repeats."""

    def __init__(self, script: list[Scripted], *, routes: dict[str, list[Scripted]] | None = None,
                 idle_timeout: float | None = None, version: str | None = "0.0.8") -> None:
        """``routes`` maps a path prefix to its own script (checked before ``script``);
        ``idle_timeout`` closes kept-alive connections idle for that many seconds; ``version``
        is what ``GET /`` reports (the client's generation detection), answered outside the
        script and not recorded (``detections`` counts them); None scripts ``GET /`` too."""
        self.script = list(script)
        self.version = version
        self.detections = 0
        self.routes = {k: list(v) for k, v in (routes or {}).items()}
        self.counts: dict[str, int] = {}
        self.requests: list[Received] = []
        #: Connections that ended (the client closed them, or the idle timeout did).
        self.connections_closed = 0
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            timeout = idle_timeout

            def log_message(self, *args: Any) -> None:
                pass

            def finish(self) -> None:
                super().finish()
                outer.connections_closed += 1

            def date_time_string(self, timestamp: float | None = None) -> str:
                step = getattr(self, "_step", None)
                offset = step.clock_offset if step else 0.0
                return super().date_time_string(time.time() + offset)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if outer.version is not None and self.command == "GET" and self.path == "/":
                    outer.detections += 1
                    info = ('{"service":"MEMANTO","version":"%s","docs":null}' % outer.version).encode()
                    self._step = None
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(info)))
                    self.end_headers()
                    self.wfile.write(info)
                    return
                outer.requests.append(
                    Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                step = outer._next(self.path)
                self._step = step
                if step.delay:
                    outer._stop.wait(step.delay)
                if step.reset:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                payload = step.body.encode() if isinstance(step.body, str) else step.body
                try:
                    self.send_response(step.status)
                    for k, v in step.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def _next(self, path: str) -> Scripted:
        for prefix, script in self.routes.items():
            if path.startswith(prefix):
                n = self.counts.get(prefix, 0)
                self.counts[prefix] = n + 1
                return script[min(n, len(script) - 1)]
        n = self.counts.get("", 0)
        self.counts[""] = n + 1
        return self.script[min(n, len(self.script) - 1)]

    def count(self, path_prefix: str) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    def __enter__(self) -> "FaultServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def unused_port() -> int:
    """A port with nothing listening on it (for connection-refused tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
