"""Who is waiting and who is free: the routing board, pure.

This is the engine's first router: the oldest waiting call goes to the longest-idle
ready agent who has the service's skills. It takes time as an argument and performs no
I/O; the executor carries its offers out through AMI. (The skill-routing issue grows the
policy: levels, priorities, escalation.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RESERVED = "reserved"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    NOT_READY = "not_ready"


@dataclass(slots=True)
class Agent:
    id: str
    extension: str
    skills: dict[str, int]
    state: AgentState = AgentState.READY
    since: float = 0.0
    call_id: str | None = None
    refused: dict[str, float] = field(default_factory=dict)  # call id -> when it rang out
    wrap_up_until: float | None = None


@dataclass(slots=True)
class Waiting:
    call_id: str
    service: str
    queued_at: float
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Offer:
    call_id: str
    agent_id: str
    extension: str


class Board:
    def __init__(self, *, refuse_cooldown: float = 30.0, reserve_timeout: float = 10.0) -> None:
        self.agents: dict[str, Agent] = {}
        self.by_extension: dict[str, str] = {}
        self.waiting: dict[str, Waiting] = {}
        self.required: dict[str, dict[str, int]] = {}
        self.refuse_cooldown = refuse_cooldown
        self.reserve_timeout = reserve_timeout

    def add_agent(self, agent: Agent) -> None:
        self.agents[agent.id] = agent
        self.by_extension[agent.extension] = agent.id

    def agent_by_extension(self, extension: str) -> Agent | None:
        aid = self.by_extension.get(extension)
        return self.agents.get(aid) if aid else None

    def set_state(
        self, agent: Agent, state: AgentState, now: float, call_id: str | None = None
    ) -> None:
        agent.state = state
        agent.since = now
        agent.call_id = call_id

    # -- calls ------------------------------------------------------------------------
    def enqueue(self, call_id: str, service: str, now: float, priority: int = 0) -> None:
        current = self.waiting.get(call_id)
        queued_at = current.queued_at if current else now  # a re-queue keeps its wait
        self.waiting[call_id] = Waiting(call_id, service, queued_at, priority)

    def remove_call(self, call_id: str) -> None:
        self.waiting.pop(call_id, None)

    def qualified(self, agent: Agent, service: str) -> bool:
        need = self.required.get(service, {})
        return all(agent.skills.get(skill, 0) >= level for skill, level in need.items())

    def offers(self, now: float) -> list[Offer]:
        """Pair waiting calls (priority, then longest wait) with ready agents (longest
        idle first). An agent who let this call ring out is not offered it again until
        ``refuse_cooldown`` has passed."""
        out: list[Offer] = []
        busy_calls = {a.call_id for a in self.agents.values() if a.call_id}
        calls = sorted(
            (w for w in self.waiting.values() if w.call_id not in busy_calls),
            key=lambda w: (-w.priority, w.queued_at),
        )
        ready = sorted(
            (a for a in self.agents.values() if a.state == AgentState.READY),
            key=lambda a: a.since,
        )
        for call in calls:
            for agent in ready:
                refused_at = agent.refused.get(call.call_id)
                if refused_at is not None and now - refused_at < self.refuse_cooldown:
                    continue
                if not self.qualified(agent, call.service):
                    continue
                ready.remove(agent)
                self.set_state(agent, AgentState.RESERVED, now, call.call_id)
                out.append(Offer(call.call_id, agent.id, agent.extension))
                break
        return out

    # -- outcomes ---------------------------------------------------------------------
    def ringing(self, extension: str, call_id: str, now: float) -> None:
        agent = self.agent_by_extension(extension)
        if agent is not None:
            self.set_state(agent, AgentState.RINGING, now, call_id)

    def answered(self, extension: str, call_id: str, now: float) -> None:
        self.waiting.pop(call_id, None)
        agent = self.agent_by_extension(extension)
        if agent is not None:
            self.set_state(agent, AgentState.ON_CALL, now, call_id)

    def offer_failed(self, agent_id: str, call_id: str, now: float, *, refused: bool) -> None:
        """The agent did not take the call (no answer, busy, or the redirect failed)."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.call_id != call_id:
            return
        if refused:
            agent.refused[call_id] = now
        self.set_state(agent, AgentState.READY, now)

    def call_ended(self, call_id: str, answered_by: str | None, now: float, wrap_up: float) -> None:
        self.waiting.pop(call_id, None)
        for agent in self.agents.values():
            agent.refused.pop(call_id, None)
            if agent.call_id != call_id:
                continue
            if answered_by == agent.extension and wrap_up > 0:
                self.set_state(agent, AgentState.WRAP_UP, now, call_id)
                agent.wrap_up_until = now + wrap_up
            else:
                self.set_state(agent, AgentState.READY, now)

    def wrap_ups_due(self, now: float) -> list[tuple[Agent, str]]:
        due = []
        for agent in self.agents.values():
            if (
                agent.state == AgentState.WRAP_UP
                and agent.wrap_up_until is not None
                and agent.wrap_up_until <= now
            ):
                due.append((agent, agent.call_id or ""))
                agent.wrap_up_until = None
                self.set_state(agent, AgentState.READY, now)
        return due

    def stale_reservations(self, now: float) -> list[Agent]:
        """Reserved agents whose offer never started ringing: released by the watchdog."""
        stale = [
            a
            for a in self.agents.values()
            if a.state == AgentState.RESERVED and now - a.since > self.reserve_timeout
        ]
        for agent in stale:
            self.set_state(agent, AgentState.READY, now)
        return stale

    def next_deadline(self) -> float | None:
        times = [a.wrap_up_until for a in self.agents.values() if a.wrap_up_until is not None]
        times += [
            a.since + self.reserve_timeout
            for a in self.agents.values()
            if a.state == AgentState.RESERVED
        ]
        return min(times) if times else None
