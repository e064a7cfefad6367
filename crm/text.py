"""Checks on text that people send, before it reaches a wire protocol or the database.

Pure. JSON can carry what no wire can: a lone surrogate (``"\\ud800"``) has no UTF-8
form, and a CR/LF inside an AMI header value would start a new header. Edges (HTTP,
websocket) refuse such text with a clear error instead of letting an encoder raise
deep inside a long-lived task.
"""

from __future__ import annotations

import re

# C0 controls but TAB, DEL, C1 controls, and UTF-16 surrogates.
_LINE_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
# Multi-line text (notes, descriptions) may hold line breaks; surrogates never.
_TEXT_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def line_problem(value: str) -> str | None:
    """Why ``value`` cannot be one line of text (a reason, a name), or None if it can."""
    found = _LINE_UNSAFE.search(value)
    return None if found is None else _describe(found.group())


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (line breaks allowed), or None if it can."""
    found = _TEXT_UNSAFE.search(value)
    return None if found is None else _describe(found.group())


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"holds a lone surrogate U+{code:04X}, which is not valid Unicode"
    if char in "\r\n":
        return "holds a line break"
    return f"holds the control character U+{code:04X}"
