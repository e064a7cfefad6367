"""An interaction's fields from a JSON body, each checked for its type and size.

Pure. A wrong type, a non-finite number, text that is not valid Unicode or a value too
long for its column is a :class:`ValueError` naming the field (400), never a driver
error or a stored NaN."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from crm.api import values as v
from crm.model.interaction import INTERACTION_FIELDS, UnknownInteractionField

_LINE = {
    "caller_number": 64,
    "caller_name": 200,
    "direction": 16,
    "service": 64,
    "queue": 64,
    "agent_answered": 64,
    "end_reason": 64,
    "disposition": 64,
    "transcript_ref": 300,
}
_SECONDS = ("wait_seconds", "talk_seconds", "hold_seconds", "wrapup_seconds")
_MAX_SECONDS = 10_000_000.0  # ~115 days: far beyond any call, well inside a float


def _json(name: str, value: Any, depth: int = 0) -> Any:
    """A JSON value whose text is valid Unicode (PostgreSQL refuses a lone surrogate)."""
    if depth > 16:
        raise ValueError(f"{name} is nested too deeply")
    if isinstance(value, str):
        return v.text(name, value, 10_000, multiline=True)
    if isinstance(value, list):
        return [_json(name, item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {v.text(name, key, 200): _json(name, item, depth + 1) for key, item in value.items()}
    return value


def _list_of(kind: str) -> Callable[[str, Any], list[Any]]:
    def read(name: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or len(value) > 1000:
            raise ValueError(f"{name} must be a list (at most 1000 items)")
        for item in value:
            if kind == "str" and not isinstance(item, str):
                raise ValueError(f"{name} must be a list of texts")
            if kind == "dict" and not isinstance(item, dict):
                raise ValueError(f"{name} must be a list of objects")
        return _json(name, value)

    return read


def _line(name: str, value: Any, size: int) -> str:
    return v.text(name, value, size)


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object")
    return _json(name, value)


_READERS: dict[str, Callable[[str, Any], Any]] = {
    **{n: partial(_line, size=size) for n, size in _LINE.items()},
    **{n: lambda name, x: v.a_number(name, x, 0.0, _MAX_SECONDS) for n in _SECONDS},
    "started_at": v.timestamp,
    "ended_at": v.timestamp,
    "notes": lambda name, x: v.text(name, x, 20_000, multiline=True),
    "customer_id": v.an_id,
    "ivr_steps": _list_of("dict"),
    "transfers": _list_of("dict"),
    "agents_offered": _list_of("str"),
    "recording_refs": _list_of("str"),
    "extra": _object,
}
assert set(_READERS) == INTERACTION_FIELDS, "every interaction field has a reader"


def interaction_fields(call_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of ``data`` (null clears a field, except the numbers and lists)."""
    unknown = set(data) - INTERACTION_FIELDS
    if unknown:
        raise UnknownInteractionField(call_id, unknown)
    out: dict[str, Any] = {}
    for name, value in data.items():
        if value is None and name not in _SECONDS and name != "started_at":
            out[name] = None
        else:
            out[name] = _READERS[name](name, value)
    return out


def call_id_of(value: str) -> str:
    return v.text("call_id", value, 128)
