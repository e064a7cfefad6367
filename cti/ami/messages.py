"""AMI messages as values, the codec's errors, and the general parser of one whole
message. :mod:`cti.ami.protocol` frames the byte stream (with a faster parser for the
common shape) and re-exports all of this; import it from there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

END_COMMAND = b"--END COMMAND--"
_END_COMMAND_TEXT = END_COMMAND.decode()
EMPTY_MULTI: Mapping[str, tuple[str, ...]] = MappingProxyType({})


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


class _HeaderAccess:
    """Header reads shared by events and responses (methods only; the dataclasses that
    use it declare ``fields`` and ``multi``)."""

    __slots__ = ()
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]]

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
class Event(_HeaderAccess):
    """An unsolicited or list event. ``fields`` keeps the first value of each header;
    headers that repeat (``Variable`` in Status, ``ChanVariable``) are in ``multi``."""

    name: str
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY_MULTI)


@dataclass(frozen=True, slots=True)
class Response(_HeaderAccess):
    """The reply to an action. ``status`` is Success, Error, Goodbye or Follows.
    ``output`` holds command output: the ``Output:`` headers of modern Asterisk or the
    body of a legacy ``Response: Follows`` block."""

    status: str
    fields: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY_MULTI)
    output: tuple[str, ...] = ()

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


def _split_legacy(text: str) -> tuple[str, list[str] | None]:
    """A legacy ``Response: Follows`` block to (header text, output lines). Asterisk ends
    header lines with CRLF and CLI output lines with a bare LF, so output lines that look
    like headers (``System uptime: 5 minutes``) stay output. A peer writing bare LF
    everywhere gives no such clue: then output is the lines without a colon."""
    lines = text.split("\n")
    if not lines[0].endswith("\r"):
        return text, None
    head = 1
    while head < len(lines) and lines[head].endswith("\r") and ":" in lines[head]:
        head += 1
    output = [line[:-1] if line.endswith("\r") else line for line in lines[head:]]
    return "\n".join(lines[:head]), output


def message_from_text(raw: bytes, text: str) -> Event | Response | Garbage:
    """One whole message, as bytes and as decoded text, to a typed message."""
    output_lines: list[str] | None = None
    if text.startswith("Response: Follows"):
        text, output_lines = _split_legacy(text)
    fields, multi, loose = _split_headers(text)
    frozen_multi = (
        MappingProxyType({k: tuple(v) for k, v in multi.items()}) if multi else EMPTY_MULTI
    )
    name = fields.get("Event")
    if name is not None:
        return Event(name, fields, frozen_multi)
    status = fields.get("Response")
    if status is None:
        return Garbage(raw, "message has neither an Event nor a Response header")
    output: tuple[str, ...] = ()
    if "Output" in fields:
        output = frozen_multi.get("Output", (fields["Output"],))
    elif status == "Follows":
        body = loose if output_lines is None else output_lines
        if body and body[-1].endswith(_END_COMMAND_TEXT):
            body[-1] = body[-1][: -len(_END_COMMAND_TEXT)]  # output may lack its last LF
            if not body[-1]:
                body.pop()
        output = tuple(body)
    return Response(status, fields, frozen_multi, output)


def parse_message(raw: bytes) -> Event | Response | Garbage:
    """One whole message (without its terminating blank line) to a typed message."""
    return message_from_text(raw, raw.decode("utf-8", "replace"))
