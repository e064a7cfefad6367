"""Small AMI client and FastAGI server used by the simulator tests."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cti.ami.protocol import AmiParser, Event, Response, encode_headers
from tests.conftest import FIXTURES


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

    async def wait_for(self, pred: Callable[[], object], limit: float = 10.0) -> object:
        async with asyncio.timeout(limit), self.changed:
            while True:
                value = pred()
                if value:
                    return value
                await self.changed.wait()

    async def action(self, pairs: list[tuple[str, str]], limit: float = 10.0) -> Response:
        aid = next((v for k, v in pairs if k == "ActionID"), "")
        self.send(pairs)

        def done() -> Response | None:
            return next((r for r in self.responses if r.action_id == aid), None)

        result = await self.wait_for(done, limit)
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


# -- recorded traces: parse, replay against the simulator, compare --------------------------

BANNER = b"Asterisk Call Manager/"
# The channel snapshot fields, shown as <chan>/<dest>/... in diffs to keep lines short.
SNAPSHOT = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)
PREFIXES = ("", "Dest", "LocalOne", "LocalTwo")


@dataclass(frozen=True)
class Msg:
    """One AMI message: kind ("Banner", "Event", "Response"), name, field names, values."""

    kind: str
    name: str
    fields: frozenset[str]
    values: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str:
        return next((v for k, v in self.values if k == key), "")

    def shape(self) -> tuple[str, str, frozenset[str]]:
        return self.kind, self.name, self.fields

    def label(self) -> str:
        rest = set(self.fields) - {"Event", "Response", "Privilege"}
        tags = []
        for p in PREFIXES:
            block = {p + f for f in SNAPSHOT}
            if block <= rest:
                rest -= block
                tags.append(f"<{p.lower() or 'chan'}>")
        return f"{self.kind} {self.name} " + ",".join([*tags, *sorted(rest)])


def parse_msg(raw: bytes) -> Msg:
    values = []
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        if line:
            key, _, value = line.partition(":")
            values.append((key, value.strip()))
    kind, name = values[0] if values else ("?", "")
    return Msg(kind, name, frozenset(k for k, _ in values), tuple(values))


class Splitter:
    """Cuts a byte stream into (end offset, Msg); the banner is a bare line."""

    def __init__(self) -> None:
        self.buf = b""
        self.base = 0

    def feed(self, data: bytes) -> list[tuple[int, Msg]]:
        self.buf += data
        out = []
        while True:
            if self.buf.startswith(BANNER):
                end = self.buf.find(b"\r\n")
                if end < 0:
                    break
                line = self.buf[:end].decode()
                out.append((self.base + end + 2, Msg("Banner", line, frozenset(), ())))
                self._cut(end + 2)
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            out.append((self.base + end + 4, parse_msg(self.buf[:end])))
            self._cut(end + 4)
        return out

    def _cut(self, n: int) -> None:
        self.buf = self.buf[n:]
        self.base += n


@dataclass
class Step:
    """One thing the recorded client saw or did, in capture order."""

    kind: str  # "rx" | "tx" | "mark"
    conn: str  # "<capture>/<connection number>"
    t: float
    msg: Msg | None = None
    raw: bytes = b""
    mark: dict[str, Any] = field(default_factory=dict)


def load_trace(name: str) -> list[Step]:
    """The capture as an ordered list of rx messages, tx actions and markers."""
    base = FIXTURES / "ami" / name
    rx_path = base.with_name(f"{name}.rx.raw")
    rx = (
        rx_path.read_bytes()
        if rx_path.exists()
        else gzip.decompress(base.with_name(f"{name}.rx.raw.gz").read_bytes())
    )
    tx = base.with_name(f"{name}.tx.raw").read_bytes()
    rx_msgs = Splitter().feed(rx)
    tx_raw: list[tuple[int, bytes]] = []
    pos = 0
    while (end := tx.find(b"\r\n\r\n", pos)) >= 0:
        tx_raw.append((end + 4, tx[pos : end + 4]))
        pos = end + 4
    steps: list[Step] = []
    for line in base.with_name(f"{name}.idx.jsonl").read_text().splitlines():
        rec = json.loads(line)
        conn = f"{name}/{rec.get('conn', 0)}"
        if "mark" in rec:
            steps.append(Step("mark", conn, rec["t"], mark=rec))
            continue
        upto = rec["off"] + rec["len"]
        if rec["dir"] == "rx":
            while rx_msgs and rx_msgs[0][0] <= upto:
                steps.append(Step("rx", conn, rec["t"], msg=rx_msgs.pop(0)[1]))
        else:
            while tx_raw and tx_raw[0][0] <= upto:
                steps.append(Step("tx", conn, rec["t"], raw=tx_raw.pop(0)[1]))
    return steps


def trace_streams(steps: list[Step]) -> dict[str, list[Msg]]:
    out: dict[str, list[Msg]] = {}
    for s in steps:
        if s.kind == "rx" and s.msg is not None:
            out.setdefault(s.conn, []).append(s.msg)
    return out


class TraceClient:
    """A raw AMI client that keeps every message it receives, in order."""

    def __init__(self) -> None:
        self.msgs: list[Msg] = []
        self.eof = False
        self.changed = asyncio.Condition()
        self._split = Splitter()
        self._task: asyncio.Task[None] | None = None

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while data := await self.reader.read(65536):
                async with self.changed:
                    self.msgs.extend(m for _, m in self._split.feed(data))
                    self.changed.notify_all()
        except ConnectionError:
            pass
        async with self.changed:
            self.eof = True
            self.changed.notify_all()

    async def wait(self, pred: Callable[[], bool], limit: float) -> None:
        async with asyncio.timeout(limit), self.changed:
            await self.changed.wait_for(pred)

    def send(self, raw: bytes) -> None:
        self.writer.write(raw)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
