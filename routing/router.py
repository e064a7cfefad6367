"""The decision core: who takes which call, as a pure object.

Every method takes ``now`` as an argument; nothing here reads a clock, sleeps or does
I/O. The executor feeds it what Asterisk reported (queued, ringing, answered, no answer,
ended) and the agents' commands, calls ``decide(now)`` and carries the offers out.

Matching keeps one invariant between decisions: no waiting call has a ready, qualified
agent who has not refused it. Only a change can break it (a call arrives or comes back,
an agent becomes ready, an escalation step or a refusal cooldown runs out), so
``decide`` looks only at what changed, which keeps it fast with 10,000 waiting calls:
changed calls, and for each newly ready agent the first call it qualifies for in each
group of like calls, are taken in order (priority, then original wait) and each picks
its agent by the service's strategy.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from sortedcontainers import SortedList

from routing import policy
from routing.agents import AgentsMixin
from routing.handover import HandoverMixin
from routing.model import (
    Agent,
    AgentProfile,
    AgentState,
    Offer,
    Service,
    Strategy,
    WaitingCall,
)
from routing.reconfigure import ReconfigureMixin

RING_CODES_REFUSED = frozenset({"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"})
# A cancelled dial means the caller's channel left Dial(): on a real Asterisk the caller's
# Hangup follows 0-0.8 ms later, often in another TCP read. The call is parked this long
# before it may be offered again (only if no hang-up came: a redirect by someone else).
CANCEL_GRACE = 2.0


@dataclass(slots=True)
class Decision:
    offers: list[Offer] = field(default_factory=list)
    wrap_ups_done: list[tuple[str, str]] = field(default_factory=list)  # (agent, call)
    expired: list[tuple[str, str]] = field(default_factory=list)  # reservations released
    overdue: list[tuple[str, str]] = field(default_factory=list)  # ringing too long: check
    callback_offers: list[str] = field(default_factory=list)  # calls to offer a callback


@dataclass(slots=True)
class ServiceStats:
    queued: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0


class Router(ReconfigureMixin, HandoverMixin, AgentsMixin):
    def __init__(
        self,
        services: Iterable[Service] = (),
        agents: Iterable[AgentProfile] = (),
        *,
        wrap_up: float = 10.0,
        wrap_up_mode: str = "timed",
        refuse_cooldown: float = 30.0,
        reserve_timeout: float = 10.0,
        ring_timeout: float = 60.0,
        utc_offset: float = 0.0,
    ) -> None:
        self.services: dict[str, Service] = {s.name: s for s in services}
        self.wrap_up = wrap_up
        self.wrap_up_mode = wrap_up_mode
        self.refuse_cooldown = refuse_cooldown
        self.reserve_timeout = reserve_timeout
        self.ring_timeout = ring_timeout
        self.callback_timeout = 45.0
        self.utc_offset = utc_offset
        self.calls: dict[str, WaitingCall] = {}
        self.groups: dict[tuple[str, int, str, tuple[str, ...]], SortedList] = {}
        self.stats: dict[str, ServiceStats] = {}
        self._refusers: dict[str, set[str]] = {}  # call id -> agents who refused it
        self._timers: list[tuple[float, int, str, str]] = []  # (at, seq, kind, key)
        self._tseq = 0
        self._seq = 0
        self._pending_calls: set[str] = set()
        self._directed: list[Offer] = []  # transfers to a named agent, not yet performed
        self._init_agents(agents)

    # -- services ------------------------------------------------------------------------
    def service(self, name: str) -> Service:
        svc = self.services.get(name)
        if svc is None:
            # A call for a service nobody configured still gets an agent rather than
            # waiting forever: it has no skill requirement.
            svc = self.services[name] = Service(name)
        return svc

    # -- timers --------------------------------------------------------------------------
    def _timer(self, at: float, kind: str, key: str) -> None:
        self._tseq += 1
        heapq.heappush(self._timers, (at, self._tseq, kind, key))

    def next_deadline(self) -> float | None:
        """When ``decide`` has something to do without any new input."""
        return self._timers[0][0] if self._timers else None

    # -- calls ---------------------------------------------------------------------------
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
    ) -> WaitingCall:
        """A call waits for an agent. A call already known keeps its original wait."""
        known = self.calls.get(call_id)
        if known is not None and known.parked:
            self._unpark(call_id)  # queued again (a redirect to hold): offerable at once
        if known is not None:
            if known.offered_to is None and known.service == service:
                return known
            if known.offered_to is not None:
                return known  # being offered: the outcome decides what happens next
            self._ungroup(known)
            queued = known.queued_at
            seq = known.seq
        else:
            queued = now if queued_at is None else queued_at
            self._seq += 1
            seq = self._seq
            self.stats.setdefault(service, ServiceStats()).queued += 1
        svc = self.service(service)
        call = WaitingCall(
            call_id,
            service,
            queued,
            svc.priority + priority,
            seq,
            language,
            tuple(sorted(extra)),
            callback,
            caller_priority=priority,
        )
        self.calls[call_id] = call
        self._group(call)
        nxt = policy.next_step_at(svc, call, now)
        if nxt is not None:
            self._timer(nxt, "escalate", call_id)
        return call

    def _group(self, call: WaitingCall) -> None:
        group = self.groups.get(call.group)
        if group is None:
            group = self.groups[call.group] = SortedList()
        group.add((call.queued_at, call.seq, call.call_id))
        self._pending_calls.add(call.call_id)

    def _ungroup(self, call: WaitingCall) -> None:
        group = self.groups.get(call.group)
        if group is not None:
            group.discard((call.queued_at, call.seq, call.call_id))
            if not group:
                del self.groups[call.group]

    def _requeue(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.offered_to is not None:
            call.offered_to = None
            self._group(call)

    def waiting(self) -> list[WaitingCall]:
        return [c for c in self.calls.values() if c.offered_to is None and not c.parked]

    def ringing(self, extension: str, call_id: str, now: float) -> None:
        """Asterisk rings an agent for a call (ours, a callback, or app_queue's)."""
        agent = self.agent_by_extension(extension)
        if agent is None:
            return
        if agent.call_id == call_id and agent.state in (AgentState.RESERVED, AgentState.RINGING):
            self._move(agent, AgentState.RINGING, now, call_id)
            self._timer(now + self.ring_timeout, "ring", agent.id)
            return
        held = self.calls.get(agent.call_id or "")
        if agent.state == AgentState.RESERVED and held is not None and held.callback:
            # The callback we originated rings the agent under the new call's own id.
            self._rename(held, call_id)
            self._move(agent, AgentState.RINGING, now, call_id)
            self._timer(now + self.ring_timeout, "ring", agent.id)
            return
        if agent.state in (AgentState.RESERVED, AgentState.RINGING) and agent.call_id:
            self._requeue(agent.call_id)  # someone else's call took the phone first
        elif agent.state == AgentState.READY:
            self.ready.remove(agent)
        elif agent.state in (AgentState.ON_CALL, AgentState.LOGGED_OUT):
            return  # a second line or an unmanaged phone: nothing to decide
        self._move(agent, AgentState.RINGING, now, call_id)
        self._timer(now + self.ring_timeout, "ring", agent.id)

    def _rename(self, call: WaitingCall, new_id: str) -> None:
        del self.calls[call.call_id]
        call.call_id = new_id
        self.calls[new_id] = call

    def answered(self, extension: str, call_id: str, now: float) -> None:
        held = self.agent_by_extension(extension)
        if held is not None and held.state == AgentState.ON_CALL and held.call_id == call_id:
            return  # told twice (a click-to-call: the desk, then Asterisk): counted once
        call = self.calls.pop(call_id, None)
        if call is not None:
            if call.offered_to is None:
                self._ungroup(call)
            st = self.stats.setdefault(call.service, ServiceStats())
            st.answered += 1
            if now - call.queued_at <= self.service(call.service).target_seconds:
                st.answered_in_target += 1
        agent = self.agent_by_extension(extension)
        if agent is None:
            return
        if agent.state == AgentState.READY:
            self.ready.remove(agent)
        if policy.day_of(now, self.utc_offset) != agent.day:
            agent.day, agent.calls_today = policy.day_of(now, self.utc_offset), 0
        agent.calls_today += 1
        agent.service = call.service if call is not None else ""
        self._move(agent, AgentState.ON_CALL, now, call_id)

    def no_answer(self, extension: str, call_id: str, now: float, status: str) -> None:
        """The agent's leg ended without an answer; the call goes back with its wait."""
        agent = self.agent_by_extension(extension)
        if agent is None or agent.call_id != call_id:
            return
        if agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            return
        if status == "CANCEL":
            self._park(call_id, now)
            self._free(agent, now)
            return
        if status in RING_CODES_REFUSED:
            until = now + self.refuse_cooldown
            agent.refused[call_id] = until
            self._refusers.setdefault(call_id, set()).add(agent.id)
            self._timer(until, "refusal", f"{agent.id}\0{call_id}")
        self._requeue(call_id)
        self._free(agent, now)

    def _park(self, call_id: str, now: float) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.offered_to is not None:
            call.offered_to = None
            call.parked = True
            self._timer(now + CANCEL_GRACE, "unpark", call_id)

    def _unpark(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.parked:
            call.parked = False
            self._group(call)

    def offer_failed(self, agent_id: str, call_id: str, now: float, *, gone: bool) -> None:
        """The offer could not be carried out (the redirect failed or the caller left)."""
        agent = self.agents.get(agent_id)
        if gone:
            self._drop_call(call_id)
        else:
            self._requeue(call_id)
        if (
            agent is not None
            and agent.call_id == call_id
            and agent.state in (AgentState.RESERVED, AgentState.RINGING)
        ):
            self._free(agent, now)

    def release(self, agent_id: str, now: float) -> None:
        """Watchdog: Asterisk has no ringing leg for this agent; free them, requeue."""
        agent = self.agents.get(agent_id)
        if agent is None or agent.state not in (AgentState.RESERVED, AgentState.RINGING):
            return
        if agent.call_id:
            self._requeue(agent.call_id)
        self._free(agent, now)

    def merged(self, gone_id: str, keep_id: str) -> None:
        """An attended transfer folded call ``gone_id`` (the consultation) into ``keep_id``:
        its agent is now on the caller's call and is freed when that call ends."""
        for agent in self._agents_on(gone_id):
            self._move(agent, agent.state, agent.since, keep_id, agent.reason)

    def ended(self, call_id: str, now: float) -> list[tuple[str, str]]:
        """Every channel of the call hung up. Returns wrap-ups that ended at once."""
        waiting = self.calls.get(call_id)
        if waiting is not None and waiting.callback and waiting.offered_to is None:
            return []  # virtual hold: the caller hung up on purpose and keeps their place
        call = self._drop_call(call_id)
        if call is not None:
            self.stats.setdefault(call.service, ServiceStats()).abandoned += 1
        done: list[tuple[str, str]] = []
        for agent in self._agents_on(call_id):
            if agent.state == AgentState.WRAP_UP:
                continue  # left the call earlier (a transfer): their own wrap-up runs on
            if agent.state == AgentState.ON_CALL:
                if self._start_wrap_up(agent, call_id, now):
                    continue
                done.append((agent.id, call_id))
            self._free(agent, now)
        return done

    def _drop_call(self, call_id: str) -> WaitingCall | None:
        call = self.calls.pop(call_id, None)
        if call is not None and call.offered_to is None:
            self._ungroup(call)
        for aid in self._refusers.pop(call_id, ()):
            agent = self.agents.get(aid)
            if agent is not None:
                agent.refused.pop(call_id, None)
        self._pending_calls.discard(call_id)
        return call

    # -- deciding ------------------------------------------------------------------------
    def decide(self, now: float) -> Decision:
        out = Decision(offers=self.take_directed())
        self._run_timers(now, out)
        candidates: list[tuple[tuple[int, float, int], str]] = []
        for cid in self._pending_calls:
            call = self.calls.get(cid)
            if call is not None and call.offered_to is None:
                candidates.append((call.order, cid))
        self._pending_calls.clear()
        if len(self.ready):
            for aid in self._pending_agents:
                agent = self.agents.get(aid)
                if agent is not None and agent.state == AgentState.READY:
                    candidates += self._firsts_for(agent, now)
        self._pending_agents.clear()
        heapq.heapify(candidates)
        seen: set[str] = set()
        while candidates and len(self.ready):
            _, cid = heapq.heappop(candidates)
            call = self.calls.get(cid)
            if cid in seen or call is None or call.offered_to is not None:
                continue
            seen.add(cid)
            agent, refused_only = self._best_agent(call, now)
            if agent is not None:
                out.offers.append(self._assign(agent, call, now))
            if agent is not None or refused_only:
                # The next like call may suit the agents still ready (or those who did
                # not refuse it): look at it too, in its turn.
                nxt = self._after(call)
                if nxt is not None:
                    heapq.heappush(candidates, (nxt.order, nxt.call_id))
        return out

    def _after(self, call: WaitingCall) -> WaitingCall | None:
        group = self.groups.get(call.group)
        if not group:
            return None
        i = group.bisect_right((call.queued_at, call.seq, call.call_id))
        return self.calls[group[i][2]] if i < len(group) else None

    def _firsts_for(self, agent: Agent, now: float) -> list[tuple[tuple[int, float, int], str]]:
        """For each group of like calls, the oldest the agent may take."""
        out = []
        for group in self.groups.values():
            for _, _, cid in group:
                call = self.calls[cid]
                if not policy.qualifies(agent, self.service(call.service), call, now):
                    break  # younger calls in the group are less escalated: none qualify
                if not self._refused(agent, cid, now):
                    out.append((call.order, cid))
                    break
        return out

    def _refused(self, agent: Agent, call_id: str, now: float) -> bool:
        until = agent.refused.get(call_id)
        return until is not None and now < until

    def _best_agent(self, call: WaitingCall, now: float) -> tuple[Agent | None, bool]:
        svc = self.service(call.service)
        alts = policy.alternatives(svc, policy.step_in_force(svc, call.queued_at, now))
        best: tuple[object, ...] | None = None
        chosen: Agent | None = None
        refused_only = False
        today = policy.day_of(now, self.utc_offset)
        for rank, alt in enumerate(alts):
            skill = next(iter(alt), None)
            need = alt[skill] if skill is not None else 0
            for bucket in self.ready.buckets(skill, need):
                for aid in bucket:
                    agent = self.agents[aid]
                    if not policy.qualifies_under(agent, call, [alt]):
                        continue
                    if self._refused(agent, call.call_id, now):
                        refused_only = True
                        continue
                    if svc.strategy == Strategy.FEWEST_CALLS:
                        calls = agent.calls_today if agent.day == today else 0
                        key: tuple[object, ...] = (calls, agent.since, aid)
                    elif svc.strategy == Strategy.BEST_SKILL:
                        key = (rank, -policy.primary_level(agent, svc), agent.since, aid)
                    else:
                        key = (agent.since, aid)
                    if best is None or key < best:
                        best, chosen = key, agent
                    if svc.strategy != Strategy.FEWEST_CALLS:
                        break  # the rest of this bucket has been idle for less time
                if chosen is not None and svc.strategy == Strategy.BEST_SKILL:
                    break  # lower buckets hold lower levels
        return chosen, (chosen is None and refused_only)

    def _assign(self, agent: Agent, call: WaitingCall, now: float) -> Offer:
        self._ungroup(call)
        call.offered_to = agent.id
        self.ready.remove(agent)
        self._move(agent, AgentState.RESERVED, now, call.call_id)
        self._timer(now + self._hold_for(agent), "reserve", agent.id)
        return Offer(call.call_id, agent.id, agent.extension, call.callback)

    def _hold_for(self, agent: Agent) -> float:
        """How long an offer may stay reserved before the watchdog takes it back (a
        callback first dials the customer, so its agent stays reserved meanwhile)."""
        call = self.calls.get(agent.call_id or "")
        extra = self.callback_timeout if call is not None and call.callback else 0.0
        return self.reserve_timeout + extra

    def _run_timers(self, now: float, out: Decision) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            at, _, kind, key = heapq.heappop(timers)
            if kind == "escalate":
                self._escalate(at, key, now, out)
            elif kind == "unpark":
                self._unpark(key)
            elif kind == "refusal":
                aid, cid = key.split("\0")
                agent = self.agents.get(aid)
                if agent is not None and agent.refused.get(cid, now + 1) <= now:
                    del agent.refused[cid]
                    self._refusers.get(cid, set()).discard(aid)
                    self._pending_calls.add(cid)
            else:
                self._agent_timer(kind, key, at, now, out)
