"""FastAGI commands: the quoting rules of Asterisk's parser, and builders for the
commands the engine uses. Pure: a command is a value, ``encode()`` gives its bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cti.agi.errors import LocalProtocolError

# res_agi reads a command into a 2048-byte buffer with fgets(): a longer line is cut
# and its tail runs as a second command, so we refuse to encode one.
MAX_COMMAND_SIZE: Final = 2047
# res_agi's MAX_ARGS is 128 and parse_args() truncates at 127 words.
MAX_COMMAND_WORDS: Final = 127


@dataclass(frozen=True, slots=True)
class Quoted:
    """An argument always sent in double quotes (``SET VARIABLE X "1"``)."""

    text: str


Word = str | int | Quoted

_VERB = re.compile(r"\w+(?: \w+)*", re.ASCII)
# res_agi's parse_args() splits on space/tab, toggles on '"' and escapes with '\'.
_SPECIAL = frozenset(' \t"\\')
_FORBIDDEN = frozenset("\r\n\x00")


@dataclass(frozen=True, slots=True)
class AgiCommand:
    """A command: the verb (``"STREAM FILE"``, words may be split or not) then arguments."""

    words: tuple[Word, ...]

    def __post_init__(self) -> None:
        self.encode()  # fail at construction, where the caller's mistake is

    @property
    def name(self) -> str:
        verb = self.words[0]
        return verb if isinstance(verb, str) else str(verb)

    def encode(self) -> bytes:
        return encode_command(*self.words)


def encode_command(*words: Word) -> bytes:
    """``encode_command("STREAM FILE", "silence/1", "")`` -> ``b'STREAM FILE silence/1 ""\\n'``.

    Arguments that are empty or hold a space, tab, quote or backslash are quoted, with
    ``"`` and ``\\`` escaped; :class:`Quoted` forces the quotes. Newlines and NUL are
    refused, since they would end the command early.
    """
    if not words:
        raise LocalProtocolError("an AGI command needs a verb")
    verb = words[0]
    if not isinstance(verb, str) or not _VERB.fullmatch(verb):
        raise LocalProtocolError(f"not an AGI command verb: {verb!r}")
    parts = [verb, *(_encode_word(word) for word in words[1:])]
    if len(verb.split(" ")) + len(words) - 1 > MAX_COMMAND_WORDS:
        raise LocalProtocolError(f"more than {MAX_COMMAND_WORDS} words in an AGI command")
    data = (" ".join(parts) + "\n").encode("utf-8")
    if len(data) > MAX_COMMAND_SIZE:
        raise LocalProtocolError(
            f"AGI command of {len(data)} bytes; Asterisk reads at most {MAX_COMMAND_SIZE}"
        )
    return data


def _encode_word(word: Word) -> str:
    if isinstance(word, Quoted):
        text, force = word.text, True
    elif isinstance(word, bool) or not isinstance(word, str | int):
        raise LocalProtocolError(f"AGI arguments are str or int, got {type(word).__name__}")
    else:
        text, force = str(word), False
    if not isinstance(text, str):
        raise LocalProtocolError(f"Quoted() needs a str, got {type(text).__name__}")
    if _FORBIDDEN.intersection(text):
        raise LocalProtocolError(f"newline or NUL in an AGI argument: {text!r}")
    if force or not text or _SPECIAL.intersection(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


# ----------------------------------------------------------------------- builders
# Where the recorded sessions quote an argument that needs no quotes (escape digits,
# the value of SET VARIABLE, the VERBOSE message), the builders do too: the bytes
# then match a real script's, and an empty value stays an argument.


def answer() -> AgiCommand:
    return AgiCommand(("ANSWER",))


def hangup(channel: str | None = None) -> AgiCommand:
    return AgiCommand(("HANGUP",) if channel is None else ("HANGUP", channel))


def stream_file(name: str, escape: str = "", offset: int | None = None) -> AgiCommand:
    words: tuple[Word, ...] = ("STREAM FILE", name, Quoted(escape))
    return AgiCommand(words if offset is None else (*words, offset))


def get_data(file: str, timeout_ms: int, max_digits: int) -> AgiCommand:
    return AgiCommand(("GET DATA", file, timeout_ms, max_digits))


def wait_for_digit(timeout_ms: int) -> AgiCommand:
    """``timeout_ms=-1`` waits forever."""
    return AgiCommand(("WAIT FOR DIGIT", timeout_ms))


def set_variable(name: str, value: str) -> AgiCommand:
    return AgiCommand(("SET VARIABLE", name, Quoted(value)))


def get_variable(name: str) -> AgiCommand:
    return AgiCommand(("GET VARIABLE", name))


def get_full_variable(expression: str, channel: str | None = None) -> AgiCommand:
    """``GET FULL VARIABLE ${CALLERID(num)}``: Asterisk expands the expression."""
    words: tuple[Word, ...] = ("GET FULL VARIABLE", expression)
    return AgiCommand(words if channel is None else (*words, channel))


def channel_status(channel: str | None = None) -> AgiCommand:
    return AgiCommand(("CHANNEL STATUS",) if channel is None else ("CHANNEL STATUS", channel))


def verbose(message: str, level: int = 1) -> AgiCommand:
    return AgiCommand(("VERBOSE", Quoted(message), level))


def exec_app(app: str, *args: str) -> AgiCommand:
    """``EXEC Dial PJSIP/1001,30``. res_agi passes one argument string to the
    application, so several arguments are joined with the dialplan's comma."""
    if not args:
        return AgiCommand(("EXEC", app))
    return AgiCommand(("EXEC", app, ",".join(args)))


def record_file(
    filename: str,
    format: str = "wav",
    escape: str = "#",
    timeout_ms: int = -1,
    *,
    offset_samples: int | None = None,
    beep: bool = False,
    silence_s: int | None = None,
) -> AgiCommand:
    words: list[Word] = ["RECORD FILE", filename, format, Quoted(escape), timeout_ms]
    if offset_samples is not None:
        words.append(offset_samples)
    if beep:
        words.append("BEEP")
    if silence_s is not None:
        words.append(f"s={silence_s}")
    return AgiCommand(tuple(words))


def say_digits(digits: str | int, escape: str = "") -> AgiCommand:
    return AgiCommand(("SAY DIGITS", digits, Quoted(escape)))


def say_number(number: int, escape: str = "", gender: str | None = None) -> AgiCommand:
    words: tuple[Word, ...] = ("SAY NUMBER", number, Quoted(escape))
    return AgiCommand(words if gender is None else (*words, gender))


def say_date(epoch_seconds: int, escape: str = "") -> AgiCommand:
    return AgiCommand(("SAY DATE", epoch_seconds, Quoted(escape)))
