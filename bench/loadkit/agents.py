"""The agents: each a real websocket client (websockets library) on the desk's /desk/ws.

An agent logs in over HTTP through the real form (CSRF token, argon2 check) to get its
session cookie, opens the desk socket with that cookie and a same-origin ``Origin``, says
``login`` and ``ready``, then works its pops: it stamps the first ringing pop of each call
(``time.time()`` as the frame is read, before decoding), the phone answers by itself after
``answer_after`` (the desk has no answer command: Asterisk's phone answers), and when the
pop says the call ended it sends ``ready`` to end its wrap-up and take the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from cti.websession import COOKIE

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


async def http_login(base: str, username: str, password: str) -> tuple[str, float]:
    """(session cookie value, seconds the login took) through GET + POST /login."""
    jar = aiohttp.CookieJar(unsafe=True)  # 127.0.0.1 cookies; the default jar drops them
    started = time.perf_counter()
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/login") as resp:
            found = CSRF.search(await resp.text())
        if found is None:
            raise RuntimeError("no CSRF token on /login")
        form = {"csrf": found.group(1), "username": username, "password": password, "next": "/"}
        async with http.post(f"{base}/login", data=form, allow_redirects=False) as resp:
            if resp.status != 302 or "error" in resp.headers.get("Location", ""):
                raise RuntimeError(f"login of {username} refused ({resp.status})")
            cookie = resp.cookies.get(COOKIE)
        if cookie is None:
            raise RuntimeError(f"no session cookie for {username}")
        return cookie.value, time.perf_counter() - started


@dataclass
class AgentClient:
    agent_id: str
    extension: str
    cookie: str
    port: int
    # call id -> (received at, queued_at from the pop: the engine's clock)
    first_pop: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    pop_frames: int = 0
    ready_since: list[float] = field(default_factory=list)  # engine clock, each READY
    readies_sent: int = 0
    refused: list[str] = field(default_factory=list)
    connects: int = 0
    closes: list[int] = field(default_factory=list)  # close codes of lost sockets
    ready_event: asyncio.Event = field(default_factory=asyncio.Event)
    _ended: set[str] = field(default_factory=set)
    _rid: int = 0

    async def _send(self, ws: ClientConnection, kind: str) -> None:
        self._rid += 1
        await ws.send(json.dumps({"type": kind, "id": self._rid}))

    def _note_state(self, agent: dict[str, Any] | None) -> None:
        if agent and agent.get("state") == "ready":
            since = float(agent["since"])
            if not self.ready_since or self.ready_since[-1] != since:
                self.ready_since.append(since)
            self.ready_event.set()

    async def run(self, stop: asyncio.Event, *, reconnects: int = 5) -> None:
        """Serve the desk until ``stop``; a socket the server closes is reopened (the
        first message is the resync snapshot), at most ``reconnects`` times."""
        url = f"ws://127.0.0.1:{self.port}/desk/ws"
        origin = Origin(f"http://127.0.0.1:{self.port}")
        for _attempt in range(reconnects + 1):
            try:
                async with connect(
                    url,
                    origin=origin,
                    additional_headers={"Cookie": f"{COOKIE}={self.cookie}"},
                    proxy=None,
                    open_timeout=30,
                    ping_interval=None,  # the server sends heartbeats; one timer less each
                ) as ws:
                    self.connects += 1
                    await self._serve(ws, stop)
                    if stop.is_set():
                        return
            except ConnectionClosed as exc:
                self.closes.append(exc.rcvd.code if exc.rcvd is not None else 1006)
            except (OSError, InvalidStatus, TimeoutError) as exc:
                self.refused.append(f"connect: {exc!r}"[:120])
            if stop.is_set():
                return
            await asyncio.sleep(0.2)

    async def _serve(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        waiter = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                recv = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({recv, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if recv not in done:
                    recv.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                        await recv
                    return
                text = recv.result()
                received = time.time()  # before decoding: what the desk would show now
                await self._on_message(ws, json.loads(text), received)
        finally:
            waiter.cancel()

    async def _on_message(self, ws: ClientConnection, msg: dict[str, Any], at: float) -> None:
        kind = msg.get("type")
        if kind == "snapshot":
            agent = msg.get("agent") or {}
            self._note_state(agent)
            if agent.get("state") == "logged_out":
                await self._send(ws, "login")
                await self._send(ws, "ready")
            elif agent.get("state") in ("not_ready", "wrap_up"):
                await self._send(ws, "ready")
            if msg.get("pop"):
                await self._pop(ws, msg["pop"], at)
        elif kind == "pop":
            self.pop_frames += 1
            if msg.get("pop"):
                await self._pop(ws, msg["pop"], at)
        elif kind == "agent":
            self._note_state(msg.get("agent"))
        elif kind == "result":
            self._note_state(msg.get("agent"))
        elif kind == "error":
            self.refused.append(f"{msg.get('code')}: {msg.get('detail')}"[:120])

    async def _pop(self, ws: ClientConnection, pop: dict[str, Any], at: float) -> None:
        call_id, status = pop.get("call_id", ""), pop.get("status")
        if status == "ringing" and pop.get("agent") == self.agent_id:
            self.first_pop.setdefault(call_id, (at, pop.get("queued_at")))
        elif status == "ended" and call_id not in self._ended:
            self._ended.add(call_id)  # wrap-up done at once: ready for the next caller
            self.readies_sent += 1
            await self._send(ws, "ready")
