"""Shared live state: what every node can know about calls and agents, and its Redis keys.

The active engine folds every domain event into a :class:`LiveState` and writes the
resulting changes to two hashes *in the same script* that appends the events to the
stream, so a snapshot of the hashes taken with the stream's last id is exactly the fold
of the stream up to that id. A web node starts from such a snapshot and follows the
stream; a standby taking over reads the snapshot to learn which calls the dead node
believed live (the ones Asterisk no longer has ended while no engine was watching).

Pure: no Redis, no clock. :class:`Keys` only names things.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cti import events as ev
from cti.cluster.codec import register


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str = "cti"

    @property
    def lease(self) -> str:
        return f"{self.prefix}:lease"

    @property
    def stream(self) -> str:
        return f"{self.prefix}:events"

    @property
    def calls(self) -> str:
        return f"{self.prefix}:calls"

    @property
    def agents(self) -> str:
        return f"{self.prefix}:agents"

    @property
    def unwritten(self) -> str:
        """call id -> encoded CallEnded not yet confirmed in the CRM (the shared journal)."""
        return f"{self.prefix}:unwritten"

    @property
    def takeovers(self) -> str:
        return f"{self.prefix}:takeovers"

    def node(self, node_id: str) -> str:
        return f"{self.prefix}:node:{node_id}"


@register
@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """Routing's view of one agent changed (it has no event of its own for this)."""

    agent: str
    state: str
    call_id: str | None
    at: float


# (hash, field, JSON value or None to delete); hash is "calls" or "agents".
Change = tuple[str, str, str | None]

_CALL_STATES: dict[type, str] = {
    ev.IvrEntered: "ivr",
    ev.CallQueued: "waiting",
    ev.AgentRinging: "ringing",
    ev.CallAnswered: "talking",
    ev.CallHeld: "held",
    ev.CallResumed: "talking",
}


class LiveState:
    """Live calls and agents, kept from the event stream."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.agents: dict[str, dict[str, Any]] = {}

    def load(self, calls: dict[str, str], agents: dict[str, str]) -> None:
        self.calls = {k: json.loads(v) for k, v in calls.items()}
        self.agents = {k: json.loads(v) for k, v in agents.items()}

    def dumps(self) -> tuple[dict[str, str], dict[str, str]]:
        return (
            {k: _json(v) for k, v in self.calls.items()},
            {k: _json(v) for k, v in self.agents.items()},
        )

    def apply(self, event: Any) -> list[Change]:
        if isinstance(event, AgentStateChanged):
            entry = {"state": event.state, "call_id": event.call_id, "since": event.at}
            self.agents[event.agent] = entry
            return [("agents", event.agent, _json(entry))]
        if isinstance(event, ev.CallEnded):
            if self.calls.pop(event.call_id, None) is None:
                return []
            return [("calls", event.call_id, None)]
        if isinstance(event, ev.CallStarted):
            call = self.calls.setdefault(event.call_id, {})
            call.update(
                started_at=event.at,
                caller_number=event.caller_number,
                caller_name=event.caller_name,
                state=call.get("state", "new"),
            )
            return [("calls", event.call_id, _json(call))]
        state = _CALL_STATES.get(type(event))
        if state is None or event.call_id not in self.calls:
            return []
        call = self.calls[event.call_id]
        call["state"] = state
        if isinstance(event, ev.CallQueued):
            call["service"] = event.service
            call.setdefault("queued_at", event.at)
        elif isinstance(event, ev.AgentRinging):
            offered = call.setdefault("agents_offered", [])
            offered.append(event.agent)
        elif isinstance(event, ev.CallAnswered):
            call["answered_by"] = event.agent
            call["answered_at"] = event.at
        return [("calls", event.call_id, _json(call))]


def agent_changes(
    known: dict[str, tuple[str, str | None]],
    current: Iterable[tuple[str, str, str | None]],
    now: float,
) -> list[AgentStateChanged]:
    """Diff routing's agents (id, state, call id) against what was last published, and
    update ``known``."""
    out = []
    for agent, state, call_id in current:
        if known.get(agent) != (state, call_id):
            known[agent] = (state, call_id)
            out.append(AgentStateChanged(agent, state, call_id, now))
    return out


def ended_while_away(
    believed_live: dict[str, dict[str, Any]], known_now: Iterable[str], now: float
) -> list[ev.CallEnded]:
    """Calls the previous active engine believed live that the new one (after its
    resync) does not know: they ended while no engine watched. Their interaction is
    written from what the stream had said about them."""
    known = set(known_now)
    out = []
    for call_id, call in sorted(believed_live.items()):
        if call_id in known:
            continue
        summary = {
            "started_at": call.get("started_at"),
            "ended_at": now,
            "caller_number": call.get("caller_number", ""),
            "caller_name": call.get("caller_name", ""),
            "service": call.get("service"),
            "agents_offered": list(call.get("agents_offered", [])),
            "wait_seconds": _wait(call),
        }
        out.append(
            ev.CallEnded(
                call_id,
                now,
                "lost_during_disconnect",
                answered_by=call.get("answered_by"),
                summary=summary,
            )
        )
    return out


def _wait(call: dict[str, Any]) -> float:
    queued, answered = call.get("queued_at"), call.get("answered_at")
    if queued is None or answered is None:
        return 0.0
    return max(0.0, float(answered) - float(queued))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
