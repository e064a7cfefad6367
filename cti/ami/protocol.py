"""The Asterisk Manager Interface wire protocol, without I/O.

Bytes go in through :meth:`AmiParser.feed`, typed messages come out; actions go out
through :func:`encode_action`. Nothing here touches a socket or an event loop, so the
codec is tested on the recorded traces byte by byte.

Why not panoramisk's parser: it decodes every TCP chunk on its own with
``errors='ignore'``, so a Chinese caller name split across two reads loses characters,
and it has no cap on an incomplete message. Here bytes are buffered and decoded only
once a message is whole, and a message that grows past ``max_message_size`` raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

GREETING_PREFIX = b"Asterisk Call Manager/"
END_COMMAND = b"--END COMMAND--"
DEFAULT_MAX_MESSAGE_SIZE = 1 << 20  # 1 MiB: a CoreShowChannels item is ~600 bytes

_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})
# A message ends at a blank line; Asterisk writes CRLF, hand-written peers often bare LF.
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_END_COMMAND_BLOCK = re.compile(rb"--END COMMAND--\r?\n\r?\n")


class AmiProtocolError(Exception):
    """Base class of codec errors."""


class RemoteProtocolError(AmiProtocolError):
    """The peer sent bytes that cannot be framed (the stream cannot continue)."""


class LocalProtocolError(AmiProtocolError):
    """We were asked to encode something AMI cannot carry (a newline in a value...)."""


@dataclass(frozen=True, slots=True)
class Greeting:
    """The banner line Asterisk sends first, e.g. ``Asterisk Call Manager/11.0.0``."""

    banner: str

    @property
    def version(self) -> str:
        return self.banner.partition("/")[2]


@dataclass(frozen=True, slots=True)
class Event:
    """An unsolicited or list event. ``fields`` keeps the first value of each header;
    headers that repeat (``Variable`` in Status, ``ChanVariable``) are in ``multi``."""

    name: str
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    @property
    def action_id(self) -> str | None:
        return self.fields.get("ActionID")

    def values(self, key: str) -> tuple[str, ...]:
        """All values of a header, in wire order."""
        if key in self.multi:
            return self.multi[key]
        value = self.fields.get(key)
        return () if value is None else (value,)


@dataclass(frozen=True, slots=True)
class Response:
    """The reply to an action. ``status`` is Success, Error, Goodbye or Follows.
    ``output`` holds command output: the ``Output:`` headers of modern Asterisk or the
    raw body of a legacy ``Response: Follows`` block."""

    status: str
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    output: tuple[str, ...] = ()

    def get(self, key: str, default: str = "") -> str:
        return self.fields.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.fields[key]

    @property
    def action_id(self) -> str | None:
        return self.fields.get("ActionID")

    @property
    def ok(self) -> bool:
        return self.status in ("Success", "Follows", "Goodbye")

    @property
    def message(self) -> str:
        return self.fields.get("Message", "")

    @property
    def starts_list(self) -> bool:
        return self.fields.get("EventList") == "start"


@dataclass(frozen=True, slots=True)
class Garbage:
    """A whole message that is neither an event nor a response. Kept, not raised, so a
    peer's one bad message does not cost the connection; the session logs it."""

    raw: bytes
    reason: str


Message = Greeting | Event | Response | Garbage


def _split_headers(text: str) -> tuple[dict[str, str], dict[str, list[str]] | None, list[str]]:
    """Header lines to (first values, repeated values, lines without a colon)."""
    fields: dict[str, str] = {}
    multi: dict[str, list[str]] | None = None
    loose: list[str] = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        key, sep, value = line.partition(":")
        if not sep:
            if line:
                loose.append(line)
            continue
        if value.startswith(" "):
            value = value[1:]
        if key in fields:
            if multi is None:
                multi = {}
            bucket = multi.get(key)
            if bucket is None:
                multi[key] = [fields[key], value]
            else:
                bucket.append(value)
        else:
            fields[key] = value
    return fields, multi, loose


def parse_message(raw: bytes) -> Event | Response | Garbage:
    """One whole message (without its terminating blank line) to a typed message."""
    text = raw.decode("utf-8", "replace")
    fields, multi, loose = _split_headers(text)
    frozen_multi = MappingProxyType({k: tuple(v) for k, v in multi.items()}) if multi else _EMPTY
    name = fields.get("Event")
    if name is not None:
        return Event(name, fields, frozen_multi)
    status = fields.get("Response")
    if status is not None:
        output: tuple[str, ...] = ()
        if "Output" in fields:
            output = frozen_multi.get("Output", (fields["Output"],))
        elif status == "Follows":
            body = loose
            if body and body[-1] == END_COMMAND.decode():
                body = body[:-1]
            output = tuple(body)
        return Response(status, fields, frozen_multi, output)
    return Garbage(raw, "message has neither an Event nor a Response header")


class AmiParser:
    """Incremental AMI framer and parser.

    ``skip_events`` names events that are dropped by looking at their first line only,
    before any decoding: over half of a busy Asterisk's events are ``VarSet`` that the
    engine never reads, and not building them is most of the ingest speed.
    """

    def __init__(
        self,
        *,
        expect_greeting: bool = True,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        skip_events: Iterable[str] = (),
        only_events: Iterable[str] | None = None,
    ) -> None:
        self._buffer = bytearray()
        self._want_greeting = expect_greeting
        self._max = max_message_size
        self._skip = frozenset(b"Event: " + name.encode() for name in skip_events)
        self.skipped = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes; return every message they completed, in order."""
        buf = self._buffer
        buf += data
        out: list[Message] = []
        pos = 0
        if self._want_greeting:
            nl = buf.find(b"\n")
            if nl < 0:
                self._check_size(len(buf))
                return out
            line = bytes(buf[:nl]).rstrip(b"\r")
            self._want_greeting = False
            pos = nl + 1
            if line.startswith(GREETING_PREFIX):
                out.append(Greeting(line.decode("utf-8", "replace")))
            else:
                out.append(Garbage(line, "expected the 'Asterisk Call Manager/' banner"))
        skip = self._skip
        size = len(buf)
        while pos < size:
            # Asterisk separates messages with one blank line; tolerate stray blank lines.
            if buf[pos] in (10, 13):
                pos += 1
                continue
            if buf.startswith(b"Response: Follows", pos):
                end_match = _END_COMMAND_BLOCK.search(buf, pos)
                if end_match is None:
                    break
                out.append(parse_message(bytes(buf[pos : end_match.start() + len(END_COMMAND)])))
                pos = end_match.end()
                continue
            match = _BLANK_LINE.search(buf, pos)
            if match is None:
                break
            end = match.start()
            if skip and buf.startswith(b"Event: ", pos):
                eol = buf.find(b"\n", pos, end + 1)
                first = buf[pos:eol] if eol >= 0 else buf[pos:end]
                if first.endswith(b"\r"):
                    first = first[:-1]
                if bytes(first) in skip:
                    self.skipped += 1
                    pos = match.end()
                    continue
            out.append(parse_message(bytes(buf[pos:end])))
            pos = match.end()
        if pos:
            del buf[:pos]
        self._check_size(len(buf))
        return out

    def _check_size(self, size: int) -> None:
        if size > self._max:
            self._buffer.clear()
            raise RemoteProtocolError(
                f"incomplete AMI message exceeds {self._max} bytes; the stream cannot be framed"
            )


def _check_value(key: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"AMI header {key!r} cannot carry a line break")


def encode_headers(pairs: Iterable[tuple[str, str]]) -> bytes:
    """Header pairs to one wire message (CRLF lines and a blank line)."""
    parts: list[str] = []
    for key, value in pairs:
        if not key or ":" in key or "\r" in key or "\n" in key:
            raise LocalProtocolError(f"invalid AMI header name {key!r}")
        _check_value(key, value)
        parts.append(f"{key}: {value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")


FieldValue = str | int | Sequence[str]


def action_pairs(
    action: str, action_id: str, fields: Mapping[str, FieldValue] | None = None
) -> list[tuple[str, str]]:
    """An action as ordered header pairs; a sequence value repeats its header."""
    pairs = [("Action", action), ("ActionID", action_id)]
    for key, value in (fields or {}).items():
        if isinstance(value, str | int):
            pairs.append((key, str(value)))
        else:
            pairs.extend((key, str(v)) for v in value)
    return pairs


def encode_action(
    action: str, action_id: str, fields: Mapping[str, FieldValue] | None = None
) -> bytes:
    """``Action`` and ``ActionID`` first, then the fields, as Asterisk expects."""
    return encode_headers(action_pairs(action, action_id, fields))


def encode_greeting(version: str = "11.0.0") -> bytes:
    return b"Asterisk Call Manager/" + version.encode() + b"\r\n"
