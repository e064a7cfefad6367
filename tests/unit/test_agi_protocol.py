"""The FastAGI codec against the recorded Asterisk 22 sessions, and its edges."""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from panoramisk.utils import parse_agi_result

from cti.agi import commands as c
from cti.agi.commands import MAX_COMMAND_SIZE, AgiCommand, Quoted, encode_command
from cti.agi.protocol import (
    AgiConnection,
    AgiEnvironment,
    AgiReply,
    ConnectionClosed,
    Event,
    HangupNotice,
    LocalProtocolError,
    NeedData,
    RemoteProtocolError,
    parse_reply_line,
)
from tests.conftest import FIXTURES

SESSIONS = ("b_ivr", "b2_agi_hangup", "b3_agi_errors")


# ------------------------------------------------------------- the recorded sessions


@dataclass
class Exchange:
    command: bytes  # one TX line, as sent
    rx: bytes = b""  # everything received until the next command
    expected: list[str] = field(default_factory=list)  # "HANGUP" or a "# ->" reply


@dataclass
class Session:
    name: str
    env_bytes: bytes
    env: dict[str, str]
    exchanges: list[Exchange]
    rx_raw: bytes
    tx_raw: bytes


def load_session(name: str, fixtures: Path = FIXTURES) -> Session:
    """Split a transcript into the environment and one exchange per command."""
    env_bytes = b""
    exchanges: list[Exchange] = []
    for line in (fixtures / "agi" / f"{name}.transcript").read_text().splitlines():
        if line.startswith("# -> "):
            exchanges[-1].expected.append(line[len("# -> ") :])
        elif line.startswith("# out-of-band HANGUP"):
            exchanges[-1].expected.append("HANGUP")
        elif line.startswith("#") or " -- " in line:
            continue
        else:
            _, direction, literal = line.split(" ", 2)
            data = ast.literal_eval(literal)
            if direction == "TX":
                exchanges.append(Exchange(command=data))
            elif exchanges:
                exchanges[-1].rx += data
            else:
                env_bytes += data
    env = {}
    for raw in env_bytes.decode().splitlines():
        if raw:
            key, _, value = raw.partition(": ")
            env[key] = value
    return Session(
        name=name,
        env_bytes=env_bytes,
        env=env,
        exchanges=exchanges,
        rx_raw=(fixtures / "agi" / f"{name}.rx.raw").read_bytes(),
        tx_raw=(fixtures / "agi" / f"{name}.tx.raw").read_bytes(),
    )


_IVR_SCRIPT = (
    c.answer(),
    c.verbose("lab IVR started", 1),
    c.stream_file("silence/1"),
    c.get_data("silence/1", 6000, 1),
    c.wait_for_digit(6000),
    c.get_data("silence/1", 1500, 4),
)
_IVR_TAIL = (
    c.get_variable("IVR_CHOICE"),
    c.get_full_variable("${CHANNEL}-${UNIQUEID}"),
    c.channel_status(),
    c.verbose("lab IVR done", 1),
)
# The commands each recorded script sent, rebuilt with our builders.
SCRIPTS: dict[str, tuple[AgiCommand, ...]] = {
    "b_ivr": (*_IVR_SCRIPT, c.set_variable("IVR_CHOICE", "1"), *_IVR_TAIL),
    "b2_agi_hangup": (*_IVR_SCRIPT, c.set_variable("IVR_CHOICE", "-1"), *_IVR_TAIL),
    "b3_agi_errors": (
        c.answer(),
        c.stream_file("no-such-prompt"),
        c.stream_file("silence/1", escape="#"),
        c.get_data("no-such-prompt", 1500, 4),
        c.get_variable("NO_SUCH_VAR"),
        AgiCommand(("NO SUCH COMMAND",)),
        AgiCommand(("GET DATA",)),
        c.exec_app("Playback", "no-such-prompt"),
        c.exec_app("NoSuchApp", "foo"),
        c.set_variable("IVR_CHOICE", "error-path"),
    ),
}


def describe(event: Event) -> str:
    """An event in the words of the transcript's comments."""
    if isinstance(event, HangupNotice):
        return "HANGUP"
    assert isinstance(event, AgiReply), event
    return " | ".join(event.lines)


def drive(name: str, chunks: Iterable[bytes]) -> tuple[list[Event], bytes]:
    """Feed Asterisk's bytes in the given chunks, sending the script once the
    environment is in; return every event and the bytes sent."""
    conn = AgiConnection()
    events: list[Event] = []
    sent = b""
    for chunk in filter(None, chunks):  # b"" would mean end of stream
        conn.receive_data(chunk)
        while not isinstance(event := conn.next_event(), NeedData):
            events.append(event)
            if isinstance(event, AgiEnvironment):
                for command in SCRIPTS[name]:
                    sent += conn.send(command)
    conn.receive_data(b"")
    closed = conn.next_event()
    assert isinstance(closed, ConnectionClosed)
    events.append(closed)
    assert conn.pending == 0
    return events, sent


def random_chunks(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out, pos = [], 0
    while pos < len(data):
        size = rng.randint(1, 64)
        out.append(data[pos : pos + size])
        pos += size
    return out


@pytest.fixture(params=SESSIONS)
def session(request: pytest.FixtureRequest, fixtures_dir: Path) -> Session:
    return load_session(request.param, fixtures_dir)


def test_transcript_split_covers_the_raw_bytes(session: Session) -> None:
    rx = session.env_bytes + b"".join(x.rx for x in session.exchanges)
    assert rx == session.rx_raw
    assert b"".join(x.command for x in session.exchanges) == session.tx_raw


def check_replay(session: Session, events: list[Event], sent: bytes) -> None:
    env, *middle, last = events
    assert isinstance(env, AgiEnvironment)
    assert dict(env) == session.env
    assert [describe(e) for e in middle] == [text for x in session.exchanges for text in x.expected]
    assert last == ConnectionClosed()
    assert sent == session.tx_raw


def test_replay_whole(session: Session) -> None:
    check_replay(session, *drive(session.name, [session.rx_raw]))


def test_replay_byte_by_byte(session: Session) -> None:
    raw = session.rx_raw
    check_replay(session, *drive(session.name, [raw[i : i + 1] for i in range(len(raw))]))


@pytest.mark.parametrize("seed", range(20))
def test_replay_random_chunks(session: Session, seed: int) -> None:
    check_replay(session, *drive(session.name, random_chunks(session.rx_raw, seed)))


def test_replay_split_at_every_offset(session: Session) -> None:
    raw = session.rx_raw
    for cut in range(len(raw) + 1):
        check_replay(session, *drive(session.name, [raw[:cut], raw[cut:]]))


def test_each_command_encodes_to_the_recorded_line(session: Session) -> None:
    script = SCRIPTS[session.name]
    assert [command.encode() for command in script] == [x.command for x in session.exchanges]


def replies(name: str) -> list[AgiReply]:
    events, _ = drive(name, [load_session(name).rx_raw])
    return [e for e in events if isinstance(e, AgiReply)]


def test_ivr_session_reads_as_an_ivr_would() -> None:
    events, _ = drive("b_ivr", [load_session("b_ivr").rx_raw])
    env = events[0]
    assert isinstance(env, AgiEnvironment)
    assert env.route == env.network_script == "ivr"
    assert env.request == "agi://127.0.0.1:4573/ivr"
    assert env.channel == "Local/s@ivr-entry-00000001;2"
    assert env.uniqueid == "1795498539.3"
    assert (env.callerid, env.calleridname) == ("5550002", "Lab Caller B")
    assert (env.language, env.context, env.extension, env.priority) == ("en", "ivr-entry", "s", 4)
    assert (env.dnid, env.accountcode, env.args, dict(env.query)) == ("unknown", "", (), {})
    assert env["agi_threadid"] == "140398428497600"

    answer, verbose, stream, menu, digit, timeout, setvar, getvar, full, status, _ = replies(
        "b_ivr"
    )
    assert answer.ok and answer.result == "0"
    assert verbose.result == "1"
    assert stream.endpos == 8000 and not stream.failed
    assert menu.result == "1" and not menu.is_timeout
    assert digit.digit == "2"
    assert timeout.is_timeout and timeout.result == "" and timeout.data == "timeout"
    assert setvar.result == "1"
    assert getvar.data == "1"
    assert full.data == "Local/s@ivr-entry-00000001;2-1795498539.3"
    assert status.result_int == 6


def test_hangup_session_reports_the_notice_before_the_511() -> None:
    events, _ = drive("b2_agi_hangup", [load_session("b2_agi_hangup").rx_raw])
    kinds = [type(e).__name__ for e in events]
    notice = kinds.index("HangupNotice")
    get_data = events[notice - 1]
    assert isinstance(get_data, AgiReply) and get_data.failed and not get_data.is_hangup
    dead = events[notice + 1]
    assert isinstance(dead, AgiReply)
    assert dead.code == 511 and dead.is_hangup and dead.digit is None
    assert dead.text == "Command Not Permitted on a dead channel or intercept routine"
    # Variables and VERBOSE still work on the dead channel.
    codes = [e.code for e in events[notice + 1 :] if isinstance(e, AgiReply)]
    assert codes == [511, 511, 200, 200, 200, 511, 200]


def test_error_session_exposes_codes_and_usage() -> None:
    answer, missing, played, no_prompt, no_var, unknown, usage, playback, no_app, _ = replies(
        "b3_agi_errors"
    )
    assert answer.result == "0"
    assert missing.failed and missing.endpos == 0
    assert played.endpos == 8000
    assert no_prompt.failed and no_prompt.endpos is None
    assert no_var.result == "0" and no_var.data is None
    assert (unknown.code, unknown.text) == (510, "Invalid or unknown command")
    assert usage.code == 520 and not usage.ok
    assert usage.text == "Invalid command syntax.  Proper usage follows:"
    assert usage.usage == (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.\n"
        "Returns the digits received from the channel at the other end."
    )
    assert playback.result == "0"
    assert no_app.result == "-2" and no_app.result_int == -2


def test_grammar_agrees_with_panoramisk_where_it_keeps_the_data() -> None:
    lines = [
        line for name in SESSIONS for r in replies(name) if r.usage is None for line in r.lines
    ]
    compared = 0
    for line in lines:
        ours, theirs = parse_reply_line(line), parse_agi_result(line)
        if "status_code" not in theirs:  # panoramisk turned result=-1 into an error
            assert ours.failed
            continue
        assert theirs["status_code"] == ours.code
        if ours.code == 200 and ours.result:
            assert theirs["result"] == (ours.result, ours.data or "")
            compared += 1
    assert compared > 20
    # Where it does not: the empty result of a GET DATA timeout loses its "(timeout)".
    assert parse_agi_result("200 result= (timeout)")["result"] == ("", "")
    assert parse_reply_line("200 result= (timeout)").is_timeout


# ------------------------------------------------------------------ reply grammar


@pytest.mark.parametrize(
    ("line", "code", "result", "data", "fields", "text"),
    [
        ("200 result=0 (timeout) endpos=1200", 200, "0", "timeout", {"endpos": "1200"}, ""),
        ("200 result=12 (timeout)", 200, "12", "timeout", {}, ""),
        ("200 result=1 (x) endpos=5)", 200, "1", "x) endpos=5", {}, ""),
        ("200 result=1 ()", 200, "1", "", {}, ""),
        ("200 result=1 (a b=c)", 200, "1", "a b=c", {}, ""),
        ("200 result=0 Gosub complete", 200, "0", None, {}, "Gosub complete"),
        ("100 result=0 Trying...", 100, "0", None, {}, "Trying..."),
        ("200 result=0\todd tab", 200, "0", None, {}, "odd tab"),
        ("503 result=-2 Memory allocation failure", 503, "-2", None, {},
         "Memory allocation failure"),
        ("520 Invalid command syntax.  Proper usage not available.", 520, "", None, {},
         "Invalid command syntax.  Proper usage not available."),
    ],
)  # fmt: skip
def test_reply_lines(
    line: str, code: int, result: str, data: str | None, fields: dict[str, str], text: str
) -> None:
    reply = parse_reply_line(line)
    assert (reply.code, reply.result, reply.data, dict(reply.fields), reply.text) == (
        code,
        result,
        data,
        fields,
        text,
    )
    assert reply.lines == (line,)


@pytest.mark.parametrize("line", ["200 noresult", "20 result=1", "2000 result=1", "OK", ""])
def test_reply_line_garbage(line: str) -> None:
    with pytest.raises(RemoteProtocolError):
        parse_reply_line(line)


@pytest.mark.parametrize(
    ("result", "digit"), [("50", "2"), ("35", "#"), ("42", "*"), ("65", "A"), ("0", None),
                          ("-1", None), ("1", None), ("99999999", None), ("", None)],
)  # fmt: skip
def test_digit(result: str, digit: str | None) -> None:
    assert AgiReply(code=200, result=result).digit == digit


# ------------------------------------------------------------- connection edges


ENV = b"agi_network: yes\nagi_network_script: ivr\nagi_channel: Local/x;2\n\n"


def connected() -> AgiConnection:
    conn = AgiConnection()
    conn.receive_data(ENV)
    assert isinstance(conn.next_event(), AgiEnvironment)
    return conn


def test_provisional_reply_keeps_the_command_pending() -> None:
    conn = connected()
    conn.send(c.exec_app("Gosub", "sub,s,1"))
    conn.receive_data(b"100 result=0 Trying...\n")
    first = conn.next_event()
    assert isinstance(first, AgiReply) and first.provisional and conn.pending == 1
    conn.receive_data(b"200 result=0 Gosub complete\n")
    final = conn.next_event()
    assert isinstance(final, AgiReply) and final.text == "Gosub complete" and conn.pending == 0


def test_hangup_notice_needs_no_pending_command() -> None:
    conn = connected()
    conn.receive_data(b"HANGUP\n")
    assert conn.next_event() == HangupNotice()
    assert isinstance(conn.next_event(), NeedData)


def test_reply_without_a_command_is_refused() -> None:
    conn = connected()
    conn.receive_data(b"200 result=0\n")
    with pytest.raises(RemoteProtocolError, match="no command pending"):
        conn.next_event()


def test_garbage_environment_line() -> None:
    conn = AgiConnection()
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(RemoteProtocolError, match="agi_<name>: <value>") as info:
        conn.next_event()
    assert "GET / HTTP/1.1" in str(info.value)
    with pytest.raises(RemoteProtocolError):  # the error sticks
        conn.next_event()


def test_garbage_reply_line() -> None:
    conn = connected()
    conn.send(c.answer())
    conn.receive_data(b"hello there\n")
    with pytest.raises(RemoteProtocolError, match="not an AGI reply line: 'hello there'"):
        conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send(c.answer())


def test_empty_line_between_replies_is_refused() -> None:
    conn = connected()
    conn.send(c.answer())
    conn.receive_data(b"\n")
    with pytest.raises(RemoteProtocolError, match="empty line"):
        conn.next_event()


def test_line_cap_applies_before_the_newline_arrives() -> None:
    conn = AgiConnection(max_line_size=100)
    conn.receive_data(b"agi_x: " + b"a" * 93 + b"\n")  # a 100-byte line is fine
    assert isinstance(conn.next_event(), NeedData)
    conn.receive_data(b"agi_y: " + b"b" * 94)  # 101 bytes and no end in sight
    with pytest.raises(RemoteProtocolError, match="longer than 100 bytes"):
        conn.next_event()


def test_line_cap_in_reply_phase() -> None:
    conn = AgiConnection(max_line_size=100)
    conn.receive_data(ENV)
    conn.next_event()
    conn.send(c.get_variable("X"))
    conn.receive_data(b"200 result=1 (" + b"x" * 200 + b")\n")
    with pytest.raises(RemoteProtocolError, match="longer than 100 bytes"):
        conn.next_event()


def test_environment_size_cap() -> None:
    conn = AgiConnection(max_env_size=200)
    for i in range(20):
        conn.receive_data(b"agi_var%d: some value\n" % i)
    with pytest.raises(RemoteProtocolError, match="larger than 200 bytes"):
        conn.next_event()


def test_usage_block_cap() -> None:
    conn = AgiConnection(max_usage_size=100)
    conn.receive_data(ENV)
    conn.next_event()
    conn.send(AgiCommand(("GET DATA",)))
    conn.receive_data(b"520-Invalid command syntax.  Proper usage follows:\n" + b"blah\n" * 20)
    with pytest.raises(RemoteProtocolError, match="usage block"):
        conn.next_event()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"agi_network: yes\nagi_channel: x", "middle of a line"),
        (b"agi_network: yes\n", "before the end of the AGI environment"),
        (b"", "before the end of the AGI environment"),
    ],
)
def test_close_before_the_blank_line(data: bytes, message: str) -> None:
    conn = AgiConnection()
    if data:
        conn.receive_data(data)
    conn.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match=message):
        conn.next_event()


def test_close_inside_a_usage_block_or_a_line() -> None:
    for tail in (b"520-Invalid command syntax.\nsome usage\n", b"200 res"):
        conn = connected()
        conn.send(c.answer())
        conn.receive_data(tail)
        conn.receive_data(b"")
        with pytest.raises(RemoteProtocolError, match=r"usage block|middle of a line"):
            conn.next_event()


def test_clean_close_with_a_command_pending() -> None:
    conn = connected()
    conn.send(c.answer())
    conn.receive_data(b"")
    assert conn.next_event() == ConnectionClosed()
    assert conn.next_event() == ConnectionClosed()
    assert conn.pending == 1


def test_local_misuse() -> None:
    conn = AgiConnection()
    with pytest.raises(LocalProtocolError, match="before the AGI environment"):
        conn.send(c.answer())
    conn.receive_data(b"")
    with pytest.raises(LocalProtocolError, match="after end of stream"):
        conn.receive_data(b"x")


def test_utf8_caller_name_split_at_every_byte() -> None:
    name = "张三 Zhang"
    raw = ENV[:-1] + f"agi_calleridname: {name}\n\n".encode()
    for cut in range(1, len(raw)):
        conn = AgiConnection()
        conn.receive_data(raw[:cut])
        event = conn.next_event()
        if isinstance(event, NeedData):
            conn.receive_data(raw[cut:])
            event = conn.next_event()
        assert isinstance(event, AgiEnvironment)
        assert event.calleridname == name


def test_crlf_and_invalid_utf8_are_tolerated() -> None:
    conn = AgiConnection()
    conn.receive_data(b"agi_network_script: ivr\r\nagi_calleridname: caf\xe9\r\n\r\n")
    env = conn.next_event()
    assert isinstance(env, AgiEnvironment)
    assert env.route == "ivr" and env.calleridname == "caf\ufffd"
    conn.send(c.answer())
    conn.receive_data(b"200 result=0\r\n")
    reply = conn.next_event()
    assert isinstance(reply, AgiReply) and reply.lines == ("200 result=0",)


def test_environment_query_string_and_arguments() -> None:
    conn = AgiConnection()
    conn.receive_data(
        b"agi_network: yes\n"
        b"agi_network_script: ivr/?lang=zh&service=billing&empty=\n"
        b"agi_request: agi://engine/ivr/?lang=zh&service=billing&empty=\n"
        b"agi_priority: 2\n"
        b"agi_arg_1: first\n"
        b"agi_arg_2: with: colon\n"
        b"agi_arg_4: after a gap\n"
        b"\n"
    )
    env = conn.next_event()
    assert isinstance(env, AgiEnvironment)
    assert env.route == "ivr"
    assert dict(env.query) == {"lang": "zh", "service": "billing", "empty": ""}
    assert env.args == ("first", "with: colon")
    assert env.priority == 2
    assert env.callerid == "" and "agi_callerid" not in env


# ----------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("words", "wire"),
    [
        (("ANSWER",), b"ANSWER\n"),
        (("STREAM FILE", "silence/1", ""), b'STREAM FILE silence/1 ""\n'),
        (("STREAM", "FILE", "silence/1", ""), b'STREAM FILE silence/1 ""\n'),
        (("WAIT FOR DIGIT", -1), b"WAIT FOR DIGIT -1\n"),
        (("VERBOSE", Quoted("x"), 1), b'VERBOSE "x" 1\n'),
        (("SET VARIABLE", "X", 'say "hi" \\ now'), b'SET VARIABLE X "say \\"hi\\" \\\\ now"\n'),
        (("SET VARIABLE", "X", "a\tb"), b'SET VARIABLE X "a\tb"\n'),
        (("VERBOSE", "你好"), "VERBOSE 你好\n".encode()),
    ],
)
def test_encode_command(words: tuple[str | int | Quoted, ...], wire: bytes) -> None:
    assert encode_command(*words) == wire


@pytest.mark.parametrize(
    "words",
    [
        ("SET VARIABLE", "X", "two\nlines"),
        ("SET VARIABLE", "X", "cr\r"),
        ("SET VARIABLE", "X", "nul\x00"),
        ("VERBOSE", Quoted("a\nb")),
        ("ANSWER\n",),
        ("",),
        ("GET DATA", 1.5),
        ("GET DATA", True),
        ("SAY DIGITS", b"12"),
        (),
        ("VERBOSE", "x" * MAX_COMMAND_SIZE),
        ("NOOP", *["a"] * 127),
    ],
)
def test_encode_refuses(words: tuple[object, ...]) -> None:
    with pytest.raises(LocalProtocolError):
        encode_command(*words)  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError):
        AgiCommand(words)  # type: ignore[arg-type]


def test_builders() -> None:
    assert c.exec_app("Dial", "PJSIP/1001", "30").encode() == b"EXEC Dial PJSIP/1001,30\n"
    assert c.exec_app("Answer").encode() == b"EXEC Answer\n"
    assert c.exec_app("Playback", "hello world").encode() == b'EXEC Playback "hello world"\n'
    assert (
        c.record_file("/tmp/r", "wav", "#", 10000, beep=True, silence_s=3).encode()
        == b'RECORD FILE /tmp/r wav "#" 10000 BEEP s=3\n'
    )
    assert c.say_digits("123").encode() == b'SAY DIGITS 123 ""\n'
    assert c.say_number(42, "#", "f").encode() == b'SAY NUMBER 42 "#" f\n'
    assert c.say_date(1795498539).encode() == b'SAY DATE 1795498539 ""\n'
    assert c.hangup().encode() == b"HANGUP\n"
    assert c.hangup("Local/x;2").encode() == b"HANGUP Local/x;2\n"
    assert c.stream_file("a", "12", 800).encode() == b'STREAM FILE a "12" 800\n'
    assert c.channel_status("Local/x;2").encode() == b"CHANNEL STATUS Local/x;2\n"
    assert c.stream_file("a").name == "STREAM FILE"


def asterisk_parse_args(line: str) -> list[str]:
    """res_agi.c parse_args(), transcribed: how Asterisk splits a command line."""
    argv: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and cur is None:
                cur = []
                argv.append("")
        elif ch in " \t" and not quoted and not escaped:
            if cur is not None:
                argv[-1] = "".join(cur)
            cur = None
        elif ch == "\\" and not escaped:
            escaped = True
            continue
        else:
            if cur is None:
                cur = []
                argv.append("")
            cur.append(ch)
        escaped = False
    if cur is not None:
        argv[-1] = "".join(cur)
    return argv


_ARG = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(args=st.lists(_ARG, max_size=8))
def test_asterisk_reads_back_what_we_encode(args: Sequence[str]) -> None:
    line = encode_command("SET VARIABLE", *args).decode()
    assert line.endswith("\n")
    assert asterisk_parse_args(line[:-1]) == ["SET", "VARIABLE", *args]
