"""JSON request bodies for every HTTP surface, parsed in one place.

crm is the lowest package (cti, routing and recordings import it), so this lives here.
Deep nesting is refused before it can reach a recursive ``json`` call or a handler: the
standard parser raises RecursionError (a 500) on a few thousand ``[``, even from an
unauthenticated client.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
MAX_BYTES = 1024 * 1024


class BadBody(ValueError):
    """The body is not a JSON object this server accepts (a 400 or 413)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _depth_ok(text: str, limit: int) -> bool:
    # A cheap scan that ignores brackets inside strings: it runs before json.loads.
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def _no_constant(name: str) -> Any:
    raise BadBody(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # 1e309 parses to inf, which would be stored and later break a report's JSON.
    value = float(text)
    if not math.isfinite(value):
        raise BadBody(f"the number {text[:40]} is out of range")
    return value


def parse_object(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The body as a dict, or :class:`BadBody` with a plain reason."""
    if len(raw) > MAX_BYTES:
        raise BadBody(f"the body is larger than {MAX_BYTES} bytes", 413)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise BadBody("the body is not UTF-8") from None
    if not _depth_ok(text, max_depth):
        raise BadBody(f"the body nests deeper than {max_depth} levels")
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise BadBody(f"the body is not JSON: {error}") from None
    except RecursionError:
        raise BadBody(f"the body nests deeper than {max_depth} levels") from None
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object")
    return data
