"""The Asterisk Manager Interface wire protocol, without I/O.

Bytes go in through :meth:`AmiParser.feed`, typed messages come out; actions go out
through :func:`encode_action`. Nothing here touches a socket or an event loop, so the
codec is tested on the recorded traces byte by byte.

Why not panoramisk's parser: it decodes every TCP chunk on its own with
``errors='ignore'``, so a Chinese caller name split across two reads loses characters,
and it has no cap on an incomplete message. Here bytes are buffered and decoded only
once a message is whole, and a message that grows past ``max_message_size`` raises.

Speed: a busy Asterisk sends ~150 events a call, over half of them ``VarSet``. What
Asterisk writes (CRLF lines) is framed by one C-level split of everything buffered;
unwanted events are dropped by their first line without being decoded; the rest is
parsed by a short loop whose assumptions are checked with a few counts over the whole
message. Input outside that shape (bare LF, repeated or odd headers, legacy command
output) goes through the general code, which gives the same messages, only slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cti.ami.messages import (
    EMPTY_MULTI,
    END_COMMAND,
    AmiProtocolError,
    Event,
    Garbage,
    Greeting,
    LocalProtocolError,
    Message,
    RemoteProtocolError,
    Response,
    message_from_text,
    parse_message,
)

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "AmiParser",
    "AmiProtocolError",
    "Event",
    "FieldValue",
    "Garbage",
    "Greeting",
    "LocalProtocolError",
    "Message",
    "RemoteProtocolError",
    "Response",
    "action_pairs",
    "encode_action",
    "encode_greeting",
    "encode_headers",
    "parse_message",
]

GREETING_PREFIX = b"Asterisk Call Manager/"
DEFAULT_MAX_MESSAGE_SIZE = 1 << 20  # 1 MiB: a CoreShowChannels item is ~600 bytes

# A message ends at a blank line; Asterisk writes CRLF, hand-written peers often bare LF.
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_END_COMMAND_BLOCK = re.compile(rb"--END COMMAND--\r?\n\r?\n")
_FOLLOWS = b"Response: Follows"
# Every blank line holds LF CR LF (CRLF CRLF, or a bare LF then CRLF) unless it holds
# LF LF. Buffers without LF LF are split on LF CR LF at once; the others are framed by
# the general loop.
_SEP = b"\n\r\n"
_LF_LF = re.compile(b"\n\n")  # re finds this twice as fast as bytes.find does
# A terminator that was not in the buffer before a feed ends in the new bytes, so a
# search may start this far (the longest terminator, less one) before them.
_LOOKBACK = len(END_COMMAND) + 3

# What the first line says about a message; cached per distinct first line.
_SKIP, _KEEP, _CHECK, _STRAY, _LEGACY = range(5)
_VERDICT_CACHE = 512

# The frozen dataclass __init__ sets each field through object.__setattr__; the hot path
# fills the slots directly: the same object at half the cost.
_new_object = object.__new__
_set_name = Event.__dict__["name"].__set__
_set_fields = Event.__dict__["fields"].__set__
_set_multi = Event.__dict__["multi"].__set__


def _parse_piece(piece: bytes) -> Event | Response | Garbage:
    """:func:`parse_message` for a piece of a split buffer (a message plus the CR of the
    line break that ended it, if any), fast for the shape Asterisk writes: CRLF lines of
    ``Key: value``, each key once. Its assumptions (no bare LF, no repeated key, no colon
    in a key) are checked with counts over the whole text rather than on each line; a
    message that breaks one takes the general parser."""
    raw = piece[:-1] if piece.endswith(b"\r") else piece
    text = raw.decode("utf-8", "replace")
    lines = text.split("\r\n")
    n = len(lines)
    if text.count("\n") != n - 1 or text.endswith("\r"):
        # A bare LF inside a line, or a CR the general parser strips from the last line.
        return message_from_text(raw, text)
    fields: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if not sep:
            return message_from_text(raw, text)
        fields[key] = value
    if len(fields) != n or (
        # "A:b: c" is key "A" to the general parser; one colon a line is the usual case.
        text.count(":") != n and ":" in "".join(fields)
    ):
        return message_from_text(raw, text)  # or a repeated header, whose values go to multi
    name = fields.get("Event")
    if name is not None:
        event = _new_object(Event)
        _set_name(event, name)
        _set_fields(event, fields)
        _set_multi(event, EMPTY_MULTI)
        return event
    status = fields.get("Response")
    if status is not None:
        output = (fields["Output"],) if "Output" in fields else ()
        return Response(status, fields, EMPTY_MULTI, output)
    return message_from_text(raw, text)


class AmiParser:
    """Incremental AMI framer and parser.

    Events can be dropped by their first line, before any decoding: ``skip_events``
    names events to drop, ``only_events`` (when given) the only events to keep. Over half
    of a busy Asterisk's events are ``VarSet`` that the engine never reads, and not
    building them is most of the ingest speed. Dropped events are counted in
    ``skipped``; responses are always kept.

    ``max_message_size`` caps the bytes one message may take, its closing blank line
    included: a longer message, whole or still incomplete, raises
    :class:`RemoteProtocolError`, so ``buffered`` never exceeds the cap.
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
        self._skip = frozenset(skip_events)
        self._only = None if only_events is None else frozenset(only_events)
        self._verdicts: dict[bytes, int] = {}
        # No terminator starts before this offset of the buffer: bytes fed one by one
        # must not make every feed search the whole incomplete message again.
        self._searched = 0
        self.skipped = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def wants(self, name: str) -> bool:
        """Whether events called ``name`` are returned rather than dropped."""
        return name not in self._skip and (self._only is None or name in self._only)

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes; return every message they completed, in order."""
        if b"\n" not in data:  # every message, and the banner, ends with an LF
            self._buffer += data
            self._check_size(len(self._buffer))
            return []
        buf: bytes | bytearray
        if self._buffer:
            buf = self._buffer
            buf += data
        else:
            # Asterisk's writes are whole messages, so reads usually leave nothing
            # behind: then the bytes read are parsed in place, without a copy.
            buf = data
        out: list[Message] = []
        pos = 0
        if self._want_greeting:
            nl = buf.find(b"\n")  # the banner ends in ``data``: bytes before had no LF
            line = bytes(buf[:nl]).rstrip(b"\r")
            self._want_greeting = False
            pos = nl + 1
            if line.startswith(GREETING_PREFIX):
                out.append(Greeting(line.decode("utf-8", "replace")))
            else:
                out.append(Garbage(line, "expected the 'Asterisk Call Manager/' banner"))
        end = buf.rfind(_SEP, max(pos, self._searched))
        if end >= 0:
            pos = self._feed_split(buf, pos, end + len(_SEP), out)
        pos = self._feed_general(buf, pos, out)
        self._keep(buf, pos)
        self._searched = max(len(self._buffer) - _LOOKBACK, 0)
        return out

    def _keep(self, buf: bytes | bytearray, pos: int) -> None:
        """Keep ``buf[pos:]``, the start of an incomplete message, for the next feed."""
        if buf is self._buffer:
            del self._buffer[:pos]
        elif pos < len(buf):
            self._buffer += memoryview(buf)[pos:]
        self._check_size(len(self._buffer))

    def _feed_split(self, buf: bytes | bytearray, start: int, stop: int, out: list[Message]) -> int:
        """Parse ``buf[start:stop]``, which ends in a blank line, by splitting it at once.
        Returns where the general loop takes over: ``stop``, or earlier if this stretch
        holds framing that only the general loop handles."""
        if type(buf) is bytes and start == 0 and stop == len(buf):
            region = buf
        else:
            with memoryview(buf) as view:
                region = bytes(view[start:stop])
        if _LF_LF.search(region):
            return start
        # Each piece is a message plus the CR of its last line break, if it had one.
        pieces = region.split(_SEP)
        pieces.pop()  # the empty piece after the final terminator
        if len(region) > self._max and max(map(len, pieces)) + len(_SEP) > self._max:
            return start  # the general loop raises at the right message
        verdict_of = self._verdicts.get
        append = out.append
        skipped = 0
        for piece in pieces:
            first = piece.partition(b"\r\n")[0]
            verdict = verdict_of(first)
            if verdict is None:
                verdict = self._verdict(first)
            if verdict == _KEEP:
                append(_parse_piece(piece))
                continue
            if verdict == _SKIP:
                skipped += 1
                continue
            body = piece
            if verdict == _STRAY:
                body = piece.lstrip(b"\r\n")
                if not body:
                    continue
                first = body.partition(b"\r\n")[0]
                verdict = verdict_of(first)
                if verdict is None:
                    verdict = self._verdict(first)
                if verdict == _SKIP:
                    skipped += 1
                    continue
            if verdict == _LEGACY:
                self.skipped += skipped
                index = next(i for i, p in enumerate(pieces) if p is piece)
                return start + sum(map(len, pieces[:index])) + len(_SEP) * index
            message = _parse_piece(body)
            if type(message) is Event and not self.wants(message.name):
                skipped += 1
            else:
                append(message)
        self.skipped += skipped
        return stop

    def _feed_general(self, buf: bytes | bytearray, pos: int, out: list[Message]) -> int:
        """Frame with the full grammar (any mix of CRLF and bare LF, legacy command
        output) from ``pos``; returns where the incomplete rest begins."""
        size = len(buf)
        while pos < size:
            # Asterisk separates messages with one blank line; tolerate stray blank lines.
            if buf[pos] in (10, 13):
                pos += 1
                continue
            search_from = max(pos, self._searched)
            if buf.startswith(_FOLLOWS, pos):
                match = _END_COMMAND_BLOCK.search(buf, search_from)
                if match is None:
                    break
                self._check_message(match.end() - pos)
                out.append(parse_message(bytes(buf[pos : match.start() + len(END_COMMAND)])))
                pos = match.end()
                continue
            match = _BLANK_LINE.search(buf, search_from)
            if match is None:
                break
            self._check_message(match.end() - pos)
            raw = bytes(buf[pos : match.start()])
            pos = match.end()
            if raw.startswith(b"Event:"):
                first = raw.partition(b"\n")[0]
                if first.endswith(b"\r"):
                    first = first[:-1]
                verdict = self._verdicts.get(first)
                if verdict is None:
                    verdict = self._verdict(first)
                if verdict == _SKIP:
                    self.skipped += 1
                    continue
            message = parse_message(raw)
            if type(message) is Event and not self.wants(message.name):
                self.skipped += 1
            else:
                out.append(message)
        return pos

    def _verdict(self, first: bytes) -> int:
        """Classify a message by its first line, less the CR of its line break."""
        if not first or first[0] in (10, 13):
            verdict = _STRAY
        elif first.startswith(_FOLLOWS):
            verdict = _LEGACY
        elif first.startswith(b"Event:") and first[-1] != 13 and b"\n" not in first:
            name = first[6:].decode("utf-8", "replace")
            verdict = _KEEP if self.wants(name[1:] if name.startswith(" ") else name) else _SKIP
        else:
            # A response, garbage, an Event header further down, or a first line whose
            # end is odd (a CR left may be the message's or its line break's): parse the
            # whole message, then look at what it is.
            verdict = _CHECK
        if len(self._verdicts) >= _VERDICT_CACHE:
            self._verdicts.clear()  # a peer inventing names must not grow it forever
        self._verdicts[first] = verdict
        return verdict

    def _check_message(self, size: int) -> None:
        if size > self._max:
            self._fail(f"AMI message of {size} bytes exceeds {self._max}")

    def _check_size(self, size: int) -> None:
        if size > self._max:
            self._fail(f"incomplete AMI message exceeds {self._max} bytes")

    def _fail(self, reason: str) -> None:
        self._buffer.clear()
        self._searched = 0
        raise RemoteProtocolError(f"{reason}; the stream cannot be framed")


def _check_value(key: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise LocalProtocolError(f"AMI header {key!r} cannot carry a line break")


def encode_headers(pairs: Iterable[tuple[str, str]]) -> bytes:
    """Header pairs to one wire message (CRLF lines and a blank line). Anything AMI
    cannot carry (a line break, a colon in a name, text that is not valid Unicode such
    as a lone surrogate) raises :class:`LocalProtocolError` and nothing is encoded."""
    parts: list[str] = []
    for key, value in pairs:
        if not key or ":" in key or "\r" in key or "\n" in key:
            raise LocalProtocolError(f"invalid AMI header name {key!r}")
        _check_value(key, value)
        parts.append(f"{key}: {value}\r\n")
    parts.append("\r\n")
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        # A lone surrogate (from JSON "\ud800") has no UTF-8 form.
        raise LocalProtocolError(
            f"AMI action holds text that is not valid Unicode: {exc.reason}"
        ) from None


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
