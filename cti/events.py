"""Domain events: what happened to calls, in the engine's own words.

They are frozen dataclasses (compared with ``==`` in tests), named in the past tense, and
carry plain values only, so every subscriber (routing, CRM writer, desktop, wallboard,
recordings) can consume them without knowing AMI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DomainEvent:
    call_id: str
    at: float


@dataclass(frozen=True, slots=True)
class CallStarted(DomainEvent):
    caller_number: str
    caller_name: str
    channel: str
    server: str = "default"


@dataclass(frozen=True, slots=True)
class IvrEntered(DomainEvent):
    channel: str
    script: str = ""


@dataclass(frozen=True, slots=True)
class IvrStepTaken(DomainEvent):
    node: str
    prompt: str = ""
    key: str = ""
    recognized: str = ""
    confidence: float | None = None
    language: str = ""


@dataclass(frozen=True, slots=True)
class CallQueued(DomainEvent):
    service: str
    skills: tuple[str, ...] = ()
    priority: int = 0
    source: str = "engine"  # "engine" (our IVR hand-off) or "app_queue"


@dataclass(frozen=True, slots=True)
class AgentRinging(DomainEvent):
    agent: str
    channel: str
    waited: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentNoAnswer(DomainEvent):
    agent: str
    status: str  # NOANSWER, BUSY, CHANUNAVAIL, CANCEL, CONGESTION


@dataclass(frozen=True, slots=True)
class CallAnswered(DomainEvent):
    agent: str
    channel: str
    waited: float = 0.0


@dataclass(frozen=True, slots=True)
class CallHeld(DomainEvent):
    channel: str


@dataclass(frozen=True, slots=True)
class CallResumed(DomainEvent):
    channel: str


@dataclass(frozen=True, slots=True)
class CallTransferred(DomainEvent):
    kind: str  # "blind" or "attended"
    target: str
    merged_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingStarted(DomainEvent):
    channel: str
    uniqueid: str


@dataclass(frozen=True, slots=True)
class RecordingStopped(DomainEvent):
    channel: str
    uniqueid: str


@dataclass(frozen=True, slots=True)
class SensitiveInputStarted(DomainEvent):
    """The IVR is about to collect digits flagged sensitive (a card number): the call's
    recording is muted until :class:`SensitiveInputEnded`."""

    reason: str = "ivr"


@dataclass(frozen=True, slots=True)
class SensitiveInputEnded(DomainEvent):
    pass


@dataclass(frozen=True, slots=True)
class CallEnded(DomainEvent):
    """The telephony part is over: every channel of the call has hung up."""

    # completed, abandoned, ivr_hangup, no_agent, lost_during_disconnect, callback,
    # pbx_restart (Asterisk shut down or restarted under the call)
    reason: str
    cause: str = ""
    answered_by: str | None = None
    timeline: tuple[tuple[str, float], ...] = ()
    summary: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class WrapUpCompleted(DomainEvent):
    agent: str


@dataclass(frozen=True, slots=True)
class AmiConnected:
    at: float
    server: str
    version: str


@dataclass(frozen=True, slots=True)
class AmiDisconnected:
    at: float
    server: str
    reason: str


@dataclass(frozen=True, slots=True)
class QueueMemberState:
    queue: str
    interface: str
    name: str
    status: int
    paused: bool
    calls_taken: int


@dataclass(frozen=True, slots=True)
class QueuesResynced:
    """app_queue's queues as QueueStatus lists them after a (re)connect: who is a member,
    paused or not, and which callers wait (Linkedid unknown: QueueEntry carries none)."""

    at: float
    server: str
    members: tuple[QueueMemberState, ...]
    waiting: tuple[tuple[str, str, int], ...]  # (queue, channel, seconds waited)


@dataclass(frozen=True, slots=True)
class AmiResynced:
    at: float
    server: str
    live_calls: int
    ended_while_away: int
    found_while_away: int
