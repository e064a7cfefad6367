"""The AMI session over real TCP: login, errors, keep-alive, reconnect, garbage."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cti.ami.protocol import Event
from cti.ami.session import AmiNotConnected, AmiSession, AmiSettings, backoff
from cti.simulator import SimConfig, Simulator
from tests.integration.enginekit import until


@contextlib.asynccontextmanager
async def running(session: AmiSession) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(session.run())
    try:
        yield task
    finally:
        await session.stop()
        async with asyncio.timeout(5):
            await task


@contextlib.asynccontextmanager
async def fake_asterisk(handler) -> AsyncIterator[int]:  # type: ignore[no-untyped-def]
    """A TCP server whose connections are all closed, and handlers finished, on exit."""
    writers: list[asyncio.StreamWriter] = []
    tasks: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await handler(reader, writer)
        writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for _ in range(5):  # let connections accepted at the last moment reach tracked()
            await asyncio.sleep(0)
        for w in writers:
            w.close()
        for t in list(tasks):
            with contextlib.suppress(BaseException):
                await t
        for w in writers:
            with contextlib.suppress(ConnectionError):
                await w.wait_closed()
        await server.wait_closed()


def fast() -> backoff:
    return backoff(0.01, 2.0, 0.05)


async def test_md5_login_actions_and_lists(tmp_path: Path) -> None:
    async with Simulator(SimConfig(recordings_dir=tmp_path)) as sim:
        events: list[Event] = []
        s = AmiSession(
            AmiSettings(port=sim.ami_port, secret="ctisecret", md5_auth=True),
            on_event=lambda e, t: events.append(e),
            backoff_factory=fast,
        )
        async with running(s):
            await until(s.ready.is_set, 5, "logged in")
            assert s.version == "11.0.0"
            pong = await s.send("Ping")
            assert pong.ok and pong.response.get("Ping") == "Pong"
            bad = await s.send(
                "Redirect",
                {"Channel": "Local/nope;2", "Context": "x", "Exten": "s", "Priority": "1"},
            )
            assert not bad.ok and bad.response.message == "Channel does not exist: Local/nope;2"
            listing = await s.send("CoreShowChannels")
            assert listing.ok and listing.complete is not None
            assert listing.complete.get("ListItems") == str(len(listing.events))
            assert any(e.name == "FullyBooted" for e in events)


async def test_wrong_password_is_a_clear_error_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = SimConfig(recordings_dir=tmp_path, auth_failure_delay=0.01)
    async with Simulator(cfg) as sim:
        s = AmiSession(
            AmiSettings(port=sim.ami_port, secret="wrong-secret"),
            on_event=lambda e, t: None,
            backoff_factory=fast,
        )
        async with running(s):
            await until(
                lambda: "refused: Authentication failed" in caplog.text,
                5,
                "the refusal to be logged",
            )
            with pytest.raises(AmiNotConnected):
                await s.send("Ping")
        assert "wrong-secret" not in caplog.text


async def test_keepalive_notices_a_silent_peer_and_reconnects() -> None:
    """A peer that accepts and logs us in, then goes silent (a hung Asterisk or a dead
    NAT entry): the unanswered ping must drop the link and start a reconnect."""
    connections = 0

    async def silent_asterisk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        data = await reader.readuntil(b"\r\n\r\n")
        aid = next(ln for ln in data.split(b"\r\n") if ln.startswith(b"ActionID:"))
        writer.write(
            b"Response: Success\r\n" + aid + b"\r\nMessage: Authentication accepted\r\n\r\n"
        )
        await writer.drain()
        while await reader.read(1024):
            pass  # swallow pings, never answer

    async with fake_asterisk(silent_asterisk) as port:
        # Two quick retries, then a long pause: no connect is in flight at teardown.
        s = AmiSession(
            AmiSettings(port=port, secret="x", ping_interval=0.05, ping_timeout=0.1),
            on_event=lambda e, t: None,
            backoff_factory=lambda: iter([0.01, 0.01, 60.0, 60.0]),
        )
        async with running(s):
            await until(lambda: connections >= 3, 10, "two reconnects after dead pings")


async def test_garbage_and_oversized_messages_do_not_kill_the_engine() -> None:
    got: list[Event] = []
    attempts = 0

    async def noisy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        data = await reader.readuntil(b"\r\n\r\n")
        aid = next(ln for ln in data.split(b"\r\n") if ln.startswith(b"ActionID:"))
        writer.write(b"Response: Success\r\n" + aid + b"\r\n\r\n")
        writer.write(b"this is not AMI\r\n\xff\xfe\r\n\r\n")
        writer.write(b"Event: Newchannel\r\nChannel: PJSIP/a-1\r\nCallerIDName: \xe5\xbc")
        await writer.drain()
        writer.write(b"\xa0\xe4\xb8\x89\r\nUniqueid: 1.1\r\n\r\n")
        if attempts == 1:
            writer.write(b"Event: Huge\r\nX: " + b"A" * (2 << 20))  # over the 1 MiB cap
        await writer.drain()
        while await reader.read(1024):
            pass

    async with fake_asterisk(noisy) as port:
        s = AmiSession(
            AmiSettings(port=port, secret="x"),
            on_event=lambda e, t: got.append(e),
            backoff_factory=fast,
            only_events=None,
        )
        async with running(s):
            await until(
                lambda: attempts >= 2 and len(got) >= 2, 10, "reconnect after the oversized message"
            )
        assert s.garbage_received >= 2
        assert got[0].get("CallerIDName") == "张三", "a name split across writes survives"
