"""The flow model: what config/ivr/*.yaml declares, as frozen values.

Pure: no I/O, no clock. The loader (``ivr.loader``) builds these from YAML and checks
them; the runner (``ivr.runner``) walks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Calendar:
    """Opening hours per weekday (minutes from midnight) and closed dates."""

    hours: Mapping[str, tuple[tuple[int, int], ...]]
    holidays: frozenset[str] = frozenset()  # "YYYY-MM-DD"

    def is_open(self, epoch: float, tz: str) -> bool:
        local = datetime.fromtimestamp(epoch, ZoneInfo(tz))
        if local.strftime("%Y-%m-%d") in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        spans = self.hours.get(WEEKDAYS[local.weekday()], ())
        return any(start <= minute < end for start, end in spans)


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    line: int  # where it is declared, for runtime log lines


@dataclass(frozen=True, slots=True)
class PlayNode(Node):
    prompt: str
    next: str
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class MenuOption:
    key: str
    goto: str
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # language -> phrases
    language: str | None = None  # choosing it sets the call's language


@dataclass(frozen=True, slots=True)
class MenuNode(Node):
    prompt: str
    options: tuple[MenuOption, ...]
    default: str
    timeout_ms: int = 5000
    retries: int = 2
    invalid: str | None = None
    no_input: str | None = None
    speech: bool = False
    agent: bool = True  # the flow's agent key works here

    def option(self, key: str) -> MenuOption | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True, slots=True)
class CollectNode(Node):
    prompt: str
    store_as: str  # "account", "ticket", ...
    next: str
    default: str
    min_length: int = 1
    max_length: int = 20
    checksum: str = "none"  # none | luhn | mod11
    timeout_ms: int = 6000
    retries: int = 2
    invalid: str | None = None
    sensitive: bool = False  # a card number or PIN: the recording is muted while keyed


@dataclass(frozen=True, slots=True)
class LookupNode(Node):
    by: tuple[str, ...]  # "caller_id", "account" (tried in that order)
    found: str
    not_found: str
    on_error: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    tests: tuple[tuple[str, object], ...]  # (test name, expected), all must hold
    goto: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class ConditionNode(Node):
    cases: tuple[Case, ...]
    default: str


@dataclass(frozen=True, slots=True)
class AnnounceNode(Node):
    next: str
    source: str = "incident"  # "incident": the open incident in the caller's area; "prompt"
    prompt: str | None = None  # intro (incident) or the whole text (prompt)
    until_prompt: str | None = None  # "expected to be fixed by", then SAY DATE


@dataclass(frozen=True, slots=True)
class TicketStatusNode(Node):
    ticket_from: str  # the collected value holding the ticket number
    prompt: str  # "ticket number ... is"
    not_found: str  # prompt id
    next: str
    on_error: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackNode(Node):
    reason: str
    prompt: str  # "we will call you back; your ticket number is"
    next: str
    category: str = "consultation"
    on_error: str | None = None


@dataclass(frozen=True, slots=True)
class TransferNode(Node):
    service: str
    skills: tuple[str, ...] = ()  # empty: the service's skills from the site settings
    priority: int | None = None  # None: the service's priority from the site settings
    vip_priority: int = 0  # added for VIP customers
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class HangupNode(Node):
    prompt: str | None = None


AnyNode = (PlayNode | MenuNode | CollectNode | LookupNode | ConditionNode | AnnounceNode
           | TicketStatusNode | CallbackNode | TransferNode | HangupNode)

INCIDENT_TYPES = ("cable", "equipment", "power", "network", "other")
TICKET_STATES = ("new", "assigned", "in_progress", "suspended", "resolved", "closed", "reopened")


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    route: str
    file: str
    start: str
    fallback: str  # a transfer or hang-up node: where a broken call goes
    nodes: Mapping[str, AnyNode]
    languages: tuple[str, ...] = ("zh", "en")
    default_language: str = "zh"
    agent_key: str | None = "0"
    agent_node: str | None = None
    language_from_customer: bool = True
    timezone: str = "Asia/Shanghai"
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    speech_threshold: float = 0.6
    speech_models: Mapping[str, str] = field(default_factory=dict)  # language -> directory
    sounds_prefix: str = ""
    incident_prompt_prefix: str = "incident-"
    ticket_state_prompt_prefix: str = "ticket-state-"

    def sound(self, prompt: str, language: str) -> str:
        """The file name Asterisk plays: ``<prefix><lang>/<prompt id>``."""
        return f"{self.sounds_prefix}{language}/{prompt}"

    def prompts(self) -> set[str]:
        """Every prompt id the flow can play (for validation and `cti prompts build`)."""
        out: set[str] = set()
        for node in self.nodes.values():
            names = ["prompt", "invalid", "no_input", "until_prompt"]
            if isinstance(node, TicketStatusNode):  # elsewhere not_found names a node
                names.append("not_found")
            for name in names:
                value = getattr(node, name, None)
                if isinstance(value, str):
                    out.add(value)
            if isinstance(node, AnnounceNode) and node.source == "incident":
                out.update(f"{self.incident_prompt_prefix}{t}" for t in INCIDENT_TYPES)
            if isinstance(node, TicketStatusNode):
                out.update(f"{self.ticket_state_prompt_prefix}{s}" for s in TICKET_STATES)
        return out


@dataclass(frozen=True, slots=True)
class FlowSet:
    flows: tuple[Flow, ...]

    def for_route(self, route: str) -> Flow | None:
        return next((f for f in self.flows if f.route == route), None)

    @property
    def routes(self) -> tuple[str, ...]:
        return tuple(f.route for f in self.flows)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mod11_ok(digits: str) -> bool:
    """ISO 7064 MOD 11-2 on the last digit (a check value of 10, "X", is not keyable)."""
    p = 0
    for ch in digits[:-1]:
        p = (p + int(ch)) * 2 % 11
    return (12 - p) % 11 == int(digits[-1])


def checksum_ok(kind: str, digits: str) -> bool:
    if kind == "none":
        return True
    if not digits.isdigit():
        return False
    return luhn_ok(digits) if kind == "luhn" else mod11_ok(digits)
