"""Calls and channels as the call model holds them, and what an ended call reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CallState(StrEnum):
    NEW = "new"
    IN_IVR = "ivr"
    WAITING = "waiting"
    RINGING = "ringing"
    CONNECTED = "connected"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"
    ENDED = "ended"


LIVE_STATES = frozenset(
    {
        CallState.NEW,
        CallState.IN_IVR,
        CallState.WAITING,
        CallState.RINGING,
        CallState.CONNECTED,
        CallState.ON_HOLD,
    }
)


@dataclass(slots=True)
class Channel:
    uniqueid: str
    name: str
    call_id: str
    role: str  # "caller" or "agent"
    agent: str = ""
    bridge: str = ""


@dataclass(slots=True)
class Call:
    call_id: str
    caller_number: str
    caller_name: str
    started_at: float
    state: CallState = CallState.NEW
    timeline: list[tuple[str, float]] = field(default_factory=list)
    channels: set[str] = field(default_factory=set)
    queued_at: float | None = None
    service: str = ""
    ringing_agents: dict[str, str] = field(default_factory=dict)  # dest channel -> agent
    answered_by: str | None = None
    answered_at: float | None = None
    agents_offered: list[str] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    transfers: int = 0
    ivr_steps: list[dict[str, object]] = field(default_factory=list)
    hold_seconds: float = 0.0
    held_since: float | None = None
    cause: str = ""
    adopted: bool = False  # known only from the journal of an engine that died
    offering: str = ""  # extension routing is ringing now (its leg may not name it)
    # Click-to-call: the call began as a leg to this agent (Local/<ext>@<agent context>);
    # the party it dials is the customer, and the agent is the one who answered.
    outbound_agent: str = ""
    dial_channel: str = ""  # the channel that dialled the answering party (gets recorded)
    cut_by: str = ""  # "pbx_restart": Asterisk hung it up because it shut down

    def waited(self, now: float) -> float:
        return 0.0 if self.queued_at is None else max(0.0, now - self.queued_at)

    def move(self, state: CallState, at: float) -> None:
        if self.state != state:
            self.state = state
            # An adopted call's timeline (from the journal) may already end in this state.
            if not self.timeline or self.timeline[-1][0] != state.value:
                self.timeline.append((state.value, at))


def channel_base(name: str) -> str:
    """``Local/1001@agents-00000002;1`` -> ``Local/1001@agents-00000002``."""
    return name.rsplit(";", 1)[0] if name.startswith("Local/") else name


def agent_from_channel(name: str) -> str:
    """The endpoint an agent leg rings: ``Local/1001@agents-0000002a;1`` and
    ``PJSIP/1001-0000000a`` both give ``1001``; an interface (``Local/1001@agents``,
    ``PJSIP/1001``) gives the same."""
    tech, _, rest = name.partition("/")
    if not rest:
        return name
    if tech == "Local":
        return rest.split("@", 1)[0]
    return rest.rsplit("-", 1)[0] if "-" in rest else rest


def summarize(call: Call, now: float) -> dict[str, object]:
    """What the CRM's interaction row needs from the telephony side."""
    talk = 0.0 if call.answered_at is None else max(0.0, now - call.answered_at)
    wait = 0.0
    if call.queued_at is not None:
        wait = max(0.0, (call.answered_at or now) - call.queued_at)
    return {
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "started_at": call.started_at,
        "ended_at": now,
        "service": call.service,
        "agents_offered": list(call.agents_offered),
        "answered_by": call.answered_by,
        "wait_seconds": round(wait, 3),
        "talk_seconds": round(talk, 3),
        "hold_seconds": round(call.hold_seconds, 3),
        "transfers": call.transfers,
        "recordings": list(call.recordings),
        "ivr_steps": list(call.ivr_steps),
        "timeline": list(call.timeline),
    }


def journey(call: Call) -> dict[str, object]:
    """What a restarted engine needs to go on with a live call (kept in the journal)."""
    return {
        "service": call.service,
        "queued_at": call.queued_at,
        "answered_at": call.answered_at,
        "agents_offered": list(call.agents_offered),
        "ivr_steps": list(call.ivr_steps),
        "hold_seconds": call.hold_seconds,
        "transfers": call.transfers,
        "timeline": [list(step) for step in call.timeline],
    }


def restore_journey(call: Call, info: dict[str, object]) -> None:
    def num(key: str) -> float | None:
        value = info.get(key)
        return float(value) if isinstance(value, (int, float)) else None

    call.service = str(info.get("service") or "")
    call.queued_at = num("queued_at")
    call.answered_at = num("answered_at")  # the talk started then, not at the restart
    call.agents_offered = [str(a) for a in info.get("agents_offered") or []]  # type: ignore[union-attr]
    call.ivr_steps = [dict(s) for s in info.get("ivr_steps") or []]  # type: ignore[union-attr]
    call.hold_seconds = num("hold_seconds") or 0.0
    call.transfers = int(num("transfers") or 0)
    steps = info.get("timeline") or []
    if steps:
        call.timeline = [(str(st), float(at)) for st, at in steps]  # type: ignore[union-attr,misc]
