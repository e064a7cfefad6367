"""Routing's vocabulary: services, escalation steps, agents, waiting calls, offers.

Plain dataclasses only (no I/O, no clock): the router in ``router.py`` and the pure
rules in ``policy.py`` work on these; the executor and the config loader build them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

SkillMap = dict[str, int]  # skill -> level (1..10)


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"


BUSY_STATES = frozenset({AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL})


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    BEST_SKILL = "best_skill"
    FEWEST_CALLS = "fewest_calls"


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """From ``after`` seconds of waiting on: required levels drop by ``lower_by`` (never
    below 1), the ``backup`` skill groups also qualify, and/or a callback is offered.
    Steps only relax, so an agent who qualified earlier in a wait still qualifies."""

    after: float
    lower_by: int = 0
    backup: tuple[tuple[tuple[str, int], ...], ...] = ()
    offer_callback: bool = False


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    skills: tuple[tuple[str, int], ...] = ()  # ordered: the first skill is the primary one
    priority: int = 0
    target_percent: int = 80
    target_seconds: float = 20.0
    strategy: Strategy = Strategy.LONGEST_IDLE
    escalation: tuple[EscalationStep, ...] = ()
    wrap_up: float | None = None  # None: the router's default
    # "agent": the agent ends wrap-up (wrap_up is its maximum); "timed": it ends by itself
    # after wrap_up (the agent may end it sooner). None: the router's default.
    wrap_up_mode: str | None = None


@dataclass(frozen=True, slots=True)
class AgentProfile:
    id: str
    extension: str
    skills: tuple[tuple[str, int], ...] = ()
    languages: frozenset[str] = frozenset()
    name: str = ""


@dataclass(slots=True)
class Agent:
    profile: AgentProfile
    skills: SkillMap
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0  # when the current state began (READY: idle since)
    reason: str = ""  # NOT_READY reason code
    call_id: str | None = None
    service: str = ""  # the service of the call held (wrap-up length)
    calls_today: int = 0
    day: int = 0
    refused: dict[str, float] = field(default_factory=dict)  # call id -> refused until
    wrap_up_until: float | None = None
    wrap_up_mode: str = "timed"  # of the wrap-up running now (the desk words it)
    # What the agent asked for while busy: applied when the call (and wrap-up) ends.
    after_call: AgentState | None = None
    after_call_reason: str = ""

    @property
    def id(self) -> str:
        return self.profile.id

    @property
    def extension(self) -> str:
        return self.profile.extension


@dataclass(slots=True)
class WaitingCall:
    call_id: str
    service: str
    queued_at: float  # the first time it queued: a re-queue or a callback keeps it
    priority: int  # service priority + caller priority (VIP)
    seq: int  # arrival order, breaks ties between equal queued_at
    language: str = ""
    extra: tuple[str, ...] = ()  # skills the IVR asked for on top of the service's
    callback: str | None = None  # a number to call back (virtual hold) instead of a caller
    offered_to: str | None = None  # agent id while reserved/ringing
    callback_offered: bool = False
    caller_priority: int = 0  # the IVR/CRM part of ``priority`` (kept across a reload)
    # Its dial was cancelled (DialEnd CANCEL): the caller is most likely hanging up, so it
    # is offered to nobody until it ends or a short grace runs out.
    parked: bool = False

    @property
    def group(self) -> tuple[str, int, str, tuple[str, ...]]:
        """Calls with equal groups have equal requirements: only their wait differs."""
        return (self.service, self.priority, self.language, self.extra)

    @property
    def order(self) -> tuple[int, float, int]:
        return (-self.priority, self.queued_at, self.seq)


@dataclass(frozen=True, slots=True)
class Offer:
    call_id: str
    agent_id: str
    extension: str
    callback: str | None = None


class RoutingError(Exception):
    """A command the router refuses (unknown agent, illegal state change); carries the id."""

    def __init__(self, subject: str, message: str) -> None:
        self.subject = subject
        super().__init__(f"{subject}: {message}")
