"""The websocket hub: who is connected to what, and delivery that never waits on a client.

Each connection subscribes to topics (``agent:<id>`` for one agent's tabs, ``wallboard``
for supervisors). ``publish`` serializes a message once and offers it to every
subscriber's own bounded queue without awaiting; a per-connection pump task writes the
queue to the socket. A client too slow to keep its queue below the bound is closed
(1013, try again later) and, like any dropped client, reconnects and resyncs: it never
holds up another connection, and no message is silently skipped for a live one.

Open connections sit in WeakSets, so a connection whose handler is gone cannot leak;
``close_all`` ends them with GOING_AWAY at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from aiohttp import WSCloseCode

from agent_desktop.wsstate import Guard, WsState

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256


class Socket(Protocol):
    async def send_str(self, data: str) -> None: ...

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)


class Connection:
    __slots__ = (
        "__weakref__",
        "close_code",
        "guard",
        "lagging",
        "queue",
        "sent",
        "socket",
        "topics",
        "user",
    )

    def __init__(self, socket: Socket, user: str, topics: Iterable[str], limit: int) -> None:
        self.socket = socket
        self.user = user
        self.topics = frozenset(topics)
        self.guard = Guard()
        self.queue: asyncio.Queue[str] = asyncio.Queue(limit)
        self.sent = 0
        self.close_code: int | None = None
        # Set when the queue overflows: the pump may be stuck in a socket write, so the
        # serving task waits on this rather than on the pump to notice the lag.
        self.lagging = asyncio.Event()

    def offer(self, text: str) -> bool:
        """Queue without waiting; False (and marked for closing) if the client lags."""
        if not self.guard.open:
            return False
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.close_code = WSCloseCode.TRY_AGAIN_LATER
            self.lagging.set()
            return False
        return True

    def send(self, message: dict[str, Any]) -> bool:
        return self.offer(encode(message))

    async def pump(self) -> None:
        """Write queued messages; returns when the client lags too far behind."""
        while self.close_code is None:
            text = await self.queue.get()
            if self.close_code is not None:
                break
            await self.socket.send_str(text)
            self.sent += 1


class Hub:
    def __init__(self, *, queue_limit: int = QUEUE_LIMIT) -> None:
        self.queue_limit = queue_limit
        self._all: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._topics: dict[str, weakref.WeakSet[Connection]] = {}
        self.dropped_slow = 0

    def connection(self, socket: Socket, user: str, topics: Iterable[str]) -> Connection:
        return Connection(socket, user, topics, self.queue_limit)

    def subscribers(self, topic: str) -> list[Connection]:
        return list(self._topics.get(topic, ()))

    def __len__(self) -> int:
        return len(self._all)

    def publish(self, topic: str, message: dict[str, Any]) -> int:
        """Offer one message to every subscriber of ``topic``; returns how many took it."""
        subs = self._topics.get(topic)
        if not subs:
            return 0
        text = encode(message)
        taken = 0
        for conn in list(subs):
            if conn.offer(text):
                taken += 1
        return taken

    async def serve(
        self,
        conn: Connection,
        read: Callable[[Connection], Awaitable[None]],
        on_open: Callable[[Connection], None] | None = None,
    ) -> None:
        """Run one connection: register it, pump its queue, read it until it ends.

        ``read`` returns when the client closes; the pump returns when the client lags.
        Whichever ends first ends the other, and the connection leaves every topic.
        """
        conn.guard.move(WsState.OPEN)
        self._all.add(conn)
        for topic in conn.topics:
            self._topics.setdefault(topic, weakref.WeakSet()).add(conn)
        if on_open is not None:
            on_open(conn)  # the resync snapshot: the first message in the queue
        pump = asyncio.create_task(conn.pump(), name=f"ws-pump-{conn.user}")
        reader = asyncio.create_task(read(conn), name=f"ws-read-{conn.user}")
        lag = asyncio.create_task(conn.lagging.wait(), name=f"ws-lag-{conn.user}")
        try:
            await asyncio.wait({pump, reader, lag}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, reader, lag):
                task.cancel()
            await asyncio.gather(pump, reader, lag, return_exceptions=True)
            self._forget(conn)
            if conn.close_code is not None:
                self.dropped_slow += 1
                log.warning("websocket client too slow; closed", extra={"user": conn.user})
            await self._close(conn, conn.close_code or WSCloseCode.OK)

    def _forget(self, conn: Connection) -> None:
        self._all.discard(conn)
        for topic in conn.topics:
            subs = self._topics.get(topic)
            if subs is not None:
                subs.discard(conn)
                if not subs:
                    del self._topics[topic]

    async def _close(self, conn: Connection, code: int, message: bytes = b"") -> None:
        if conn.guard.state == WsState.OPEN:
            conn.guard.move(WsState.CLOSING)
        # A lagging client may never read our close frame: do not wait on it for long.
        with contextlib.suppress(TimeoutError, ConnectionError, RuntimeError):
            async with asyncio.timeout(2.0):
                await conn.socket.close(code=code, message=message)
        conn.guard.close()

    async def drop(self, topic: str, code: int = WSCloseCode.GOING_AWAY) -> int:
        """Close every connection of a topic (an agent logged out, a role was revoked)."""
        conns = self.subscribers(topic)
        await asyncio.gather(*(self._close(c, code) for c in conns))
        return len(conns)

    async def close_all(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """At shutdown: every open connection is told the server is going away."""
        conns = list(self._all)
        await asyncio.gather(*(self._close(c, code, b"server shutdown") for c in conns))
