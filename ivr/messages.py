"""What goes in and out of the flow runner: inputs (what happened) and actions (what to do).

All frozen dataclasses with plain values, so runner tests compare them with ``==`` and
the FastAGI adapter is the only place that knows AGI. Every input carries ``at`` (epoch
seconds) because conditions on business hours must not read a clock themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ------------------------------------------------------------------ facts from the CRM


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    id: int
    name: str = ""
    account_number: str = ""
    area: str = ""
    segment: str = ""
    grade: str = ""
    vip: bool = False
    language: str = ""
    found_by: str = "caller_id"  # or "account"


@dataclass(frozen=True, slots=True)
class IncidentInfo:
    id: int
    type: str
    title: str
    expected_end: float | None = None  # epoch seconds


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True, slots=True)
class Input:
    at: float


@dataclass(frozen=True, slots=True)
class Started(Input):
    caller_id: str = ""
    channel_language: str = ""
    route: str = ""


@dataclass(frozen=True, slots=True)
class Played(Input):
    digit: str | None = None  # the key that barged in
    missing: tuple[str, ...] = ()  # prompt files Asterisk could not play


@dataclass(frozen=True, slots=True)
class Keys(Input):
    digits: str = ""  # empty: the caller pressed nothing before the timeout


@dataclass(frozen=True, slots=True)
class Heard(Input):
    text: str = ""
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class LookedUp(Input):
    customer: CustomerInfo | None = None
    incidents: tuple[IncidentInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketFetched(Input):
    number: str = ""
    state: str | None = None  # None: no such ticket


@dataclass(frozen=True, slots=True)
class CallbackCreated(Input):
    ticket_id: int = 0
    followup_id: int | None = None


@dataclass(frozen=True, slots=True)
class Broken(Input):
    """Something on our side failed (missing prompt, AGI error, CRM timeout)."""

    reason: str = ""


@dataclass(frozen=True, slots=True)
class HungUp(Input):
    pass


# ------------------------------------------------------------------ what a prompt is made of


@dataclass(frozen=True, slots=True)
class File:
    name: str  # e.g. "en/main-menu"


@dataclass(frozen=True, slots=True)
class SayDigits:
    digits: str


@dataclass(frozen=True, slots=True)
class SayNumber:
    number: int


@dataclass(frozen=True, slots=True)
class SayDate:
    epoch: int


Segment = File | SayDigits | SayNumber | SayDate

# ------------------------------------------------------------------ actions


@dataclass(frozen=True, slots=True)
class RecordStep:
    """Effect: one line of the caller's path on the interaction."""

    node: str
    prompt: str = ""
    key: str = ""
    recognized: str = ""
    confidence: float | None = None
    language: str = ""


@dataclass(frozen=True, slots=True)
class SetVariable:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Speak:
    """Effect: play segments through, keys ignored; a missing file is only logged."""

    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Prompt:
    """Request -> Played: play segments, a key interrupts when ``barge_in``."""

    segments: tuple[Segment, ...]
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class ReadKeys:
    """Request -> Keys (or Broken if the prompt is missing): GET DATA."""

    prompt: str
    max_digits: int
    timeout_ms: int
    before: tuple[Segment, ...] = ()  # e.g. the invalid-input prompt, played first
    sensitive: bool = False  # mute the call's recording while the caller keys


@dataclass(frozen=True, slots=True)
class Listen:
    """Request -> Heard or Keys: prompt, record the caller, recognize with the grammar."""

    prompt: str
    language: str
    grammar: tuple[str, ...]
    max_seconds: int = 4
    before: tuple[Segment, ...] = ()
    # Without a usable model for the language the adapter reads keys instead:
    max_digits: int = 1
    timeout_ms: int = 5000


@dataclass(frozen=True, slots=True)
class Lookup:
    """Request -> LookedUp: the customer by caller ID and/or account, and area incidents."""

    caller_id: str = ""
    account: str = ""


@dataclass(frozen=True, slots=True)
class FetchTicket:
    number: str


@dataclass(frozen=True, slots=True)
class CreateCallback:
    caller_id: str
    customer_id: int | None
    reason: str
    category: str = "consultation"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Terminal: hand the caller to routing."""

    service: str
    skills: tuple[str, ...] = ()  # empty: the service's own skills (site settings)
    priority: int | None = None  # None: the service's own priority
    boost: int = 0  # added on top (a VIP caller)


@dataclass(frozen=True, slots=True)
class Hangup:
    """Terminal: end the call."""

    reason: str = field(default="flow")


Effect = RecordStep | SetVariable | Speak
Request = Prompt | ReadKeys | Listen | Lookup | FetchTicket | CreateCallback
Terminal = Transfer | Hangup
Action = Effect | Request | Terminal
