"""Typed readers for values in a JSON body: an id is a non-negative 64-bit integer, a
number is finite, text is text. Pure; each raises :class:`ValueError` (400 at the edge)
with a message that names the field and says what it must be, so ``1e309``,
``Infinity``, ``2**64``, ``-1``, ``1.5``, ``"abc"`` or ``[]`` where an id belongs never
reach the database as a driver error (a 500) or as a stored NaN."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from crm.text import line_problem, text_problem

MAX_ID = 2**63 - 1  # row ids are 64-bit in both databases
_MISSING = object()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"the body holds {name}, which is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def loads(text: str) -> Any:
    """Strict JSON: NaN, Infinity and numbers that overflow a float (``1e309``) are
    refused, never turned into values that break a report's JSON later."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise ValueError(f"the body is not JSON: {error}") from None


def an_id(name: str, value: Any) -> int:
    """A row id: a JSON integer (or a string of digits, from a path or query) in 0..2**63-1."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer id, not {json.dumps(value)}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            raise ValueError(f"{name} must be an integer id")
        value = int(text)
    if not isinstance(value, int):
        raise ValueError(f"{name} must be an integer id")
    if not 0 <= value <= MAX_ID:
        raise ValueError(f"{name} is out of range (0 to {MAX_ID})")
    return value


def an_int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}")
    return value


def a_number(name: str, value: Any, low: float = 0.0, high: float = 1e9) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a finite number from {low:g} to {high:g}")
    return float(value)


def text(name: str, value: Any, max_length: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    if len(value) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters")
    why = text_problem(value) if multiline else line_problem(value)
    if why is not None:
        raise ValueError(f"{name} {why}")
    return value


def optional(data: dict[str, Any], name: str, read: Any, *args: Any, **kwargs: Any) -> Any:
    """``read(name, data[name], ...)``, or None when the field is absent or null."""
    value = data.get(name)
    return None if value is None else read(name, value, *args, **kwargs)


def timestamp(name: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 date-time text")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time, not {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} {value!r} needs a timezone offset")
    return parsed
