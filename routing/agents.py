"""Agent states for the router: the commands agents give, the table of what is allowed,
and what happens when a call (or a wrap-up) lets an agent go.

One call per agent: only READY agents are in the ready index, and an offer moves the
agent to RESERVED before anything else can see them. Commands given while the agent is
busy (not ready, log out) take effect when the call and its wrap-up end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from routing.index import ReadyIndex
from routing.model import BUSY_STATES, Agent, AgentProfile, AgentState, RoutingError, Service

if TYPE_CHECKING:
    from routing.router import Decision

S = AgentState
# command -> states it may be given in; busy states defer it until the call is over.
ALLOWED: dict[str, frozenset[AgentState]] = {
    "login": frozenset({S.LOGGED_OUT}),
    "ready": frozenset({S.READY, S.NOT_READY, S.WRAP_UP, *BUSY_STATES}),
    "not_ready": frozenset({S.READY, S.NOT_READY, S.WRAP_UP, *BUSY_STATES}),
    "logout": frozenset({S.READY, S.NOT_READY, S.WRAP_UP, S.LOGGED_OUT, *BUSY_STATES}),
}

Done = list[tuple[str, str]]  # (agent id, call id) whose wrap-up is over


class AgentsMixin:
    agents: dict[str, Agent]
    services: dict[str, Service]
    reserve_timeout: float
    ring_timeout: float
    wrap_up: float
    wrap_up_mode: str

    def release(self, agent_id: str, now: float) -> None: ...
    def _hold_for(self, agent: Agent) -> float: ...
    def _timer(self, at: float, kind: str, key: str) -> None: ...

    def _init_agents(self, profiles: Iterable[AgentProfile]) -> None:
        self.agents = {}
        self.by_extension: dict[str, str] = {}
        self.ready = ReadyIndex()
        self._pending_agents: dict[str, None] = {}
        self._holding: dict[str, set[str]] = {}  # call id -> agents holding it
        self._retired: set[str] = set()
        for p in profiles:
            self._add_profile(p)

    def _add_profile(self, profile: AgentProfile) -> Agent:
        agent = Agent(profile, dict(profile.skills))
        self.agents[profile.id] = agent
        self.by_extension[profile.extension] = profile.id
        return agent

    def agent_by_extension(self, extension: str) -> Agent | None:
        aid = self.by_extension.get(extension)
        return self.agents.get(aid) if aid else None

    def _get(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise RoutingError(agent_id, "no such agent")
        return agent

    # -- the one place states change ------------------------------------------------------
    def _move(
        self,
        agent: Agent,
        state: AgentState,
        now: float,
        call_id: str | None = None,
        reason: str = "",
    ) -> None:
        if agent.call_id and agent.call_id != call_id:
            held = self._holding.get(agent.call_id)
            if held is not None:
                held.discard(agent.id)
                if not held:
                    del self._holding[agent.call_id]
        if call_id:
            self._holding.setdefault(call_id, set()).add(agent.id)
        agent.state, agent.since, agent.call_id, agent.reason = state, now, call_id, reason
        if state == AgentState.READY:
            self.ready.add(agent)
            self._pending_agents[agent.id] = None

    def _leave_ready(self, agent: Agent) -> None:
        if agent.state == AgentState.READY:
            self.ready.remove(agent)

    def holders(self, call_id: str) -> list[Agent]:
        """The agents reserved, ringing, on the call or wrapping it up."""
        return self._agents_on(call_id)

    def _agents_on(self, call_id: str) -> list[Agent]:
        return [self.agents[a] for a in tuple(self._holding.get(call_id, ())) if a in self.agents]

    def _free(self, agent: Agent, now: float) -> None:
        """The agent's call (and wrap-up) is over: ready, or what they asked for meanwhile."""
        agent.wrap_up_until = None
        target, reason = agent.after_call or AgentState.READY, agent.after_call_reason
        agent.after_call, agent.after_call_reason = None, ""
        if agent.id in self._retired:
            target = AgentState.LOGGED_OUT
        self._move(agent, target, now, None, reason)
        if agent.id in self._retired:
            self._retired.discard(agent.id)
            del self.agents[agent.id]
            if self.by_extension.get(agent.extension) == agent.id:
                del self.by_extension[agent.extension]

    def _start_wrap_up(self, agent: Agent, call_id: str, now: float) -> bool:
        """The agent's part in the call is over: wrap-up for it, if the service has one.

        Both modes end on a timer: in "agent" mode it is only the maximum, the desk tells
        the agent to end it themselves; either way only READY agents are offered calls,
        so nothing reaches an agent in wrap-up."""
        svc = self.services.get(agent.service)
        wrap = self.wrap_up if svc is None or svc.wrap_up is None else svc.wrap_up
        if wrap <= 0:
            return False
        mode = self.wrap_up_mode if svc is None or svc.wrap_up_mode is None else svc.wrap_up_mode
        agent.wrap_up_until, agent.wrap_up_mode = now + wrap, mode
        self._move(agent, AgentState.WRAP_UP, now, call_id)
        self._timer(now + wrap, "wrap", agent.id)
        return True

    def _agent_timer(self, kind: str, aid: str, at: float, now: float, out: Decision) -> None:
        agent = self.agents.get(aid)
        if agent is None:
            return
        if kind == "wrap":
            if (
                agent.state == AgentState.WRAP_UP
                and agent.wrap_up_until is not None
                and agent.wrap_up_until <= now
            ):
                out.wrap_ups_done.append((aid, agent.call_id or ""))
                self._free(agent, now)
        elif kind == "reserve":
            if agent.state == AgentState.RESERVED and agent.since + self._hold_for(agent) <= now:
                out.expired.append((aid, agent.call_id or ""))
                self.release(aid, now)
        elif kind == "ring":
            if agent.state == AgentState.RINGING and agent.since + self.ring_timeout <= now:
                out.overdue.append((aid, agent.call_id or ""))
                self._timer(now + self.ring_timeout, "ring", aid)  # ask again later

    # -- commands (the agent desktop / API) -----------------------------------------------
    def _check(self, agent: Agent, command: str) -> None:
        if agent.state not in ALLOWED[command]:
            raise RoutingError(
                agent.id,
                f"cannot {command.replace('_', ' ')} while {agent.state.value.replace('_', ' ')}",
            )

    def login(self, agent_id: str, now: float, *, ready: bool = False) -> None:
        agent = self._get(agent_id)
        self._check(agent, "login")
        if ready:
            self._move(agent, AgentState.READY, now)
        else:
            self._move(agent, AgentState.NOT_READY, now, reason="login")

    def set_ready(self, agent_id: str, now: float) -> Done:
        agent = self._get(agent_id)
        self._check(agent, "ready")
        if agent.state in BUSY_STATES:
            agent.after_call, agent.after_call_reason = None, ""
            return []
        done = self._end_wrap_up(agent)
        if agent.state != AgentState.READY:
            self._move(agent, AgentState.READY, now)
        return done

    def set_not_ready(self, agent_id: str, now: float, reason: str = "") -> Done:
        agent = self._get(agent_id)
        self._check(agent, "not_ready")
        if agent.state in BUSY_STATES:
            agent.after_call, agent.after_call_reason = AgentState.NOT_READY, reason
            return []
        done = self._end_wrap_up(agent)
        self._leave_ready(agent)
        self._move(agent, AgentState.NOT_READY, now, reason=reason)
        return done

    def logout(self, agent_id: str, now: float) -> Done:
        agent = self._get(agent_id)
        self._check(agent, "logout")
        if agent.state in BUSY_STATES:
            agent.after_call, agent.after_call_reason = AgentState.LOGGED_OUT, ""
            return []
        done = self._end_wrap_up(agent)
        self._leave_ready(agent)
        self._move(agent, AgentState.LOGGED_OUT, now)
        return done

    def _end_wrap_up(self, agent: Agent) -> Done:
        if agent.state != AgentState.WRAP_UP:
            return []
        agent.wrap_up_until = None
        return [(agent.id, agent.call_id or "")]
