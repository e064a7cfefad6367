"""The AMI codec on the bytes a real Asterisk 22 sent (every trace, every connection),
fed whole, byte by byte, in random chunks and in the reads recorded from the socket;
then the edges: bare LF, UTF-8 split across reads, legacy command output, the size
cap, the event filters, encoding refusals and an encode/parse round trip."""

from __future__ import annotations

import functools
import gzip
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.protocol import (
    AmiParser,
    Event,
    Garbage,
    Greeting,
    LocalProtocolError,
    Message,
    RemoteProtocolError,
    Response,
    encode_action,
    encode_greeting,
    encode_headers,
    parse_message,
)
from cti.ami.wanted import ENGINE_EVENTS
from tests.conftest import FIXTURES

AMI = FIXTURES / "ami"
TRACES = [
    "a_auth_md5_eventsoff",
    "a_auth_nouser",
    "a_auth_observer",
    "a_auth_wrongpw",
    "a_basic",
    "b2_agi_hangup",
    "b3_agi_errors",
    "b_ivr_redirect",
    "c_queue",
    "d_burst",
    "e_record_hangup",
    "f2_restart_live_call",
    "f_restart",
]
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


# -- the recorded traces ---------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """The bytes Asterisk sent on one TCP connection, and the sizes they were read in."""

    trace: str
    number: int
    data: bytes
    reads: tuple[int, ...]


def _maybe_gzip(name: str) -> bytes:
    path = AMI / name
    if path.exists():
        return path.read_bytes()
    return gzip.decompress((AMI / f"{name}.gz").read_bytes())


@functools.cache
def capture(trace: str) -> bytes:
    return _maybe_gzip(f"{trace}.rx.raw")


@functools.cache
def connections(trace: str) -> tuple[Connection, ...]:
    """Split a capture per connection with its idx.jsonl (reads carry conn/off/len)."""
    data = capture(trace)
    reads: dict[int, list[int]] = {}
    offset = 0
    with open(AMI / f"{trace}.idx.jsonl", encoding="utf-8") as idx:
        for line in idx:
            record = json.loads(line)
            if record.get("dir") != "rx":
                continue
            assert record["off"] == offset, "reads must tile the capture in order"
            reads.setdefault(record["conn"], []).append(record["len"])
            offset += record["len"]
    assert offset == len(data)
    out, start = [], 0
    for number, sizes in reads.items():
        out.append(Connection(trace, number, data[start : start + sum(sizes)], tuple(sizes)))
        start += sum(sizes)
    return tuple(out)


_SUMMARY_LINE = re.compile(r"^\s*[\d.]+  (Event|Response): (\S*)  ?(.*)$")
_SUMMARY_MARK = re.compile(r"^\s*[\d.]+  ## (\S+) (\{.*\})$")


@functools.cache
def summary(trace: str) -> dict[int, list[tuple[str, str, str]]]:
    """Per connection, the (kind, name or status, shown fields) of each summary line."""
    per_conn: dict[int, list[tuple[str, str, str]]] = {}
    conn = 0
    for line in _maybe_gzip(f"{trace}.summary.txt").decode("utf-8").splitlines():
        mark = _SUMMARY_MARK.match(line)
        if mark:
            if mark.group(1) == "connect":
                conn = json.loads(mark.group(2))["conn"]
            continue
        entry = _SUMMARY_LINE.match(line)
        assert entry, f"unexpected summary line {line!r}"
        kind, name, shown = entry.groups()
        per_conn.setdefault(conn, []).append((kind, name, shown))
    return per_conn


def all_connections() -> list[Connection]:
    return [conn for trace in TRACES for conn in connections(trace)]


def conn_id(conn: Connection) -> str:
    return f"{conn.trace}#{conn.number}"


def feed(parser: AmiParser, chunks: Iterable[bytes]) -> list[Message]:
    out: list[Message] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out


def split(data: bytes, sizes: Iterable[int]) -> Iterator[bytes]:
    """``data`` in chunks of the given sizes (the rest in one chunk, if they run out)."""
    pos = 0
    for size in sizes:
        if pos >= len(data):
            return
        yield data[pos : pos + size]
        pos += size
    if pos < len(data):
        yield data[pos:]


def bytewise(data: bytes) -> Iterator[bytes]:
    return (data[i : i + 1] for i in range(len(data)))


def random_chunks(data: bytes, seed: int, low: int, high: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    return split(data, iter(lambda: rng.randint(low, high), None))


def parse(chunks: Iterable[bytes], **options: object) -> list[Message]:
    return feed(AmiParser(**options), chunks)  # type: ignore[arg-type]


@functools.cache
def parsed(conn: Connection) -> tuple[Message, ...]:
    return tuple(parse([conn.data]))


def kind_and_name(message: Message) -> tuple[str, str]:
    if isinstance(message, Event):
        return ("Event", message.name)
    if isinstance(message, Response):
        return ("Response", message.status)
    return (type(message).__name__, "")


def test_trace_list_covers_every_capture() -> None:
    found = {p.name.split(".")[0] for p in AMI.glob("*.idx.jsonl")}
    assert found == set(TRACES)


@pytest.mark.parametrize("trace", TRACES)
def test_each_connection_starts_with_the_banner(trace: str) -> None:
    conns = connections(trace)
    expected = {"f_restart": [1, 4], "f2_restart_live_call": [1, 3]}.get(trace, [1])
    assert [c.number for c in conns] == expected
    for conn in conns:
        assert conn.data.startswith(BANNER)


@pytest.mark.parametrize("conn", all_connections(), ids=conn_id)
def test_messages_match_the_capture_summary(conn: Connection) -> None:
    greeting, *messages = parsed(conn)
    assert greeting == Greeting("Asterisk Call Manager/11.0.0")
    assert greeting.version == "11.0.0"
    expected = summary(conn.trace).get(conn.number, [])
    assert [kind_and_name(m) for m in messages] == [(k, n) for k, n, _ in expected]
    for message, (kind, _, shown) in zip(messages, expected, strict=True):
        assert isinstance(message, Event | Response)
        # The summary shows some fields as Key=value; each must be what we parsed.
        if not shown:
            continue
        keys = sorted(set(message.fields) - {kind}, key=len, reverse=True)
        pairs = list(re.finditer(r"(?:^| )(" + "|".join(map(re.escape, keys)) + ")=", shown))
        assert pairs and pairs[0].start() == 0, shown
        ends = [pair.start() for pair in pairs[1:]] + [len(shown)]
        for pair, end in zip(pairs, ends, strict=True):
            assert shown[pair.end() : end] in message.values(pair.group(1)), shown


@pytest.mark.parametrize("conn", all_connections(), ids=conn_id)
def test_every_way_of_cutting_the_stream_gives_the_same_messages(conn: Connection) -> None:
    whole = list(parsed(conn))
    assert parse(bytewise(conn.data)) == whole
    assert parse(split(conn.data, conn.reads)) == whole
    for seed, low, high in [(1, 1, 16), (2, 1, 700), (3, 200, 70_000)]:
        assert parse(random_chunks(conn.data, seed, low, high)) == whole, seed


@pytest.mark.parametrize("conn", all_connections(), ids=conn_id)
def test_engine_filter_keeps_exactly_the_wanted_events(conn: Connection) -> None:
    whole = parsed(conn)
    wanted = [m for m in whole if not isinstance(m, Event) or m.name in ENGINE_EVENTS]
    dropped = len(whole) - len(wanted)
    for chunks in (
        [conn.data],
        split(conn.data, conn.reads),
        random_chunks(conn.data, 4, 1, 64),
        random_chunks(conn.data, 5, 1000, 9000),
    ):
        parser = AmiParser(only_events=ENGINE_EVENTS)
        assert feed(parser, chunks) == wanted
        assert parser.skipped == dropped
    noisy = {"VarSet", "Newexten", "DeviceStateChange"}
    parser = AmiParser(skip_events=noisy)
    kept = feed(parser, split(conn.data, conn.reads))
    assert kept == [m for m in whole if not isinstance(m, Event) or m.name not in noisy]
    assert parser.skipped == len(whole) - len(kept)


def test_burst_event_counts_match_the_recorded_statistics() -> None:
    stats = json.loads((AMI / "d_burst.stats.json").read_text("utf-8"))
    marks = {}
    with open(AMI / "d_burst.idx.jsonl", encoding="utf-8") as idx:
        for line in idx:
            record = json.loads(line)
            if record.get("mark") in ("burst-start", "burst-end"):
                marks[record["mark"]] = record["rx_off"]
    burst = capture("d_burst")[marks["burst-start"] : marks["burst-end"]]
    events = [m for m in parse([burst], expect_greeting=False) if isinstance(m, Event)]
    assert len(events) == stats["events_total"] == 7295
    assert Counter(e.name for e in events) == Counter(stats["by_event"])


def _find(trace: str, action_id: str, name: str | None = None) -> Event | Response:
    for message in parsed(connections(trace)[0]):
        if isinstance(message, Event | Response) and message.action_id == action_id:
            if name is None or (isinstance(message, Event) and message.name == name):
                return message
    raise AssertionError(f"no {name or 'response'} with ActionID {action_id}")


def test_queue_member_list_event_fields() -> None:
    member = _find("a_basic", "queuestatus-18", "QueueMember")
    assert isinstance(member, Event)
    assert member["Name"] == "Agent 1001"
    assert member["Location"] == "Local/1001@agents"
    assert (member.get("Paused"), member.get("PausedReason")) == ("1", "setup")
    assert member.get("MemberName", "absent") == "absent"  # that name is QueueMemberStatus'


def test_status_with_all_variables_keeps_repeated_headers_in_order() -> None:
    status = _find("a_basic", "status-22", "Status")
    assert isinstance(status, Event)
    assert status["Privilege"] == "Call"
    assert status["Data"] == "support,,,,300"
    assert status.values("Variable") == (
        "QUEUEWAIT_MS=",
        "QUEUEWAIT=",
        "DIALEDTIME_MS=",
        "DIALEDTIME=",
        "ANSWEREDTIME_MS=",
        "ANSWEREDTIME=",
        "CALLER_WAIT=30",
    )
    assert status["Variable"] == "QUEUEWAIT_MS="  # fields keeps the first
    assert status.values("Channel") == ("Local/s@queue-entry-00000000;2",)
    assert status.values("NoSuchHeader") == ()


def test_core_settings_and_other_responses() -> None:
    settings_ = _find("a_basic", "coresettings-3")
    assert isinstance(settings_, Response) and settings_.ok
    assert settings_["AMIversion"] == "11.0.0"
    assert settings_["AsteriskVersion"] == "22.10.1"
    assert settings_["CoreMaxCalls"] == "500"
    assert settings_["SystemName"] == ""
    command = _find("a_basic", "command-10")
    assert isinstance(command, Response) and command.message == "Command output follows"
    assert command.output == (
        "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-24 05:22:43 UTC",
    )
    unknown = _find("a_basic", "nosuchaction-9")
    assert isinstance(unknown, Response) and not unknown.ok
    assert unknown.message.startswith("Invalid/unknown command: NoSuchAction.")
    unset = _find("a_basic", "getvar-11")
    assert isinstance(unset, Response) and unset.ok and unset["Value"] == ""
    listing = _find("a_basic", "coreshowchannels-5")
    assert isinstance(listing, Response) and listing.starts_list


# -- framing edges ---------------------------------------------------------------------


@pytest.mark.parametrize("trace", ["a_basic", "c_queue", "e_record_hangup"])
def test_bare_lf_framing_gives_the_same_messages(trace: str) -> None:
    crlf = connections(trace)[0].data
    expected = list(parse([crlf]))
    lf = crlf.replace(b"\r\n", b"\n")
    assert parse([lf]) == expected
    assert parse(bytewise(lf)) == expected
    assert parse(random_chunks(lf, 7, 1, 500)) == expected
    # Both conventions in one stream, switching message by message.
    mixed = b"".join(
        m.replace(b"\r\n", b"\n") + b"\n\n" if i % 2 else m + b"\r\n\r\n"
        for i, m in enumerate(crlf.split(b"\r\n\r\n"))
        if m
    )
    assert parse(random_chunks(mixed, 8, 1, 3000)) == expected
    engine = [m for m in expected if not isinstance(m, Event) or m.name in ENGINE_EVENTS]
    assert parse(random_chunks(mixed, 9, 1, 3000), only_events=ENGINE_EVENTS) == engine


def test_stray_blank_lines_between_messages_are_ignored() -> None:
    data = b"\r\n\r\nEvent: A\r\nX: 1\r\n\r\n\r\n\r\n\nResponse: Success\r\n\r\n\r\n"
    for chunks in ([data], bytewise(data)):
        assert parse(chunks, expect_greeting=False) == [
            Event("A", {"Event": "A", "X": "1"}),
            Response("Success", {"Response": "Success"}),
        ]


CHINESE_CALLER = (
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: Local/s@ivr-entry-00000009;2\r\n"
    "CallerIDNum: 13800138000\r\nCallerIDName: 张三丰\r\nUniqueid: 1795498600.12\r\n\r\n"
).encode()


def test_chinese_caller_name_split_inside_a_character_survives() -> None:
    middle = CHINESE_CALLER.index("张".encode()) + 1  # inside the first character
    assert CHINESE_CALLER[middle] & 0xC0 == 0x80  # a UTF-8 continuation byte
    for options in ({}, {"only_events": ENGINE_EVENTS}):
        for cut in range(1, len(CHINESE_CALLER)):
            chunks = [CHINESE_CALLER[:cut], CHINESE_CALLER[cut:]]
            (event,) = parse(chunks, expect_greeting=False, **options)
            assert isinstance(event, Event) and event["CallerIDName"] == "张三丰", cut
        (event,) = parse(bytewise(CHINESE_CALLER), expect_greeting=False, **options)
        assert isinstance(event, Event) and event["CallerIDName"] == "张三丰"


def test_invalid_utf8_is_replaced_not_raised() -> None:
    (event,) = parse([b"Event: A\r\nName: \xe5\x8c\r\n\r\n"], expect_greeting=False)
    assert isinstance(event, Event) and event["Name"] == "\ufffd"


LEGACY = (
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-7\r\n"
    b"Channel              Location             State   Application(Data)\n"
    b"System uptime: 5 minutes\n"
    b"\n"
    b"1 active channel\n"
    b"--END COMMAND--\r\n\r\n"
    b"Event: Hangup\r\nChannel: Local/1001@agents-00000001;1\r\nCause: 16\r\n\r\n"
)


def test_legacy_command_output_block() -> None:
    expected = [
        Response(
            "Follows",
            {"Response": "Follows", "Privilege": "Command", "ActionID": "cmd-7"},
            output=(
                "Channel              Location             State   Application(Data)",
                "System uptime: 5 minutes",
                "",
                "1 active channel",
            ),
        ),
        Event(
            "Hangup",
            {"Event": "Hangup", "Channel": "Local/1001@agents-00000001;1", "Cause": "16"},
        ),
    ]
    for chunks in ([LEGACY], list(bytewise(LEGACY)), list(random_chunks(LEGACY, 3, 1, 40))):
        assert parse(chunks, expect_greeting=False) == expected
        assert parse(chunks, expect_greeting=False, only_events={"Hangup"}) == expected
    reply = expected[0]
    assert isinstance(reply, Response) and reply.ok and reply.action_id == "cmd-7"


def test_legacy_output_from_a_bare_lf_peer_and_without_a_last_newline() -> None:
    data = b"Response: Follows\nActionID: 2\nline one\nline two--END COMMAND--\n\n"
    (reply,) = parse([data], expect_greeting=False)
    assert isinstance(reply, Response)
    assert reply.output == ("line one", "line two")
    assert reply.action_id == "2"


def test_modern_output_headers_become_output_lines() -> None:
    data = (
        b"Response: Success\r\nActionID: c1\r\nMessage: Command output follows\r\n"
        b"Output: Name/username             Host\r\nOutput: 1001/1001   (Unspecified)\r\n"
        b"Output: 2 sip peers\r\n\r\n"
    )
    (reply,) = parse([data], expect_greeting=False)
    assert isinstance(reply, Response)
    assert reply.output == (
        "Name/username             Host",
        "1001/1001   (Unspecified)",
        "2 sip peers",
    )
    assert reply["Output"] == "Name/username             Host"


def test_message_without_event_or_response_is_kept_as_garbage() -> None:
    data = b"Action: Ping\r\nActionID: 9\r\n\r\nEvent: A\r\n\r\n"
    garbage, event = parse([data], expect_greeting=False)
    assert isinstance(garbage, Garbage) and garbage.raw == b"Action: Ping\r\nActionID: 9"
    assert event == Event("A", {"Event": "A"})


def test_a_missing_banner_is_reported_and_the_stream_goes_on() -> None:
    first, event = parse([b"HTTP/1.1 400 Bad Request\r\nEvent: A\r\n\r\n"])
    assert isinstance(first, Garbage) and "banner" in first.reason
    assert event == Event("A", {"Event": "A"})


def test_greeting_then_messages_in_one_read() -> None:
    data = encode_greeting("11.0.0") + b"Response: Success\r\nActionID: 1\r\n\r\n"
    greeting, reply = parse([data])
    assert isinstance(greeting, Greeting) and greeting.version == "11.0.0"
    assert isinstance(reply, Response) and reply.action_id == "1"


# -- size cap --------------------------------------------------------------------------


def _message_of(size: int, eol: bytes = b"\r\n") -> bytes:
    """An event taking exactly ``size`` bytes on the wire, its blank line included."""
    head = b"Event: Big" + eol + b"Data: "
    return head + b"x" * (size - len(head) - 2 * len(eol)) + eol + eol


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("cut", ["whole", "bytewise", "chunks"])
def test_message_at_the_cap_parses_and_one_byte_more_raises(cut: str, eol: bytes) -> None:
    cap = 4096

    def chunks(data: bytes) -> Iterable[bytes]:
        if cut == "whole":
            return [data]
        return bytewise(data) if cut == "bytewise" else random_chunks(data, 1, 1, 900)

    ok = _message_of(cap, eol) + b"Event: Next" + eol + eol
    parser = AmiParser(expect_greeting=False, max_message_size=cap)
    messages = feed(parser, chunks(ok))
    assert [m.name for m in messages if isinstance(m, Event)] == ["Big", "Next"]
    big = messages[0]
    assert isinstance(big, Event) and len(big["Data"]) == cap - 16 - 3 * len(eol)

    parser = AmiParser(expect_greeting=False, max_message_size=cap)
    with pytest.raises(RemoteProtocolError):
        for chunk in chunks(b"Event: Small" + eol + eol + _message_of(cap + 1, eol)):
            parser.feed(chunk)
            assert parser.buffered <= cap
    assert parser.buffered == 0


def test_incomplete_message_over_the_cap_raises() -> None:
    parser = AmiParser(expect_greeting=False, max_message_size=1000)
    parser.feed(b"Event: Endless\r\n" + b"Key: value\r\n" * 80)
    assert parser.buffered <= 1000
    with pytest.raises(RemoteProtocolError, match="exceeds 1000"):
        parser.feed(b"Key: value\r\n" * 10)


def test_banner_longer_than_the_cap_raises() -> None:
    parser = AmiParser(max_message_size=64)
    with pytest.raises(RemoteProtocolError):
        parser.feed(b"A" * 65)


# -- event filters ---------------------------------------------------------------------

FILTER_STREAM = (
    b"Event: VarSet\r\nVariable: X\r\nValue: 1\r\n\r\n"
    b"Event: Hangup\r\nCause: 16\r\n\r\n"
    b"Response: Success\r\nActionID: 1\r\n\r\n"
    b"Privilege: call,all\r\nEvent: VarSet\r\n\r\n"  # the Event header is not first
    b"Event: QueueMember\r\nActionID: 2\r\nName: A\r\n\r\n"
    b"Event:Hangup\r\nCause: 17\r\n\r\n"  # no space after the colon
)


@pytest.mark.parametrize("chunked", [False, True])
def test_only_events_keeps_listed_events_and_every_response(chunked: bool) -> None:
    parser = AmiParser(expect_greeting=False, only_events=["Hangup", "QueueMember"])
    chunks = bytewise(FILTER_STREAM) if chunked else [FILTER_STREAM]
    assert [kind_and_name(m) for m in feed(parser, chunks)] == [
        ("Event", "Hangup"),
        ("Response", "Success"),
        ("Event", "QueueMember"),
        ("Event", "Hangup"),
    ]
    assert parser.skipped == 2
    assert parser.wants("Hangup") and not parser.wants("VarSet")


def test_skip_events_drops_the_named_ones_and_wins_over_only_events() -> None:
    parser = AmiParser(expect_greeting=False, skip_events=["VarSet"])
    assert [kind_and_name(m) for m in parser.feed(FILTER_STREAM)] == [
        ("Event", "Hangup"),
        ("Response", "Success"),
        ("Event", "QueueMember"),
        ("Event", "Hangup"),
    ]
    assert parser.skipped == 2
    both = AmiParser(expect_greeting=False, only_events=["Hangup"], skip_events=["Hangup"])
    assert [kind_and_name(m) for m in both.feed(FILTER_STREAM)] == [("Response", "Success")]
    assert both.skipped == 5


def test_a_peer_inventing_event_names_does_not_break_the_filter() -> None:
    names = [f"Made{i}" for i in range(3000)]
    data = b"".join(f"Event: {name}\r\nN: 1\r\n\r\n".encode() for name in names)
    parser = AmiParser(expect_greeting=False, only_events=names[::7])
    for chunk in random_chunks(data, 6, 1, 5000):
        parser.feed(chunk)
    data += b"Event: Made7\r\n\r\n"
    kept = [m.name for m in parse([data], expect_greeting=False, only_events=names[::7])]
    assert kept == [*names[::7], "Made7"]
    assert parser.skipped == len(names) - len(names[::7])


def test_parse_message_is_the_same_parser() -> None:
    assert parse_message(b"Event: A\r\nB: c\r\nB: d") == Event(
        "A", {"Event": "A", "B": "c"}, {"B": ("c", "d")}
    )


# -- encoding --------------------------------------------------------------------------


def test_encode_action_puts_action_and_id_first_and_repeats_sequences() -> None:
    data = encode_action(
        "Originate",
        "orig-1",
        {"Channel": "Local/s@ivr-entry", "Variable": ["A=1", "B=张"], "Timeout": 30000},
    )
    assert (
        data
        == (
            "Action: Originate\r\nActionID: orig-1\r\nChannel: Local/s@ivr-entry\r\n"
            "Variable: A=1\r\nVariable: B=张\r\nTimeout: 30000\r\n\r\n"
        ).encode()
    )


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "x\r\nAction: Hangup", "end\r\n"])
def test_encode_refuses_line_breaks_in_values(value: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_action("Setvar", "s-1", {"Value": value})
    with pytest.raises(LocalProtocolError):
        encode_action("Ping", value)
    with pytest.raises(LocalProtocolError):
        encode_action("Ping", "p-1", {"Variable": ["ok", value]})


@pytest.mark.parametrize("key", ["", "Bad:Key", "Bad\rKey", "Bad\nKey"])
def test_encode_refuses_bad_header_names(key: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_headers([(key, "v")])
    with pytest.raises(LocalProtocolError):
        encode_action("Ping", "p-1", {key: "v"})


_KEY = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=":\r\n"), min_size=1
)
_VALUE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"))


@settings(max_examples=300, deadline=None)
@given(
    name=_VALUE,
    pairs=st.lists(st.tuples(st.sampled_from(["Channel", "Variable", "Output"]) | _KEY, _VALUE)),
    as_response=st.booleans(),
    data=st.data(),
)
def test_encode_then_parse_round_trip(
    name: str, pairs: list[tuple[str, str]], as_response: bool, data: st.DataObject
) -> None:
    if as_response:
        if name.startswith("Follows"):
            name = "Success"  # "Follows" opens a legacy block, framed by --END COMMAND--
        pairs = [(key, value) for key, value in pairs if key != "Event"]
    head = ("Response" if as_response else "Event", name)
    wire = encode_headers([head, *pairs])
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=4)))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    (message,) = parse(chunks, expect_greeting=False)

    values: dict[str, list[str]] = {}
    for key, value in [head, *pairs]:
        values.setdefault(key, []).append(value)
    assert isinstance(message, Response if as_response else Event)
    assert dict(message.fields) == {key: found[0] for key, found in values.items()}
    assert {k: list(v) for k, v in message.multi.items()} == {
        key: found for key, found in values.items() if len(found) > 1
    }
    for key, found in values.items():
        assert message.values(key) == tuple(found)
    if isinstance(message, Response):
        assert message.status == name
        assert message.output == tuple(values.get("Output", ()))
    else:
        assert message.name == name
