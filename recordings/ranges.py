"""HTTP Range requests (RFC 9110 §14): one byte range out of a ``Range`` header, pure.

Players ask for ``bytes=0-`` first, then seek with ``bytes=N-`` or read the tail with
``bytes=-N``; several ranges in one header (multipart answers) are not worth their cost for
audio, so a multi-range header is served as its first range, which RFC 9110 allows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(ValueError):
    """The range lies outside the file: answer 416 with ``Content-Range: bytes */size``."""

    def __init__(self, size: int) -> None:
        super().__init__(f"range not satisfiable for {size} bytes")
        self.size = size


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to send, or None for the whole file (no header, or one we ignore).

    A syntactically bad header is ignored (RFC 9110: a server MAY ignore Range); a
    well-formed one that selects nothing raises :class:`Unsatisfiable`.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        return None
    first = spec.split(",")[0].strip()
    start_text, dash, end_text = first.partition("-")
    start_text, end_text = start_text.strip(), end_text.strip()
    if not dash or not (_digits(start_text) or start_text == ""):
        return None
    if end_text and not _digits(end_text):
        return None
    if start_text == "":
        if not end_text:
            return None
        suffix = _number(end_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1)
    start = _number(start_text)
    if start >= size:
        raise Unsatisfiable(size)
    end = min(_number(end_text), size - 1) if end_text else size - 1
    if end < start:
        return None  # "bytes=5-2" is invalid syntax: ignore it, send the whole file
    return ByteRange(start, end)


# Positions past any file: a header with thousands of digits means "beyond the end"
# without parsing it (int() refuses over 4300 digits, and the work grows with length).
_BEYOND = 10**19


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # "²" is a digit to str.isdigit, not to int


def _number(digits: str) -> int:
    return _BEYOND if len(digits) > 19 else int(digits)
