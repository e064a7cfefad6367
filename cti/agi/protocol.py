"""The FastAGI wire protocol, engine side, without I/O.

Asterisk connects to the engine, sends its environment block (``agi_*: value`` lines up
to an empty line) and then answers each command we send with one reply line (or a
``520-`` block). Between replies it may send the out-of-band line ``HANGUP``.

Use it the h11 way: :meth:`AgiConnection.receive_data` with the bytes read (``b""`` at
end of stream), :meth:`AgiConnection.next_event` until it returns :data:`NEED_DATA`, and
:meth:`AgiConnection.send` for the bytes of a command. Bytes are buffered and decoded
one whole line at a time, so a UTF-8 caller name split across two reads survives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

from cti.agi.commands import AgiCommand, Quoted, encode_command
from cti.agi.environment import AgiEnvironment
from cti.agi.errors import AgiProtocolError, LocalProtocolError, RemoteProtocolError

__all__ = [
    "NEED_DATA",
    "AgiCommand",
    "AgiConnection",
    "AgiEnvironment",
    "AgiProtocolError",
    "AgiReply",
    "ConnectionClosed",
    "Event",
    "HangupNotice",
    "LocalProtocolError",
    "NeedData",
    "Quoted",
    "RemoteProtocolError",
    "encode_command",
    "parse_reply_line",
]

DEFAULT_MAX_LINE_SIZE: Final = 64 * 1024
DEFAULT_MAX_ENV_SIZE: Final = 64 * 1024
DEFAULT_MAX_USAGE_SIZE: Final = 64 * 1024

_EMPTY: Mapping[str, str] = MappingProxyType({})


class NeedData(Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One reply to a command.

    ``200 result=1 (Local/x;2) endpos=0`` gives ``code=200, result="1", data="Local/x;2",
    fields={"endpos": "0"}``; free text after that (``200 result=0 Gosub complete``) and
    the message of an error reply (``510 Invalid or unknown command``) land in ``text``.
    ``lines`` holds the reply as received, one item per wire line.
    """

    code: int
    result: str = ""
    data: str | None = None
    fields: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    text: str = ""
    usage: str | None = None
    lines: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def provisional(self) -> bool:
        """``100 result=0 Trying...`` (GOSUB): the final reply is still to come."""
        return 100 <= self.code < 200

    @property
    def endpos(self) -> int | None:
        value = self.fields.get("endpos")
        return int(value) if value is not None and _INT.fullmatch(value) else None

    @property
    def is_timeout(self) -> bool:
        return self.data == "timeout"

    @property
    def is_hangup(self) -> bool:
        """511: the channel is dead and this command needs a live one."""
        return self.code == 511

    @property
    def failed(self) -> bool:
        """``result=-1``: Asterisk's "error or hangup" (a missing prompt file gives it too;
        a hangup shows as a ``HANGUP`` notice and 511 replies after it)."""
        return self.code == 200 and self.result == "-1"

    @property
    def result_int(self) -> int | None:
        return int(self.result) if _INT.fullmatch(self.result) else None

    @property
    def digit(self) -> str | None:
        """WAIT FOR DIGIT / STREAM FILE give the ASCII code of the key: ``50`` -> ``"2"``."""
        value = self.result_int
        if self.code != 200 or value is None or value not in _DTMF_CODES:
            return None
        return chr(value)


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """The out-of-band ``HANGUP`` line: the channel hung up; the pending reply still comes."""


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed the stream cleanly between replies."""


Event = AgiEnvironment | AgiReply | HangupNotice | ConnectionClosed


# ------------------------------------------------------------------- reply grammar

# Why not panoramisk.utils.parse_agi_result: its value pattern needs at least one
# character, so `200 result= (timeout)` loses both the empty result and the "timeout"
# data; it folds `result=-1` into an error dict that drops `endpos`; and it reads one
# line, so the 520 usage block is out of reach. The grammar is the same -
# `<code> result=<value> [(<data>)] [key=value ...]` - with the value allowed empty.
_INT = re.compile(r"-?\d+")
_DTMF_CODES = frozenset(map(ord, "0123456789*#ABCD"))
_CODE_LINE = re.compile(r"(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)", re.DOTALL)
_KV = r"\w+=(?:\"[^\"]*\"|\S*)"
# Greedy data runs to the last ')' that leaves only key=value pairs behind, so a
# variable value containing ") x=1" stays whole.
_RESULT_STRICT = re.compile(
    rf"result=(?P<result>\S*)(?: \((?P<data>.*)\))?(?P<tail>(?: {_KV})*)", re.DOTALL
)
_RESULT_LOOSE = re.compile(
    r"result=(?P<result>\S*)(?: \((?P<data>[^)]*)\))?\s*(?P<text>.*)", re.DOTALL
)
_KV_ITEM = re.compile(r"(\w+)=(\"[^\"]*\"|\S*)")


def parse_reply_line(line: str) -> AgiReply:
    """Parse one complete single-line reply (no EOL). Raises RemoteProtocolError."""
    match = _CODE_LINE.fullmatch(line)
    if match is None or match["sep"] != " ":
        raise RemoteProtocolError(f"not an AGI reply line: {_excerpt(line)}")
    code = int(match["code"])
    rest = match["rest"]
    if not rest.startswith("result="):
        if code in (100, 200):
            raise RemoteProtocolError(f"{code} reply without result=: {_excerpt(line)}")
        return AgiReply(code=code, text=rest, lines=(line,))
    strict = _RESULT_STRICT.fullmatch(rest)
    if strict is not None:
        pairs = {k: v.strip('"') for k, v in _KV_ITEM.findall(strict["tail"])}
        return AgiReply(
            code=code,
            result=strict["result"],
            data=strict["data"],
            fields=MappingProxyType(pairs) if pairs else _EMPTY,
            lines=(line,),
        )
    loose = _RESULT_LOOSE.fullmatch(rest)
    if loose is None:  # cannot happen: the pattern ends in `\s*.*`
        raise RemoteProtocolError(f"unreadable AGI reply: {_excerpt(line)}")
    return AgiReply(
        code=code,
        result=loose["result"],
        data=loose["data"],
        text=loose["text"],
        lines=(line,),
    )


def _usage_reply(lines: list[str]) -> AgiReply:
    first = lines[0]
    return AgiReply(
        code=int(first[:3]),
        text=first[4:],
        usage="\n".join(lines[1:-1]),
        lines=tuple(lines),
    )


def _excerpt(line: str, limit: int = 80) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "...")


# ------------------------------------------------------------------- connection


class _State(Enum):
    ENVIRONMENT = "environment"
    COMMANDS = "commands"
    CLOSED = "closed"


_ENV_KEY = re.compile(r"agi_\w+", re.ASCII)


class AgiConnection:
    """The engine's end of one FastAGI session (the FastAGI server side)."""

    def __init__(
        self,
        *,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
        max_env_size: int = DEFAULT_MAX_ENV_SIZE,
        max_usage_size: int = DEFAULT_MAX_USAGE_SIZE,
    ) -> None:
        self._max_line = max_line_size
        self._max_env = max_env_size
        self._max_usage = max_usage_size
        self._buffer = bytearray()
        self._received = 0
        self._scanned = 0  # bytes of _buffer already known to hold no b"\n"
        self._eof = False
        self._state = _State.ENVIRONMENT
        self._env: dict[str, str] = {}
        self._env_size = 0
        self._usage: list[str] | None = None
        self._usage_size = 0
        self._pending = 0
        self._error: RemoteProtocolError | None = None

    @property
    def pending(self) -> int:
        """Commands sent whose final reply has not been parsed yet."""
        return self._pending

    @property
    def eof_received(self) -> bool:
        return self._eof

    @property
    def bytes_received(self) -> int:
        return self._received

    @property
    def environment_received(self) -> bool:
        return self._state is not _State.ENVIRONMENT

    def receive_data(self, data: bytes) -> None:
        """Bytes read from the socket; ``b""`` means the peer closed its side."""
        if self._eof:
            raise LocalProtocolError("receive_data() after end of stream")
        if data:
            self._received += len(data)
            self._buffer += data
        else:
            self._eof = True

    def send(self, command: AgiCommand) -> bytes:
        """The bytes to write for ``command``; its reply is then expected."""
        if self._state is _State.ENVIRONMENT:
            raise LocalProtocolError("cannot send a command before the AGI environment")
        if self._state is _State.CLOSED or self._eof or self._error is not None:
            raise LocalProtocolError("cannot send a command on a closed AGI connection")
        data = command.encode()
        self._pending += 1
        return data

    def next_event(self) -> Event | NeedData:
        if self._error is not None:
            raise self._error
        try:
            return self._next_event()
        except RemoteProtocolError as exc:
            self._error = exc
            raise

    def _next_event(self) -> Event | NeedData:
        while True:
            if self._state is _State.CLOSED:
                return ConnectionClosed()
            line = self._next_line()
            if line is None:
                return self._no_line()
            event = self._handle_line(line)
            if event is not None:
                return event

    def _no_line(self) -> ConnectionClosed | NeedData:
        if not self._eof:
            return NEED_DATA
        if self._buffer:
            raise RemoteProtocolError(
                f"connection closed in the middle of a line ({len(self._buffer)} bytes)"
            )
        if self._state is _State.ENVIRONMENT:
            raise RemoteProtocolError("connection closed before the end of the AGI environment")
        if self._usage is not None:
            raise RemoteProtocolError("connection closed inside a 520 usage block")
        self._state = _State.CLOSED
        return ConnectionClosed()

    def _next_line(self) -> str | None:
        end = self._buffer.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buffer)
            if len(self._buffer) > self._max_line:
                raise RemoteProtocolError(
                    f"line longer than {self._max_line} bytes without a newline"
                )
            if self._state is _State.ENVIRONMENT:
                self._check_env_size(len(self._buffer))
            return None
        raw = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._scanned = 0
        if len(raw) > self._max_line:
            raise RemoteProtocolError(f"line longer than {self._max_line} bytes")
        if self._state is _State.ENVIRONMENT:
            self._check_env_size(end + 1)
            self._env_size += end + 1
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        # A whole line is decoded at once; "replace" keeps a caller whose name is in
        # another encoding (a misconfigured trunk) instead of dropping the call.
        return raw.decode("utf-8", errors="replace")

    def _check_env_size(self, extra: int) -> None:
        if self._env_size + extra > self._max_env:
            raise RemoteProtocolError(f"AGI environment larger than {self._max_env} bytes")

    def _handle_line(self, line: str) -> Event | None:
        if self._state is _State.ENVIRONMENT:
            return self._environment_line(line)
        if self._usage is not None:
            return self._usage_line(line)
        if line == "HANGUP":
            return HangupNotice()
        if line.startswith("520-"):
            self._expect_reply(line)
            self._usage = [line]
            self._usage_size = len(line)
            return None
        if not line:
            raise RemoteProtocolError("unexpected empty line where an AGI reply was due")
        self._expect_reply(line)
        reply = parse_reply_line(line)
        if not reply.provisional:
            self._pending -= 1
        return reply

    def _expect_reply(self, line: str) -> None:
        if self._pending == 0:
            raise RemoteProtocolError(f"reply with no command pending: {_excerpt(line)}")

    def _environment_line(self, line: str) -> AgiEnvironment | None:
        if not line:
            self._state = _State.COMMANDS
            env = AgiEnvironment(MappingProxyType(self._env))
            self._env = {}
            return env
        key, sep, value = line.partition(":")
        if not sep or not _ENV_KEY.fullmatch(key):
            raise RemoteProtocolError(
                "expected an 'agi_<name>: <value>' line in the AGI environment, "
                f"got {_excerpt(line)}"
            )
        self._env[key] = value[1:] if value.startswith(" ") else value
        return None

    def _usage_line(self, line: str) -> AgiReply | None:
        assert self._usage is not None
        self._usage.append(line)
        self._usage_size += len(line) + 1
        if self._usage_size > self._max_usage:
            raise RemoteProtocolError(f"520 usage block larger than {self._max_usage} bytes")
        if not line.startswith("520 ") and line != "520":
            return None
        reply = _usage_reply(self._usage)
        self._usage = None
        self._pending -= 1
        return reply
