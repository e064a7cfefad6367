"""An answered call changing hands: the agent who leaves it, and an offer to a chosen agent.

A transfer from the desktop takes the caller out of the first agent's bridge; Asterisk
then only hangs up that agent's leg, and the call (still live) says nothing about it.
``left`` is that input: the agent goes to wrap-up for the call (or is freed) while the
call carries on with whoever takes it next. ``direct`` offers a live call to one named
agent through the usual reservation, so a transfer to an agent is tracked like any
offer: if that agent does not answer, the no-answer puts the call back to waiting.

A mixin on the router's own tables, like ``agents.py``; pure, ``now`` is an argument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from routing.model import Agent, AgentState, Offer, RoutingError, Service, WaitingCall

if TYPE_CHECKING:
    from routing.agents import Done


class HandoverMixin:
    agents: dict[str, Agent]
    calls: dict[str, WaitingCall]
    services: dict[str, Service]
    wrap_up: float
    _directed: list[Offer]

    if TYPE_CHECKING:  # provided by Router and AgentsMixin; stubs here would shadow them

        def _get(self, agent_id: str) -> Agent: ...
        def _move(
            self,
            agent: Agent,
            state: AgentState,
            now: float,
            call_id: str | None = None,
            reason: str = "",
        ) -> None: ...
        def _free(self, agent: Agent, now: float) -> None: ...
        def _start_wrap_up(self, agent: Agent, call_id: str, now: float) -> bool: ...
        def _timer(self, at: float, kind: str, key: str) -> None: ...
        def _assign(self, agent: Agent, call: WaitingCall, now: float) -> Offer: ...
        def enqueue(
            self,
            call_id: str,
            service: str,
            now: float,
            *,
            priority: int = 0,
            language: str = "",
            extra: tuple[str, ...] = (),
            callback: str | None = None,
            queued_at: float | None = None,
        ) -> WaitingCall: ...

    def left(self, agent_id: str, call_id: str, now: float) -> Done:
        """The agent's part in a still-live call is over (they transferred it away).

        An agent on the call goes to wrap-up for it, as if it had ended for them; with
        no wrap-up time they are free at once and the pair is returned as done. Anything
        else (another call, already wrapping up, never on it) is left alone."""
        agent = self._get(agent_id)
        if agent.call_id != call_id or agent.state != AgentState.ON_CALL:
            return []
        if self._start_wrap_up(agent, call_id, now):
            return []
        self._free(agent, now)
        return [(agent.id, call_id)]

    def direct(
        self, call_id: str, service: str, agent_id: str, now: float, *, queued_at: float | None
    ) -> Offer:
        """Offer a live call to this agent only: reserve them now (RoutingError if they
        are not ready). The offer comes out of the next ``decide``; what follows (ring,
        answer, no answer) is the ordinary path, and a no-answer leaves the call waiting
        for ``service`` like any other, keeping ``queued_at`` as its place."""
        agent = self._get(agent_id)
        if agent.state != AgentState.READY:
            raise RoutingError(agent_id, f"cannot take a transfer while {agent.state.value}")
        known = self.calls.get(call_id)
        if known is not None and known.offered_to is not None:
            raise RoutingError(agent_id, "the call is already being offered")
        call = self.enqueue(call_id, service, now, queued_at=queued_at)
        offer = self._assign(agent, call, now)
        self._directed.append(offer)
        return offer

    def take_directed(self) -> list[Offer]:
        out, self._directed = self._directed, []
        return out
