"""The clients under test, each behind the same six calls.

Every client has ``recall``, ``answer``, ``remember``, ``activate``, ``extend`` and
``current``, taking the operation's :class:`~benches.locomo.Item` and the previous call's
result (``extend`` and ``current`` act on the session that ``activate`` returned). The
async clients have the same methods as coroutines.

The hand-written clients send exactly the requests the documentation shows
(``Authorization: Bearer <key>`` on every request, ``X-Session-Token`` on memory and session
calls, ``query``/``limit`` as query parameters, ``{"content": ...}`` and ``{"question": ...}``
as JSON bodies, ``additional_hours`` as a query parameter) through one shared connection
pool per client, sized for the highest concurrency, and parse every JSON reply into dicts.
They are httpx (sync and async), requests, aiohttp, and pyreqwest (sync and async; reqwest
under Python bindings, the closest peer to memanto's own Rust engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import memanto_client

from .locomo import Item

RECALL_LIMIT = 10
EXTEND_HOURS = 1
POOL = 64
TIMEOUT = 60.0


@dataclass(frozen=True)
class Target:
    """Where the clients send their calls: the server, its key, and one agent's session."""

    base_url: str
    api_key: str
    agent_id: str
    token: str


# --- memanto_client ----------------------------------------------------------------------------


class MemantoSync:
    name = "memanto"

    def __init__(self, t: Target) -> None:
        self.client = memanto_client.Client(api_key=t.api_key, base_url=t.base_url, max_connections=POOL)
        self.session = self.client.session_from_token(t.token, agent_id=t.agent_id)
        self.agent = self.client.agents.get(t.agent_id)

    def recall(self, item: Item, _: Any) -> Any:
        return self.session.recall(item.question, limit=RECALL_LIMIT)

    def answer(self, item: Item, _: Any) -> Any:
        return self.session.answer(item.question)

    def remember(self, item: Item, _: Any) -> Any:
        return self.session.remember(item.note)

    def activate(self, item: Item, _: Any) -> Any:
        return self.agent.activate()

    def extend(self, item: Item, session: Any) -> Any:
        session.extend(hours=EXTEND_HOURS)
        return session

    def current(self, item: Item, session: Any) -> Any:
        return session.current()

    def close(self) -> None:
        self.client.close()


class MemantoAsync:
    name = "memanto async"

    def __init__(self, t: Target) -> None:
        self.target = t

    async def open(self) -> None:
        t = self.target
        self.client = memanto_client.AsyncClient(api_key=t.api_key, base_url=t.base_url, max_connections=POOL)
        self.session = self.client.session_from_token(t.token, agent_id=t.agent_id)
        self.agent = await self.client.agents.get(t.agent_id)

    async def recall(self, item: Item, _: Any) -> Any:
        return await self.session.recall(item.question, limit=RECALL_LIMIT)

    async def answer(self, item: Item, _: Any) -> Any:
        return await self.session.answer(item.question)

    async def remember(self, item: Item, _: Any) -> Any:
        return await self.session.remember(item.note)

    async def activate(self, item: Item, _: Any) -> Any:
        return await self.agent.activate()

    async def extend(self, item: Item, session: Any) -> Any:
        await session.extend(hours=EXTEND_HOURS)
        return session

    async def current(self, item: Item, session: Any) -> Any:
        return await session.current()

    async def close(self) -> None:
        await self.client.close()


# --- the documented HTTP calls, shared by the hand-written clients -------------------------------


class _Documented:
    """Paths, parameters and bodies of the documented flows (API.md §3, examples Part A)."""

    def __init__(self, t: Target) -> None:
        self.target = t
        self.base = f"{t.base_url}/api/v2"
        self.agent_base = f"{self.base}/agents/{t.agent_id}"
        self.key_headers = {"Authorization": f"Bearer {t.api_key}"}
        self.token_headers = {"X-Session-Token": t.token}


# --- httpx --------------------------------------------------------------------------------------


def _httpx_limits() -> Any:
    import httpx

    return httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)


class HttpxSync(_Documented):
    name = "httpx"

    def __init__(self, t: Target) -> None:
        import httpx

        super().__init__(t)
        self.http = httpx.Client(headers=self.key_headers, limits=_httpx_limits(), timeout=TIMEOUT)

    def _json(self, response: Any) -> Any:
        response.raise_for_status()
        return response.json()

    def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        return self._json(self.http.get(f"{self.agent_base}/recall", params=params, headers=self.token_headers))

    def answer(self, item: Item, _: Any) -> Any:
        body = {"question": item.question}
        return self._json(self.http.post(f"{self.agent_base}/answer", json=body, headers=self.token_headers))

    def remember(self, item: Item, _: Any) -> Any:
        body = {"content": item.note}
        return self._json(self.http.post(f"{self.agent_base}/remember", json=body, headers=self.token_headers))

    def activate(self, item: Item, _: Any) -> str:
        return self._json(self.http.post(f"{self.agent_base}/activate"))["session_token"]

    def extend(self, item: Item, token: str) -> str:
        r = self.http.post(f"{self.base}/session/extend", params={"additional_hours": EXTEND_HOURS},
                           headers={"X-Session-Token": token})
        return self._json(r)["session_token"]

    def current(self, item: Item, token: str) -> Any:
        return self._json(self.http.get(f"{self.base}/session/current", headers={"X-Session-Token": token}))

    def close(self) -> None:
        self.http.close()


class HttpxAsync(_Documented):
    name = "httpx async"

    async def open(self) -> None:
        import httpx

        self.http = httpx.AsyncClient(headers=self.key_headers, limits=_httpx_limits(), timeout=TIMEOUT)

    def _json(self, response: Any) -> Any:
        response.raise_for_status()
        return response.json()

    async def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        return self._json(await self.http.get(f"{self.agent_base}/recall", params=params, headers=self.token_headers))

    async def answer(self, item: Item, _: Any) -> Any:
        body = {"question": item.question}
        return self._json(await self.http.post(f"{self.agent_base}/answer", json=body, headers=self.token_headers))

    async def remember(self, item: Item, _: Any) -> Any:
        body = {"content": item.note}
        return self._json(await self.http.post(f"{self.agent_base}/remember", json=body, headers=self.token_headers))

    async def activate(self, item: Item, _: Any) -> str:
        return self._json(await self.http.post(f"{self.agent_base}/activate"))["session_token"]

    async def extend(self, item: Item, token: str) -> str:
        r = await self.http.post(f"{self.base}/session/extend", params={"additional_hours": EXTEND_HOURS},
                                 headers={"X-Session-Token": token})
        return self._json(r)["session_token"]

    async def current(self, item: Item, token: str) -> Any:
        return self._json(await self.http.get(f"{self.base}/session/current", headers={"X-Session-Token": token}))

    async def close(self) -> None:
        await self.http.aclose()


# --- requests -----------------------------------------------------------------------------------


class Requests(_Documented):
    name = "requests"

    def __init__(self, t: Target) -> None:
        import requests

        super().__init__(t)
        self.http = requests.Session()
        self.http.headers.update(self.key_headers)
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL)
        self.http.mount("http://", adapter)

    def _json(self, response: Any) -> Any:
        response.raise_for_status()
        return response.json()

    def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        return self._json(self.http.get(f"{self.agent_base}/recall", params=params, headers=self.token_headers,
                                        timeout=TIMEOUT))

    def answer(self, item: Item, _: Any) -> Any:
        body = {"question": item.question}
        return self._json(self.http.post(f"{self.agent_base}/answer", json=body, headers=self.token_headers,
                                         timeout=TIMEOUT))

    def remember(self, item: Item, _: Any) -> Any:
        body = {"content": item.note}
        return self._json(self.http.post(f"{self.agent_base}/remember", json=body, headers=self.token_headers,
                                         timeout=TIMEOUT))

    def activate(self, item: Item, _: Any) -> str:
        return self._json(self.http.post(f"{self.agent_base}/activate", timeout=TIMEOUT))["session_token"]

    def extend(self, item: Item, token: str) -> str:
        r = self.http.post(f"{self.base}/session/extend", params={"additional_hours": EXTEND_HOURS},
                           headers={"X-Session-Token": token}, timeout=TIMEOUT)
        return self._json(r)["session_token"]

    def current(self, item: Item, token: str) -> Any:
        return self._json(self.http.get(f"{self.base}/session/current", headers={"X-Session-Token": token},
                                        timeout=TIMEOUT))

    def close(self) -> None:
        self.http.close()


# --- aiohttp ------------------------------------------------------------------------------------


class Aiohttp(_Documented):
    name = "aiohttp"

    async def open(self) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(
            headers=self.key_headers,
            connector=aiohttp.TCPConnector(limit=POOL),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )

    async def _json(self, request: Any) -> Any:
        async with request as response:
            response.raise_for_status()
            return await response.json()

    async def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        return await self._json(self.http.get(f"{self.agent_base}/recall", params=params, headers=self.token_headers))

    async def answer(self, item: Item, _: Any) -> Any:
        body = {"question": item.question}
        return await self._json(self.http.post(f"{self.agent_base}/answer", json=body, headers=self.token_headers))

    async def remember(self, item: Item, _: Any) -> Any:
        body = {"content": item.note}
        return await self._json(self.http.post(f"{self.agent_base}/remember", json=body, headers=self.token_headers))

    async def activate(self, item: Item, _: Any) -> str:
        return (await self._json(self.http.post(f"{self.agent_base}/activate")))["session_token"]

    async def extend(self, item: Item, token: str) -> str:
        r = self.http.post(f"{self.base}/session/extend", params={"additional_hours": EXTEND_HOURS},
                           headers={"X-Session-Token": token})
        return (await self._json(r))["session_token"]

    async def current(self, item: Item, token: str) -> Any:
        return await self._json(self.http.get(f"{self.base}/session/current", headers={"X-Session-Token": token}))

    async def close(self) -> None:
        await self.http.close()


# --- pyreqwest (Rust reqwest under Python bindings: the other Rust-engined peer) ---------------


def _pyreqwest_builder(builder: Any, t: _Documented) -> Any:
    """The same pool and timeout as the other clients: at most `POOL` requests in flight,
    `POOL` idle keep-alive connections, and 4xx/5xx raised like ``raise_for_status``."""
    return (builder.default_headers(t.key_headers).max_connections(POOL).pool_max_idle_per_host(POOL)
            .timeout(timedelta(seconds=TIMEOUT)).error_for_status(True))


class PyreqwestSync(_Documented):
    name = "pyreqwest"

    def __init__(self, t: Target) -> None:
        from pyreqwest.client import SyncClientBuilder

        super().__init__(t)
        self.http = _pyreqwest_builder(SyncClientBuilder(), self).build()

    def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        request = self.http.get(f"{self.agent_base}/recall").query(params).headers(self.token_headers)
        return request.build().send().json()

    def answer(self, item: Item, _: Any) -> Any:
        request = self.http.post(f"{self.agent_base}/answer").headers(self.token_headers)
        return request.body_json({"question": item.question}).build().send().json()

    def remember(self, item: Item, _: Any) -> Any:
        request = self.http.post(f"{self.agent_base}/remember").headers(self.token_headers)
        return request.body_json({"content": item.note}).build().send().json()

    def activate(self, item: Item, _: Any) -> str:
        return self.http.post(f"{self.agent_base}/activate").build().send().json()["session_token"]

    def extend(self, item: Item, token: str) -> str:
        request = self.http.post(f"{self.base}/session/extend").query({"additional_hours": EXTEND_HOURS})
        return request.header("X-Session-Token", token).build().send().json()["session_token"]

    def current(self, item: Item, token: str) -> Any:
        return self.http.get(f"{self.base}/session/current").header("X-Session-Token", token).build().send().json()

    def close(self) -> None:
        self.http.close()


class PyreqwestAsync(_Documented):
    name = "pyreqwest async"

    async def open(self) -> None:
        from pyreqwest.client import ClientBuilder

        self.http = _pyreqwest_builder(ClientBuilder(), self).build()

    async def _json(self, request: Any) -> Any:
        return await (await request.build().send()).json()

    async def recall(self, item: Item, _: Any) -> Any:
        params = {"query": item.question, "limit": RECALL_LIMIT}
        return await self._json(self.http.get(f"{self.agent_base}/recall").query(params).headers(self.token_headers))

    async def answer(self, item: Item, _: Any) -> Any:
        request = self.http.post(f"{self.agent_base}/answer").headers(self.token_headers)
        return await self._json(request.body_json({"question": item.question}))

    async def remember(self, item: Item, _: Any) -> Any:
        request = self.http.post(f"{self.agent_base}/remember").headers(self.token_headers)
        return await self._json(request.body_json({"content": item.note}))

    async def activate(self, item: Item, _: Any) -> str:
        return (await self._json(self.http.post(f"{self.agent_base}/activate")))["session_token"]

    async def extend(self, item: Item, token: str) -> str:
        request = self.http.post(f"{self.base}/session/extend").query({"additional_hours": EXTEND_HOURS})
        return (await self._json(request.header("X-Session-Token", token)))["session_token"]

    async def current(self, item: Item, token: str) -> Any:
        return await self._json(self.http.get(f"{self.base}/session/current").header("X-Session-Token", token))

    async def close(self) -> None:
        await self.http.close()


SYNC_CLIENTS: tuple[type, ...] = (MemantoSync, HttpxSync, Requests, PyreqwestSync)
ASYNC_CLIENTS: tuple[type, ...] = (MemantoAsync, HttpxAsync, Aiohttp, PyreqwestAsync)
#: The third-party package each hand-written client needs (skipped when it is not installed).
NEEDS: dict[type, str] = {HttpxSync: "httpx", HttpxAsync: "httpx", Requests: "requests", Aiohttp: "aiohttp",
                          PyreqwestSync: "pyreqwest", PyreqwestAsync: "pyreqwest"}
BASELINE_PACKAGES = tuple(dict.fromkeys(NEEDS.values()))
