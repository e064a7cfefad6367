"""FastAgiServer over real TCP, against a fake Asterisk that plays the recorded sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from cti.agi.channel import (
    AgiChannel,
    AgiCommandError,
    AgiConnectionLost,
    AgiHangup,
    AgiTimeout,
)
from cti.agi.protocol import AgiReply
from cti.agi.server import FastAgiServer, Handler
from tests.unit.test_agi_protocol import SCRIPTS, Session, load_session

WAIT = 10.0  # upper bound for anything that should happen at once

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Exchange = tuple[bytes, bytes]  # (command the server must send, bytes Asterisk answers)


@contextlib.asynccontextmanager
async def connect(port: int) -> AsyncIterator[Streams]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    """What the server still sends before closing; a reset counts as closed."""
    try:
        return await asyncio.wait_for(reader.read(), WAIT)
    except ConnectionResetError:
        return b""


async def play(port: int, env: bytes, exchanges: Sequence[Exchange]) -> None:
    """Be Asterisk: send the environment, then answer each expected command."""
    async with connect(port) as (reader, writer):
        writer.write(env)
        for command, answer in exchanges:
            line = await asyncio.wait_for(reader.readline(), WAIT)
            assert line == command
            writer.write(answer)
            await writer.drain()
        assert await read_until_closed(reader) == b""  # the script returned: socket closed


def recorded(session: Session, indexes: Sequence[int] | None = None) -> list[Exchange]:
    picked = session.exchanges if indexes is None else [session.exchanges[i] for i in indexes]
    return [(x.command, x.rx) for x in picked]


def outcome_of(
    script: Callable[[AgiChannel], Awaitable[Any]],
) -> tuple[Handler, asyncio.Future[Any]]:
    """A handler running ``script`` and a future with what it returned or raised."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(channel: AgiChannel) -> None:
        try:
            future.set_result(await script(channel))
        except Exception as exc:
            future.set_exception(exc)
            raise

    return handler, future


async def wait_until(predicate: Callable[[], bool]) -> None:
    """Poll server state that has no event to wait on (session count, listening)."""
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110 - bounded readiness poll, not a fixed sleep
            await asyncio.sleep(0.005)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[FastAgiServer]]]:
    servers: list[FastAgiServer] = []

    async def start(routes: dict[str, Handler], **options: Any) -> FastAgiServer:
        server = FastAgiServer(routes, "127.0.0.1", 0, **options)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


# ------------------------------------------------------------- recorded sessions


async def test_ivr_session_with_the_convenience_methods(serve: Any) -> None:
    session = load_session("b_ivr")

    async def ivr(ch: AgiChannel) -> dict[str, Any]:
        await ch.answer()
        await ch.verbose("lab IVR started")
        played = await ch.stream_file("silence/1")
        menu = await ch.get_data("silence/1", 6000, 1)
        digit = await ch.wait_for_digit(6000)
        account = await ch.get_data("silence/1", 1500, 4)
        await ch.set_variable("IVR_CHOICE", menu.result)
        var = await ch.get_variable("IVR_CHOICE")
        full = await ch.get_full_variable("${CHANNEL}-${UNIQUEID}")
        status = await ch.channel_status()
        await ch.verbose("lab IVR done")
        return {
            "env": (ch.env.route, ch.env.channel, ch.env.uniqueid, ch.env.calleridname),
            "endpos": played.endpos,
            "menu": menu.result,
            "digit": digit,
            "account_timed_out": account.is_timeout,
            "var": var,
            "full": full,
            "status": status,
            "hung_up": ch.hung_up,
        }

    handler, outcome = outcome_of(ivr)
    server = await serve({"ivr": handler})
    await play(server.port, session.env_bytes, recorded(session))
    assert await outcome == {
        "env": ("ivr", "Local/s@ivr-entry-00000001;2", "1795498539.3", "Lab Caller B"),
        "endpos": 8000,
        "menu": "1",
        "digit": "2",
        "account_timed_out": True,
        "var": "1",
        "full": "Local/s@ivr-entry-00000001;2-1795498539.3",
        "status": 6,
        "hung_up": False,
    }


async def raw_script(name: str, ch: AgiChannel) -> list[tuple[str, bool]]:
    """Send the recorded script's commands as they are; note each reply and hung_up."""
    seen = []
    for command in SCRIPTS[name]:
        reply = await ch.send(command)
        seen.append((" | ".join(reply.lines), ch.hung_up))
    return seen


async def test_hangup_session_raw_sees_hangup_then_511(serve: Any) -> None:
    session = load_session("b2_agi_hangup")
    handler, outcome = outcome_of(lambda ch: raw_script("b2_agi_hangup", ch))
    server = await serve({"ivr": handler})
    await play(server.port, session.env_bytes, recorded(session))
    seen = await outcome
    dead = "511 Command Not Permitted on a dead channel or intercept routine"
    assert seen == [
        ("200 result=0", False),
        ("200 result=1", False),
        ("200 result=0 endpos=8000", False),
        ("200 result=-1", False),  # GET DATA cut short; HANGUP arrives after it
        (dead, True),  # WAIT FOR DIGIT: HANGUP notice, then 511
        (dead, True),
        ("200 result=1", True),  # SET VARIABLE still works on the dead channel
        ("200 result=1 (-1)", True),
        ("200 result=1 (Local/s@ivr-entry-00000003;2-1795498580.7)", True),
        (dead, True),
        ("200 result=1", True),
    ]
    expected = [t for x in session.exchanges for t in x.expected if t != "HANGUP"]
    assert [reply for reply, _ in seen] == expected


async def test_hangup_session_convenience_raises_agi_hangup(serve: Any) -> None:
    session = load_session("b2_agi_hangup")

    async def ivr(ch: AgiChannel) -> tuple[str, str]:
        await ch.answer()
        await ch.verbose("lab IVR started")
        await ch.stream_file("silence/1")
        menu = await ch.get_data("silence/1", 6000, 1)
        try:
            await ch.wait_for_digit(6000)
        except AgiHangup as exc:
            # Record where the caller left; Asterisk still allows this after hangup.
            await ch.set_variable("IVR_CHOICE", menu.result)
            await ch.verbose("lab IVR done")
            return menu.result, str(exc)
        raise AssertionError("wait_for_digit on a hung-up channel returned")

    handler, outcome = outcome_of(ivr)
    server = await serve({"ivr": handler})
    await play(server.port, session.env_bytes, recorded(session, [0, 1, 2, 3, 4, 6, 10]))
    assert await outcome == ("-1", "WAIT FOR DIGIT: channel hung up")


async def test_error_session_raw_sees_510_and_520_usage(serve: Any) -> None:
    session = load_session("b3_agi_errors")
    usages: list[str | None] = []

    async def script(ch: AgiChannel) -> list[str]:
        seen = []
        for command in SCRIPTS["b3_agi_errors"]:
            reply = await ch.send(command)
            seen.append(" | ".join(reply.lines))
            usages.append(reply.usage)
        return seen

    handler, outcome = outcome_of(script)
    server = await serve({"ivr-errors": handler})
    await play(server.port, session.env_bytes, recorded(session))
    assert await outcome == [t for x in session.exchanges for t in x.expected]
    assert usages[6] == (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.\n"
        "Returns the digits received from the channel at the other end."
    )


async def test_error_replies_raise_from_convenience_methods(serve: Any) -> None:
    session = load_session("b3_agi_errors")

    async def script(ch: AgiChannel) -> tuple[bool, int, int | None]:
        missing = await ch.stream_file("no-such-prompt")  # -1 is a reply, not an error
        with pytest.raises(AgiCommandError) as info:
            await ch.get_variable("X")
        return missing.failed, info.value.reply.code, missing.endpos

    handler, outcome = outcome_of(script)
    server = await serve({"ivr-errors": handler})
    exchanges = [
        recorded(session, [1])[0],
        (b"GET VARIABLE X\n", b"510 Invalid or unknown command\n"),
    ]
    await play(server.port, session.env_bytes, exchanges)
    assert await outcome == (True, 510, 0)


# --------------------------------------------------------------- hostile peers


async def test_unknown_route_gets_a_verbose_and_is_closed(serve: Any, caplog: Any) -> None:
    caplog.set_level(logging.INFO, "cti.agi")
    env = load_session("b_ivr").env_bytes.replace(b"script: ivr", b"script: nowhere")
    server = await serve({"ivr": outcome_of(lambda ch: ch.answer())[0]})
    await play(
        server.port, env, [(b"VERBOSE \"FastAGI: no route 'nowhere'\" 1\n", b"200 result=1\n")]
    )
    assert "no route" in caplog.text and "nowhere" in caplog.text
    await wait_until(lambda: server.active_sessions == 0)


async def session_still_works(server: FastAgiServer, outcome: asyncio.Future[Any]) -> None:
    session = load_session("b_ivr")
    await play(server.port, session.env_bytes, [(b"ANSWER\n", b"200 result=0\n")])
    reply = await outcome
    assert isinstance(reply, AgiReply) and reply.result == "0"


@pytest.mark.parametrize("half_close", [True, False])
async def test_peer_closes_before_the_blank_line(serve: Any, caplog: Any, half_close: bool) -> None:
    handler, outcome = outcome_of(lambda ch: ch.answer())
    server = await serve({"ivr": handler})
    async with connect(server.port) as (reader, writer):
        writer.write(b"agi_network: yes\nagi_network_script: ivr\n")
        if half_close:
            writer.write_eof()
            assert await read_until_closed(reader) == b""
    await wait_until(lambda: server.active_sessions == 0)
    assert "before the end of the AGI environment" in caplog.text
    assert not outcome.done()
    await session_still_works(server, outcome)


async def test_garbage_is_refused(serve: Any, caplog: Any) -> None:
    handler, outcome = outcome_of(lambda ch: ch.answer())
    server = await serve({"ivr": handler})
    async with connect(server.port) as (reader, writer):
        writer.write(b"GET / HTTP/1.1\r\nHost: engine\r\n\r\n")
        assert await read_until_closed(reader) == b""
    assert "GET / HTTP/1.1" in caplog.text
    await session_still_works(server, outcome)


async def test_oversized_line_is_refused(serve: Any, caplog: Any) -> None:
    handler, outcome = outcome_of(lambda ch: ch.answer())
    server = await serve({"ivr": handler}, max_line_size=1024)
    async with connect(server.port) as (reader, writer):
        writer.write(b"agi_network_script: " + b"x" * 5000)
        assert await read_until_closed(reader) == b""
    assert "longer than 1024 bytes" in caplog.text
    await session_still_works(server, outcome)


async def test_stalled_peer_is_dropped_after_env_timeout(serve: Any, caplog: Any) -> None:
    handler, outcome = outcome_of(lambda ch: ch.answer())
    server = await serve({"ivr": handler}, env_timeout=0.2)
    loop = asyncio.get_running_loop()
    async with connect(server.port) as (reader, writer):
        writer.write(b"agi_network: yes\n")
        started = loop.time()
        assert await read_until_closed(reader) == b""
        assert loop.time() - started < 5
    assert "no complete environment within 0.2s" in caplog.text
    await session_still_works(server, outcome)


async def test_disconnect_mid_command_reaches_the_handler(serve: Any) -> None:
    session = load_session("b_ivr")

    async def script(ch: AgiChannel) -> str:
        with pytest.raises(AgiConnectionLost):
            await ch.stream_file("silence/1")
        with pytest.raises(AgiConnectionLost):  # and stays lost
            await ch.answer()
        return "lost"

    handler, outcome = outcome_of(script)
    server = await serve({"ivr": handler})
    async with connect(server.port) as (reader, writer):
        writer.write(session.env_bytes)
        assert await asyncio.wait_for(reader.readline(), WAIT) == b'STREAM FILE silence/1 ""\n'
        writer.write(b"200 res")  # half a reply, then gone
    assert await asyncio.wait_for(outcome, WAIT) == "lost"
    await wait_until(lambda: server.active_sessions == 0)


async def test_command_timeout_closes_the_session(serve: Any) -> None:
    session = load_session("b_ivr")

    async def script(ch: AgiChannel) -> bool:
        with pytest.raises(AgiTimeout):
            await ch.get_data("silence/1", 6000, 1)
        return ch.closed

    handler, outcome = outcome_of(script)
    server = await serve({"ivr": handler}, command_timeout=0.2)
    async with connect(server.port) as (reader, writer):
        writer.write(session.env_bytes)
        assert await asyncio.wait_for(reader.readline(), WAIT) == b"GET DATA silence/1 6000 1\n"
        assert await read_until_closed(reader) == b""  # never answered: the server hangs up
    assert await outcome is True


async def test_cancelled_wait_drops_the_late_reply(serve: Any) -> None:
    session = load_session("b_ivr")
    gave_up = asyncio.Event()

    async def script(ch: AgiChannel) -> str:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await ch.get_data("silence/1", 6000, 1)
        gave_up.set()
        reply = await ch.command("GET VARIABLE", "IVR_CHOICE")
        return reply.data or ""

    handler, outcome = outcome_of(script)
    server = await serve({"ivr": handler})
    async with connect(server.port) as (reader, writer):
        writer.write(session.env_bytes)
        assert await asyncio.wait_for(reader.readline(), WAIT) == b"GET DATA silence/1 6000 1\n"
        await asyncio.wait_for(gave_up.wait(), WAIT)
        writer.write(b"200 result=7\n")  # the late answer to GET DATA
        assert await asyncio.wait_for(reader.readline(), WAIT) == b"GET VARIABLE IVR_CHOICE\n"
        writer.write(b"200 result=1 (fresh)\n")
        assert await read_until_closed(reader) == b""
    assert await outcome == "fresh"


async def test_handler_exception_is_logged_and_serving_goes_on(serve: Any, caplog: Any) -> None:
    session = load_session("b_ivr")

    async def boom(ch: AgiChannel) -> None:
        await ch.answer()
        raise RuntimeError("flow bug")

    handler, outcome = outcome_of(lambda ch: ch.answer())
    server = await serve({"ivr": handler, "boom": boom})
    env = session.env_bytes.replace(b"script: ivr", b"script: boom")
    await play(server.port, env, [(b"ANSWER\n", b"200 result=0\n")])
    failures = [r for r in caplog.records if r.exc_info and r.name.startswith("cti.agi")]
    assert len(failures) == 1
    assert "1795498539.3" in failures[0].getMessage()
    assert getattr(failures[0], "agi_channel", None) == "Local/s@ivr-entry-00000001;2"
    assert "flow bug" in caplog.text
    await session_still_works(server, outcome)


# ------------------------------------------------------------------- lifecycle


async def test_many_concurrent_sessions(serve: Any) -> None:
    count = 200
    together = asyncio.Barrier(count)
    env = load_session("b_ivr").env_bytes

    async def handler(ch: AgiChannel) -> None:
        await together.wait()  # all sessions are live at once, or this never returns
        await ch.set_variable("SEEN", ch.env.uniqueid)

    server = await serve({"ivr": handler})

    async def caller(i: int) -> None:
        unique = f"1795498539.{1000 + i}"
        own_env = env.replace(b"1795498539.3", unique.encode())
        command = f'SET VARIABLE SEEN "{unique}"\n'.encode()
        await play(server.port, own_env, [(command, b"200 result=1\n")])

    async with asyncio.timeout(60):
        await asyncio.gather(*(caller(i) for i in range(count)))
    await wait_until(lambda: server.active_sessions == 0)


async def test_close_with_sessions_in_flight_returns_promptly(serve: Any) -> None:
    count = 5
    env = load_session("b_ivr").env_bytes
    waiting: list[str] = []
    cancelled: list[str] = []

    async def handler(ch: AgiChannel) -> None:
        waiting.append(ch.env.uniqueid)
        try:
            await ch.stream_file("silence/1")  # the fake Asterisk never answers
        except asyncio.CancelledError:
            cancelled.append(ch.env.uniqueid)
            raise

    server = await serve({"ivr": handler})
    async with contextlib.AsyncExitStack() as stack:
        readers = []
        for _ in range(count):
            reader, writer = await stack.enter_async_context(connect(server.port))
            writer.write(env)
            readers.append(reader)
        for reader in readers:  # every handler is now waiting for its reply
            assert await reader.readline() == b'STREAM FILE silence/1 ""\n'
        assert len(waiting) == count
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.wait_for(server.close(), 2)
        assert loop.time() - started < 2
        assert len(cancelled) == count and server.active_sessions == 0
        for reader in readers:
            assert await read_until_closed(reader) == b""


async def test_serve_forever_stops_when_cancelled() -> None:
    server = FastAgiServer({}, "127.0.0.1", 0)
    task = asyncio.create_task(server.serve_forever())
    await wait_until(lambda: server.listening)
    port = server.port
    async with connect(port) as (reader, _):
        await wait_until(lambda: server.active_sessions == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await read_until_closed(reader) == b""
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    with pytest.raises(RuntimeError):
        _ = server.port
