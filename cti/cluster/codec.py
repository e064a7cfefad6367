"""A JSON codec for domain events, so they can cross Redis between nodes.

Events are frozen dataclasses holding plain values, tuples and nested dataclasses
(``QueuesResynced.members``). JSON has no tuples and no classes, so both are tagged:
a dataclass becomes ``{"__t": class name, ...fields}`` and a tuple ``{"__tuple": [...]}``.
Decoding looks the class up in a registry keyed by class name; an unknown name is a
:class:`CodecError` (a newer node may publish events an older one cannot read, and the
reader must say so rather than guess).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from cti import events as ev


class CodecError(ValueError):
    """A payload that does not decode to a registered event."""


REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Make ``cls`` (a dataclass) known to the codec; usable as a decorator."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    REGISTRY[cls.__name__] = cls
    return cls


for _name in dir(ev):
    _obj = getattr(ev, _name)
    if isinstance(_obj, type) and dataclasses.is_dataclass(_obj) and _obj.__module__ == ev.__name__:
        register(_obj)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"__t": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _plain(getattr(value, f.name))
        return out
    if isinstance(value, tuple):
        return {"__tuple": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _rich(value: Any) -> Any:
    if isinstance(value, list):
        return [_rich(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple" in value:
        return tuple(_rich(v) for v in value["__tuple"])
    if "__t" in value:
        name = value["__t"]
        cls = REGISTRY.get(name)
        if cls is None:
            raise CodecError(f"unknown event type {name!r}")
        kwargs = {k: _rich(v) for k, v in value.items() if k != "__t"}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise CodecError(f"{name}: {exc}") from exc
    return {k: _rich(v) for k, v in value.items()}


def encode(event: Any) -> str:
    # default=str: a summary may carry a datetime or a Path; as text it still says what it
    # was, which is all a reader on another node can use.
    return json.dumps(_plain(event), ensure_ascii=False, separators=(",", ":"), default=str)


def decode(payload: str | bytes) -> Any:
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise CodecError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or "__t" not in data:
        raise CodecError("not an event")
    return _rich(data)
