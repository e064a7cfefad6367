"""Small AMI client and FastAGI server used by the simulator tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from cti.ami.protocol import AmiParser, Event, Response, encode_headers


class AmiClient:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.responses: list[Response] = []
        self.changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.parser = AmiParser()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            data = await self.reader.read(65536)
            if not data:
                break
            async with self.changed:
                for m in self.parser.feed(data):
                    if isinstance(m, Event):
                        self.events.append(m)
                    elif isinstance(m, Response):
                        self.responses.append(m)
                self.changed.notify_all()
        async with self.changed:
            self.eof = True
            self.changed.notify_all()

    eof = False

    def send(self, pairs: list[tuple[str, str]]) -> None:
        self.writer.write(encode_headers(pairs))

    async def wait_for(self, pred: Callable[[], object], timeout: float = 10.0) -> object:
        async with asyncio.timeout(timeout), self.changed:
            while True:
                value = pred()
                if value:
                    return value
                await self.changed.wait()

    async def action(self, pairs: list[tuple[str, str]], timeout: float = 10.0) -> Response:
        aid = next((v for k, v in pairs if k == "ActionID"), "")
        self.send(pairs)

        def done() -> Response | None:
            return next((r for r in self.responses if r.action_id == aid), None)

        result = await self.wait_for(done, timeout)
        assert isinstance(result, Response)
        return result

    async def login(self) -> None:
        r = await self.action(
            [
                ("Action", "Login"),
                ("ActionID", "login-1"),
                ("Username", "cti"),
                ("Secret", "ctisecret"),
            ]
        )
        assert r.ok

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


AgiScript = Callable[["AgiConn"], Awaitable[None]]


class AgiConn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.env: dict[str, str] = {}
        self.log: list[tuple[str, str]] = []

    async def read_env(self) -> None:
        while True:
            line = (await self.reader.readline()).decode()
            if line in ("\n", ""):
                return
            k, _, v = line.rstrip("\n").partition(": ")
            self.env[k] = v

    async def cmd(self, text: str) -> str:
        self.writer.write(text.encode() + b"\n")
        await self.writer.drain()
        lines = []
        while True:
            line = (await self.reader.readline()).decode()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if line.startswith("HANGUP"):
                continue
            if line[:3].isdigit() and line[3:4] != "-":
                break
        reply = "\n".join(lines)
        self.log.append((text, reply))
        return reply


class AgiServer:
    def __init__(self, script: AgiScript) -> None:
        self.script = script
        self.sessions: list[AgiConn] = []
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = AgiConn(reader, writer)
        self.sessions.append(conn)
        try:
            await conn.read_env()
            await self.script(conn)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def stop(self) -> None:
        self.server.close()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.server.wait_closed()
