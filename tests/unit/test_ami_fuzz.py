"""Fuzzing the AMI codec with real trace messages, mutated: bit flips, cuts, duplicated
and spliced stretches, random bytes, huge lines, lost blank lines, bare LF, odd tokens,
all fed in random chunks. The codec may only raise RemoteProtocolError, must keep its
buffer under the cap, and must give the messages an independent reference parser gives
(a plain regex framer with the grammar written out line by line)."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.protocol import (
    AmiParser,
    Event,
    Garbage,
    Greeting,
    Message,
    RemoteProtocolError,
    Response,
)
from cti.ami.wanted import ENGINE_EVENTS
from tests.unit.test_ami_protocol import capture, connections

CAP = 4096
INPUTS = 100_000
BIG_CAP = 1 << 20

# -- the reference: the grammar, written for clarity rather than speed ------------------

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_END_BLOCK = re.compile(rb"--END COMMAND--\r?\n\r?\n")


def reference_message(raw: bytes) -> Event | Response | Garbage:
    lines = raw.decode("utf-8", "replace").split("\n")
    head, output = lines, None
    if lines[0].startswith("Response: Follows") and lines[0].endswith("\r"):
        # Legacy command output: headers end in CRLF, CLI output lines in a bare LF.
        n = 1
        while n < len(lines) and lines[n].endswith("\r") and ":" in lines[n]:
            n += 1
        head, output = lines[:n], [line.removesuffix("\r") for line in lines[n:]]
    fields: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    loose: list[str] = []
    for line in head:
        key, colon, value = line.removesuffix("\r").partition(":")
        if not colon:
            if key:
                loose.append(key)
            continue
        fields.setdefault(key, value.removeprefix(" "))
        every.setdefault(key, []).append(value.removeprefix(" "))
    multi = {key: tuple(values) for key, values in every.items() if len(values) > 1}
    if "Event" in fields:
        return Event(fields["Event"], fields, multi)
    if "Response" not in fields:
        return Garbage(raw, "message has neither an Event nor a Response header")
    lines_out: tuple[str, ...] = ()
    if "Output" in fields:
        lines_out = tuple(every["Output"])
    elif fields["Response"] == "Follows":
        body = loose if output is None else output
        if body and body[-1].endswith("--END COMMAND--"):
            body[-1] = body[-1].removesuffix("--END COMMAND--")
            if not body[-1]:
                body.pop()
        lines_out = tuple(body)
    return Response(fields["Response"], fields, multi, lines_out)


def reference(
    data: bytes, *, greeting: bool, only: frozenset[str] | None, skip: frozenset[str]
) -> tuple[list[Message], int]:
    """Every complete message in ``data``, filtered, and how many events were dropped."""
    out: list[Message] = []
    pos = 0
    if greeting:
        nl = data.find(b"\n")
        if nl < 0:
            return out, 0
        line = data[:nl].rstrip(b"\r")
        if line.startswith(b"Asterisk Call Manager/"):
            out.append(Greeting(line.decode("utf-8", "replace")))
        else:
            out.append(Garbage(line, "expected the 'Asterisk Call Manager/' banner"))
        pos = nl + 1
    dropped = 0
    while True:
        while pos < len(data) and data[pos] in b"\r\n":
            pos += 1
        if data.startswith(b"Response: Follows", pos):
            end = _END_BLOCK.search(data, pos)
            if end is None:
                break
            raw, pos = data[pos : end.start() + len(b"--END COMMAND--")], end.end()
        else:
            end = _BLANK_LINE.search(data, pos)
            if end is None:
                break
            raw, pos = data[pos : end.start()], end.end()
        message = reference_message(raw)
        if isinstance(message, Event) and (
            message.name in skip or (only is not None and message.name not in only)
        ):
            dropped += 1
        else:
            out.append(message)
    return out, dropped


# -- inputs ------------------------------------------------------------------------------


# Asterisk 22 answers commands with Output: headers; older ones sent these blocks.
LEGACY_BLOCKS = [
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
    b"Channel              Location             State   Application(Data)\n"
    b"System uptime: 5 minutes\n\n1 active channel\n--END COMMAND--\r\n\r\n",
    b"Response: Follows\r\nActionID: c2\r\nNo such command\n--END COMMAND--\r\n\r\n",
    b"Response: Follows\r\nActionID: c3\r\n--END COMMAND--\r\n\r\n",
    b"Response: Follows\nActionID: c4\nline one\nline two--END COMMAND--\n\n",
]


@functools.cache
def corpus() -> list[bytes]:
    """Distinct messages (with their blank line) from the traces, and legacy blocks."""
    data = b"".join(c.data for t in ("a_basic", "c_queue", "b3_agi_errors") for c in connections(t))
    data += capture("f2_restart_live_call") + capture("d_burst")[:300_000]
    found = sorted({m + b"\r\n\r\n" for m in data.split(b"\r\n\r\n") if m})
    return found + LEGACY_BLOCKS * (len(found) // 200)


TOKENS = [
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b"\n\n",
    b"\n\r\n",
    b"\r\r\n",
    b":",
    b": ",
    b" ",
    b"Event: ",
    b"Event:Hangup\r\n",
    b"Event: VarSet\r\n",
    b"Response: Follows\r\n",
    b"Response: Success\r\n",
    b"--END COMMAND--",
    b"--END COMMAND--\r\n\r\n",
    b"Output: x\r\n",
    b"Asterisk Call Manager/11.0.0\r\n",
    "张三丰".encode(),
    "张".encode()[:2],
    b"\xff\xfe",
    b"\x00",
]
FILTERS: list[tuple[frozenset[str] | None, frozenset[str]]] = [
    (None, frozenset()),
    (ENGINE_EVENTS, frozenset()),
    (frozenset({"Hangup", "Newchannel", "QueueMember", "Status"}), frozenset()),
    (None, frozenset({"VarSet", "Newexten", "Hangup"})),
]


def mutate(rng: random.Random, data: bytearray, messages: list[bytes]) -> None:
    op = rng.randrange(10)
    at = rng.randint(0, len(data))
    if op == 0 and data:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == 1:
        del data[at:]  # truncation
    elif op == 2:
        end = min(len(data), at + rng.randint(1, 300))
        data[at:at] = data[at:end]  # duplication
    elif op == 3:
        other = rng.choice(messages)
        start = rng.randrange(len(other))
        data[at:at] = other[start : start + rng.randint(1, 400)]  # splice
    elif op == 4:
        data[at:at] = rng.randbytes(rng.randint(1, 16))
    elif op == 5:
        data[at:at] = b"X-Huge: " + b"y" * rng.choice([100, 1000, CAP - 20, CAP, 3 * CAP])
    elif op == 6:
        data[:] = data.replace(b"\r\n\r\n", b"\r\n", rng.randint(1, 3))  # lost blank line
    elif op == 7 and rng.random() < 0.5:
        extra = rng.choice([b"\r\n", b"\r", b"\n", b"\r\n\r\n"])  # stray blank lines
        data[:] = data.replace(b"\r\n\r\n", b"\r\n\r\n" + extra, rng.randint(1, 4))
    elif op == 7:
        data[:] = data.replace(b"\r\n", b"\n", rng.randint(1, 40))  # bare LF
    elif op == 8:
        del data[at : at + rng.randint(1, 40)]
    else:
        data[at:at] = rng.choice(TOKENS)


def make_input(rng: random.Random, messages: list[bytes]) -> bytes:
    if rng.random() < 0.03:
        return rng.randbytes(rng.randint(0, 3000))
    data = bytearray()
    if rng.random() < 0.3:
        data += b"Asterisk Call Manager/11.0.0\r\n"
    for _ in range(rng.randint(1, 6)):
        data += rng.choice(messages)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
        mutate(rng, data, messages)
    return bytes(data)


def chunks(rng: random.Random, data: bytes) -> Iterator[bytes]:
    """Random cuts: short inputs byte by byte or in chunks of up to 32 bytes, longer ones
    in chunks of up to 256, 1024 or 4096 bytes (fine cuts of long inputs cost time and
    find nothing new: every cut is inside some short input too)."""
    if len(data) < 700:
        high = 1 if rng.random() < 0.1 else 32
    else:
        high = rng.choice([256, 1024, 4096])
    pos, random_ = 0, rng.random
    while pos < len(data):
        size = 1 + int(random_() * high)
        yield data[pos : pos + size]
        pos += size


def feed_checked(parser: AmiParser, pieces: Iterator[bytes], cap: int) -> list[Message]:
    """Feed every piece; only RemoteProtocolError may escape, and the buffer stays under
    the cap after every feed (after an error, it is empty)."""
    out: list[Message] = []
    try:
        for piece in pieces:
            got = parser.feed(piece)
            assert parser.buffered <= cap
            assert all(isinstance(m, Greeting | Event | Response | Garbage) for m in got)
            out += got
    except RemoteProtocolError:
        assert parser.buffered == 0
        raise
    return out


# -- the tests ---------------------------------------------------------------------------


def test_100k_mutated_inputs() -> None:
    rng = random.Random(20261124)
    messages = corpus()
    inputs = errors = compared = 0
    for inputs in range(1, INPUTS + 1):
        data = make_input(rng, messages)
        greeting = rng.random() < 0.5
        only, skip = rng.choice(FILTERS)
        parser = AmiParser(
            expect_greeting=greeting, max_message_size=CAP, only_events=only, skip_events=skip
        )
        try:
            feed_checked(parser, chunks(rng, data), CAP)
        except RemoteProtocolError:
            errors += 1
        if inputs % 3 == 0:
            # Without the cap in the way, the same bytes cut differently must give
            # exactly what the reference gives.
            parser = AmiParser(
                expect_greeting=greeting,
                max_message_size=BIG_CAP,
                only_events=only,
                skip_events=skip,
            )
            got = feed_checked(parser, chunks(rng, data), BIG_CAP)
            expected, dropped = reference(data, greeting=greeting, only=only, skip=skip)
            assert got == expected, data
            assert parser.skipped == dropped
            compared += 1
    assert inputs >= 100_000
    assert compared >= 33_000
    # The mix reaches the cap often, but most inputs must get past it.
    assert 0.02 * inputs < errors < 0.5 * inputs


@settings(max_examples=400, deadline=None)
@given(
    data=st.binary(max_size=600)
    | st.lists(st.sampled_from(TOKENS) | st.binary(max_size=12), max_size=40).map(b"".join),
    cuts=st.lists(st.integers(0, 600), max_size=6),
    greeting=st.booleans(),
    filters=st.sampled_from(FILTERS),
)
def test_arbitrary_bytes_match_the_reference(
    data: bytes,
    cuts: list[int],
    greeting: bool,
    filters: tuple[frozenset[str] | None, frozenset[str]],
) -> None:
    only, skip = filters
    bounds = sorted(c for c in cuts if c <= len(data))
    pieces = iter([data[a:b] for a, b in zip([0, *bounds], [*bounds, len(data)], strict=True)])
    parser = AmiParser(expect_greeting=greeting, only_events=only, skip_events=skip)
    got = feed_checked(parser, pieces, BIG_CAP)
    assert (got, parser.skipped) == reference(data, greeting=greeting, only=only, skip=skip)

    small = AmiParser(expect_greeting=greeting, max_message_size=64)
    try:
        feed_checked(small, iter([data[i : i + 5] for i in range(0, len(data), 5)]), 64)
    except RemoteProtocolError:
        pass
