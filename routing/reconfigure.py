"""Router bookkeeping that is not matching: applying a new configuration and running the
escalation timers. Kept apart from ``router.py`` so the matching rules read on their own.

Both work on the router's own tables (a mixin, like ``agents.py``); neither reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from routing import policy
from routing.model import BUSY_STATES, Agent, AgentProfile, AgentState, Service, WaitingCall

if TYPE_CHECKING:
    from routing.router import Decision


class ReconfigureMixin:
    services: dict[str, Service]
    calls: dict[str, WaitingCall]
    agents: dict[str, Agent]
    by_extension: dict[str, str]
    _retired: set[str]
    _pending_calls: set[str]
    _pending_agents: dict[str, None]

    if TYPE_CHECKING:  # provided by Router and AgentsMixin; stubs here would shadow them

        def service(self, name: str) -> Service: ...
        def _group(self, call: WaitingCall) -> None: ...
        def _ungroup(self, call: WaitingCall) -> None: ...
        def _timer(self, at: float, kind: str, key: str) -> None: ...
        def _leave_ready(self, agent: Agent) -> None: ...
        def _add_profile(self, profile: AgentProfile) -> Agent: ...

    ready: Any  # the ReadyIndex (agents.py)

    def configure(
        self, services: Iterable[Service], profiles: Iterable[AgentProfile], now: float
    ) -> None:
        """A new routing configuration: agents keep their state and calls their wait."""
        self.services = {s.name: s for s in services}
        for call in list(self.calls.values()):
            waiting = call.offered_to is None
            if waiting:
                self._ungroup(call)
            svc = self.service(call.service)
            call.priority = svc.priority + call.caller_priority
            if waiting:
                self._group(call)
            nxt = policy.next_step_at(svc, call, now)
            if nxt is not None:
                self._timer(nxt, "escalate", call.call_id)
        wanted = {p.id: p for p in profiles}
        for aid, agent in list(self.agents.items()):
            if aid in wanted:
                continue
            if agent.state in BUSY_STATES or agent.state == AgentState.WRAP_UP:
                self._retired.add(aid)  # leaves when the call it holds is over
            else:
                self._leave_ready(agent)
                del self.agents[aid]
                self.by_extension.pop(agent.extension, None)
        for profile in wanted.values():
            agent = self.agents.get(profile.id)
            if agent is None:
                self._add_profile(profile)
                continue
            self._retired.discard(profile.id)
            was_ready = agent.state == AgentState.READY
            self._leave_ready(agent)
            if self.by_extension.get(agent.extension) == agent.id:
                del self.by_extension[agent.extension]
            agent.profile, agent.skills = profile, dict(profile.skills)
            self.by_extension[profile.extension] = profile.id
            if was_ready:
                # Re-indexed under the new skills; pending so decide() looks at it again.
                self.ready.add(agent)
                self._pending_agents[agent.id] = None

    def _escalate(self, at: float, key: str, now: float, out: Decision) -> None:
        """An escalation timer fired: the call may now qualify for more agents, and a
        step may offer a callback (once per call)."""
        call = self.calls.get(key)
        if call is None:
            return
        svc = self.service(call.service)
        steps = policy.step_in_force(svc, call.queued_at, now)
        if (
            steps
            and svc.escalation[steps - 1].offer_callback
            and not call.callback_offered
            and call.callback is None
        ):
            call.callback_offered = True
            out.callback_offers.append(key)
        if call.offered_to is None:
            self._pending_calls.add(key)
        expected = call.queued_at + svc.escalation[steps - 1].after if steps else None
        nxt = policy.next_step_at(svc, call, now)
        # Only the timer of the step in force schedules the next one: a call whose
        # service changed (or a reload) leaves stale timers that must not fork.
        if nxt is not None and expected is not None and abs(at - expected) < 1e-6:
            self._timer(nxt, "escalate", key)
