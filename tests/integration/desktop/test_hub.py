"""The hub's delivery: a stalled client is dropped without delaying anyone else, and
shutdown closes every socket with GOING_AWAY."""

from __future__ import annotations

import asyncio

from aiohttp import WSCloseCode

from agent_desktop.hub import Connection, Hub
from tests.integration.enginekit import until


class FakeSocket:
    def __init__(self, *, stalled: bool = False) -> None:
        self.stalled = stalled
        self.got: list[str] = []
        self.closed: int | None = None
        self.gone = asyncio.Event()

    async def send_str(self, data: str) -> None:
        if self.stalled:
            await asyncio.Event().wait()  # a client that never reads: the write never ends
        self.got.append(data)

    async def close(self, *, code: int = 1000, message: bytes = b"") -> bool:
        self.closed = code
        self.gone.set()
        return True


def served(hub: Hub, sock: FakeSocket, topic: str) -> tuple[Connection, asyncio.Task[None]]:
    conn = hub.connection(sock, "u", [topic])

    async def read(c: Connection) -> None:
        await sock.gone.wait()  # "the client" stays until closed

    return conn, asyncio.create_task(hub.serve(conn, read))


async def test_a_stalled_client_is_dropped_and_others_get_everything() -> None:
    hub = Hub(queue_limit=8)
    slow, fast, other = FakeSocket(stalled=True), FakeSocket(), FakeSocket()
    _, t1 = served(hub, slow, "wallboard")
    _, t2 = served(hub, fast, "wallboard")
    _, t3 = served(hub, other, "agent:a1")
    await until(lambda: len(hub) == 3, 5, "three connections")
    for i in range(100):
        hub.publish("wallboard", {"n": i})
        await asyncio.sleep(0)  # let the pumps run, as the event loop would between events
    hub.publish("agent:a1", {"pop": 1})
    await until(lambda: len(fast.got) == 100, 5, "the fast client got every message")
    await until(lambda: slow.closed is not None, 5, "the stalled client dropped")
    assert slow.closed == WSCloseCode.TRY_AGAIN_LATER and hub.dropped_slow == 1
    await until(lambda: other.got == ['{"pop":1}'], 5, "the agent's pop delivered")
    assert fast.closed is None
    assert len(hub.subscribers("wallboard")) == 1
    await hub.close_all()
    assert fast.closed == other.closed == WSCloseCode.GOING_AWAY
    await asyncio.gather(t1, t2, t3)
    assert len(hub) == 0
