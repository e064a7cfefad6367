"""What browsers may send over the desktop and wallboard websockets, checked before use.

Pure: ``parse(text, allowed)`` returns a :class:`Command` or raises :class:`Refused` with
a code the client can show. Every field has a type and a length cap; unknown fields and
types are refused, so a hostile message never reaches a handler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crm.text import text_problem

MAX_MESSAGE = 32 * 1024  # bytes; larger frames are refused by the websocket layer itself

# field -> (kind, required, max length); kinds: "str", "int", "bool"
Schema = dict[str, tuple[str, bool, int]]
CALL: Schema = {"call_id": ("str", True, 64)}

AGENT_COMMANDS: dict[str, Schema] = {
    "ping": {},
    "login": {},
    "ready": {},
    "not_ready": {"reason": ("str", False, 32)},
    "logout": {},
    "hangup": CALL,
    "transfer": {**CALL, "service": ("str", False, 64), "agent": ("str", False, 64)},
    "record": {**CALL, "paused": ("bool", True, 0)},
    "dial": {"number": ("str", False, 32), "customer_id": ("int", False, 0)},
    "customer_create": {**CALL, "name": ("str", True, 128), "number": ("str", False, 32)},
    "ticket_create": {
        **CALL,
        "title": ("str", True, 200),
        "category": ("str", True, 32),
        "priority": ("int", False, 0),
        "description": ("str", False, 4000),
    },
    "ticket_update": {
        **CALL,
        "ticket_id": ("int", True, 0),
        "action": ("str", True, 32),
        "text": ("str", False, 2000),
    },
    "wrapup": {**CALL, "disposition": ("str", False, 32), "notes": ("str", False, 4000)},
    "dismiss": CALL,
    # Knowledge base: words (empty: browse), optionally one category.
    "kb_search": {"query": ("str", False, 200), "category": ("str", False, 64)},
}
SUPERVISOR_COMMANDS: dict[str, Schema] = {
    "ping": {},
    "agent": {"agent": ("str", True, 64), "action": ("str", True, 16)},
}


class Refused(Exception):
    """A message the server will not act on; ``code`` is stable for clients and tests."""

    def __init__(
        self, code: str, detail: str = "", request_id: Any = None, **data: str | int
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.request_id = request_id
        # Plain values the client words the refusal with, in the agent's language.
        self.data = data


@dataclass(frozen=True, slots=True)
class Command:
    type: str
    args: dict[str, Any]
    request_id: str | int | None = None


def _check(name: str, value: Any, kind: str, cap: int) -> Any:
    if kind == "str":
        if not isinstance(value, str) or len(value) > cap:
            raise Refused("invalid", f"{name} must be text of at most {cap} characters")
        if (why := text_problem(value)) is not None:
            # A lone surrogate ("\ud800" in the JSON) has no UTF-8 form: it would fail
            # deep in the database or the AMI encoder. Refused here, naming the field.
            raise Refused("invalid", f"{name} {why}", field=name)
        return value.strip()
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            raise Refused("invalid", f"{name} must be a whole number")
        return value
    if not isinstance(value, bool):
        raise Refused("invalid", f"{name} must be true or false")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse(text: str, allowed: dict[str, Schema]) -> Command:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_MESSAGE:
        raise Refused("too_large", f"messages are limited to {MAX_MESSAGE} bytes")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Refused("malformed", "not JSON") from None
    if not isinstance(data, dict):
        raise Refused("malformed", "a message is a JSON object")
    rid = data.get("id")
    if rid is not None and not (
        (isinstance(rid, int) and not isinstance(rid, bool))
        or (isinstance(rid, str) and len(rid) <= 64)
    ):
        raise Refused("malformed", "id must be a number or short text")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in allowed:
        # Shown back to the client: text that cannot be encoded is replaced, not echoed.
        shown = str(kind)[:40].encode("utf-8", "replace").decode("utf-8")
        raise Refused("unknown_type", shown, rid)
    schema = allowed[kind]
    extra = set(data) - set(schema) - {"type", "id"}
    if extra:
        raise Refused("invalid", f"unexpected field(s): {', '.join(sorted(extra))[:80]}", rid)
    args: dict[str, Any] = {}
    try:
        for name, (ftype, required, cap) in schema.items():
            if name not in data or data[name] is None:
                if required:
                    raise Refused("invalid", f"{name} is required")
                continue
            args[name] = _check(name, data[name], ftype, cap)
    except Refused as exc:
        exc.request_id = rid
        raise
    return Command(kind, args, rid)
