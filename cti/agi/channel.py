"""One FastAGI session as a handler sees it: the environment and the commands.

Choice on hangup: :meth:`AgiChannel.command` and :meth:`AgiChannel.send` are raw - they
return every reply, 511 included, and raise only when no reply can come (connection
lost, timeout, bytes that are not AGI). The convenience methods (``answer()``,
``stream_file()``...) raise :class:`AgiHangup` on a 511 and :class:`AgiCommandError` on
any other non-200 reply, so an IVR flow can be written straight down and end in one
``except AgiHangup``. Nothing is refused up front because of :attr:`hung_up`: Asterisk
still runs SET/GET VARIABLE and VERBOSE on a dead channel (the recorded b2 session does),
which is how a flow records where the caller left.

Two ways to stop waiting: ``reply_timeout`` (default: the server's ``command_timeout``)
gives up on Asterisk - the session is closed and :class:`AgiTimeout` raised. Cancelling
the awaiting task (``asyncio.timeout`` around a call) keeps the session: the reply still
owed is read and dropped before the next command's reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from enum import Enum
from typing import Final

from cti.agi import commands as cmd
from cti.agi.commands import AgiCommand, Word
from cti.agi.environment import AgiEnvironment
from cti.agi.errors import RemoteProtocolError
from cti.agi.protocol import (
    AgiConnection,
    AgiReply,
    ConnectionClosed,
    Event,
    HangupNotice,
    NeedData,
)

_READ_SIZE: Final = 64 * 1024
log = logging.getLogger("cti.agi")


class AgiError(Exception):
    """Base class of errors a handler sees from its channel."""


class AgiHangup(AgiError):
    """The caller is gone: a command that needs a live channel got 511."""


class AgiConnectionLost(AgiHangup):
    """The socket closed or failed while a reply was due (or the session is over)."""


class AgiTimeout(AgiError):
    """No reply within the command timeout. The session is closed: a late reply would
    be taken for the answer to the next command."""


class AgiCommandError(AgiError):
    """A convenience method got a reply other than 200 (510 unknown, 520 usage...)."""

    def __init__(self, command: str, reply: AgiReply) -> None:
        detail = reply.text if reply.usage is None else f"{reply.text} {reply.usage!r}"
        super().__init__(f"{command}: {reply.code} {detail}")
        self.command = command
        self.reply = reply


class _Default(Enum):
    TOKEN = 0


DEFAULT: Final = _Default.TOKEN
Timeout = float | None | _Default


async def read_event(conn: AgiConnection, reader: asyncio.StreamReader) -> Event:
    """The next codec event, reading from the socket as needed."""
    while True:
        event = conn.next_event()
        if not isinstance(event, NeedData):
            return event
        try:
            data = await reader.read(_READ_SIZE)
        except OSError as exc:
            raise AgiConnectionLost(f"read failed: {exc}") from exc
        conn.receive_data(data)


def log_fields(env: AgiEnvironment) -> Mapping[str, str]:
    """Identifying fields only: the environment may carry caller data we do not log."""
    return {"agi_route": env.route, "agi_channel": env.channel, "agi_uniqueid": env.uniqueid}


class AgiChannel:
    """The handler's side of one call in FastAGI. Commands run one at a time."""

    def __init__(
        self,
        env: AgiEnvironment,
        connection: AgiConnection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout: float | None,
    ) -> None:
        self.env = env
        self._conn = connection
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._lock = asyncio.Lock()
        self._hung_up = False
        self._closed: str | None = None
        # Replies still owed for commands whose caller was cancelled while waiting;
        # they are read and dropped before the next command's reply.
        self._owed = 0
        self._extra = log_fields(env)

    @property
    def hung_up(self) -> bool:
        """Asterisk said so: a ``HANGUP`` notice or a 511 reply."""
        return self._hung_up

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def command(self, *words: Word, reply_timeout: Timeout = DEFAULT) -> AgiReply:
        """``await ch.command("GET DATA", "silence/1", 6000, 1)``: the raw reply."""
        return await self.send(AgiCommand(words), reply_timeout=reply_timeout)

    async def send(self, command: AgiCommand, *, reply_timeout: Timeout = DEFAULT) -> AgiReply:
        limit = self._command_timeout if isinstance(reply_timeout, _Default) else reply_timeout
        async with self._lock:
            if self._closed is not None:
                raise AgiConnectionLost(f"{command.name}: session closed ({self._closed})")
            data = self._conn.send(command)
            log.debug("agi command=%s", command.name, extra=self._extra)
            self._writer.write(data)
            self._owed += 1
            try:
                async with asyncio.timeout(limit):
                    await self._writer.drain()
                    while self._owed > 1:
                        await self._next_reply()
                        self._owed -= 1
                    reply = await self._next_reply()
                    self._owed -= 1
            except TimeoutError:
                self._shut(f"no reply to {command.name} within {limit}s")
                raise AgiTimeout(f"{command.name}: no reply within {limit}s") from None
            except OSError as exc:
                self._shut(f"write failed: {exc}")
                raise AgiConnectionLost(f"{command.name}: {exc}") from exc
            except AgiConnectionLost as exc:
                self._shut(str(exc))
                raise
            except RemoteProtocolError as exc:
                self._shut(str(exc))
                if self._conn.eof_received:  # cut off mid-reply: gone, not garbled
                    raise AgiConnectionLost(f"{command.name}: {exc}") from exc
                raise
            return reply

    async def _next_reply(self) -> AgiReply:
        while True:
            event = await read_event(self._conn, self._reader)
            if isinstance(event, HangupNotice):
                self._hung_up = True
                log.info("agi hangup notice channel=%s", self.env.channel, extra=self._extra)
            elif isinstance(event, ConnectionClosed):
                raise AgiConnectionLost("Asterisk closed the connection")
            elif isinstance(event, AgiReply):
                if event.provisional:
                    continue
                if event.is_hangup:
                    self._hung_up = True
                return event
            else:  # a second environment cannot be parsed by the codec
                raise RemoteProtocolError(f"unexpected event {event!r}")

    def _shut(self, reason: str) -> None:
        # The stream is out of step (or dead): nothing later can be trusted.
        self._closed = reason
        self._writer.transport.abort()

    async def _checked(self, command: AgiCommand, reply_timeout: Timeout = DEFAULT) -> AgiReply:
        reply = await self.send(command, reply_timeout=reply_timeout)
        if reply.is_hangup:
            raise AgiHangup(f"{command.name}: channel hung up")
        if not reply.ok:
            raise AgiCommandError(command.name, reply)
        return reply

    # ---------------------------------------------------------------- conveniences

    async def answer(self) -> AgiReply:
        return await self._checked(cmd.answer())

    async def hangup(self, channel: str | None = None) -> AgiReply:
        """Hang up; a channel that is already gone is not an error here."""
        reply = await self.send(cmd.hangup(channel))
        if not reply.ok and not reply.is_hangup:
            raise AgiCommandError("HANGUP", reply)
        return reply

    async def stream_file(
        self, name: str, escape: str = "", *, reply_timeout: Timeout = DEFAULT
    ) -> AgiReply:
        """``reply.digit`` is the key that interrupted it; ``reply.failed`` a missing file."""
        return await self._checked(cmd.stream_file(name, escape), reply_timeout)

    async def get_data(
        self, file: str, timeout_ms: int, max_digits: int, *, reply_timeout: Timeout = DEFAULT
    ) -> AgiReply:
        """``reply.result`` holds the digits; ``reply.is_timeout`` if input timed out."""
        return await self._checked(cmd.get_data(file, timeout_ms, max_digits), reply_timeout)

    async def wait_for_digit(
        self, timeout_ms: int, *, reply_timeout: Timeout = DEFAULT
    ) -> str | None:
        """The key pressed, or None when ``timeout_ms`` passed without one."""
        reply = await self._checked(cmd.wait_for_digit(timeout_ms), reply_timeout)
        if reply.failed:  # with no file to miss, -1 here means the caller hung up
            raise AgiHangup("WAIT FOR DIGIT: channel hung up")
        return reply.digit

    async def set_variable(self, name: str, value: str) -> None:
        await self._checked(cmd.set_variable(name, value))

    async def get_variable(self, name: str) -> str | None:
        """None if the variable is not set (``200 result=0``)."""
        reply = await self._checked(cmd.get_variable(name))
        return reply.data if reply.result == "1" else None

    async def get_full_variable(self, expression: str, channel: str | None = None) -> str | None:
        reply = await self._checked(cmd.get_full_variable(expression, channel))
        return reply.data if reply.result == "1" else None

    async def channel_status(self, channel: str | None = None) -> int:
        """Asterisk's channel state number (6 = up)."""
        reply = await self._checked(cmd.channel_status(channel))
        status = reply.result_int
        if status is None:
            raise AgiCommandError("CHANNEL STATUS", reply)
        return status

    async def verbose(
        self, message: str, level: int = 1, *, reply_timeout: Timeout = DEFAULT
    ) -> None:
        await self._checked(cmd.verbose(message, level), reply_timeout)

    async def exec(self, app: str, *args: str, reply_timeout: Timeout = DEFAULT) -> AgiReply:
        """Run a dialplan application; ``reply.result`` is its return (-2: no such app)."""
        return await self._checked(cmd.exec_app(app, *args), reply_timeout)

    async def record_file(
        self,
        filename: str,
        format: str = "wav",
        escape: str = "#",
        timeout_ms: int = -1,
        *,
        beep: bool = False,
        silence_s: int | None = None,
        reply_timeout: Timeout = DEFAULT,
    ) -> AgiReply:
        command = cmd.record_file(
            filename, format, escape, timeout_ms, beep=beep, silence_s=silence_s
        )
        return await self._checked(command, reply_timeout)

    async def say_digits(self, digits: str | int, escape: str = "") -> AgiReply:
        return await self._checked(cmd.say_digits(digits, escape))

    async def say_number(
        self, number: int, escape: str = "", gender: str | None = None
    ) -> AgiReply:
        return await self._checked(cmd.say_number(number, escape, gender))

    async def say_date(self, epoch_seconds: int, escape: str = "") -> AgiReply:
        return await self._checked(cmd.say_date(epoch_seconds, escape))
