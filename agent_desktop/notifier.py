"""Builds every outbound desktop message from the event stream: pops and agent states.

One notifier per web app. Bus handlers run synchronously and never wait: a ring becomes
a pop at once (with the CRM context if it was fetched while the caller waited, which is
the usual case) and CRM reads are handed to the notifier's worker task. What each agent
currently sees (their pop and state) is kept here, so a reconnecting tab gets it back in
its first message and no pop is lost to a dropped socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from agent_desktop import ivrpath
from agent_desktop.crmview import CrmDesk
from agent_desktop.hub import Hub
from cti import events as ev

log = logging.getLogger(__name__)

KEEP_CALLS = 500  # pops/contexts kept for calls that ended (wrap-up, late notes)
AGENT_HISTORY = 20  # calls an agent may still write notes/tickets for


def agent_topic(agent_id: str) -> str:
    return f"agent:{agent_id}"


class Notifier:
    def __init__(
        self,
        engine: Any,
        hub: Hub,
        crm: CrmDesk | None,
        on_change: Callable[[], None] = lambda: None,
        on_agent: Callable[[str, str, float], None] = lambda aid, state, since: None,
    ) -> None:
        self.engine = engine
        self.hub = hub
        self.crm = crm
        self.on_change = on_change  # the wallboard wants a push
        self.on_agent = on_agent  # (agent, state, since) of each change: occupancy
        self.errors = 0  # pop steps that raised other than a database error
        self.pops: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.contexts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.current: dict[str, str] = {}  # agent id -> call id on their desk
        self.history: dict[str, OrderedDict[str, None]] = {}
        self._agents: dict[str, tuple[Any, ...]] = {}
        self._jobs: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()

    # -- lookups -------------------------------------------------------------------------
    @property
    def router(self) -> Any:
        return self.engine.router.router

    def agent_state(self, agent_id: str) -> dict[str, Any] | None:
        a = self.router.agents.get(agent_id)
        if a is None:
            return None
        return {
            "id": a.id,
            "name": a.profile.name,
            "extension": a.extension,
            "state": a.state.value,
            "reason": a.reason,
            "since": a.since,
            "call_id": a.call_id,
            "wrap_up_until": a.wrap_up_until,
            "wrap_up_mode": a.wrap_up_mode,
            "after_call": a.after_call.value if a.after_call else None,
        }

    def agents(self) -> list[dict[str, Any]]:
        return [s for aid in self.router.agents if (s := self.agent_state(aid)) is not None]

    def owns(self, agent_id: str, call_id: str) -> bool:
        """The call was offered to this agent (the only calls they may act on)."""
        return call_id in self.history.get(agent_id, ())

    def snapshot(self, agent_id: str, announcements: list[dict[str, Any]]) -> dict[str, Any]:
        call_id = self.current.get(agent_id)
        return {
            "type": "snapshot",
            "now": self.engine.clock(),
            "agent": self.agent_state(agent_id),
            "pop": self.pops.get(call_id) if call_id else None,
            "announcements": announcements,
        }

    # -- events (synchronous, from the bus) ----------------------------------------------
    def on_event(self, e: Any) -> None:
        if isinstance(e, ev.CallQueued):
            self._fetch(e.call_id, e.service)
        elif isinstance(e, ev.AgentRinging):
            self._ringing(e)
        elif isinstance(e, ev.CallAnswered):
            self._status(e.call_id, "connected", answered_at=e.at)
        elif isinstance(e, ev.AgentNoAnswer):
            aid = self.router.by_extension.get(e.agent)
            if aid and self.current.get(aid) == e.call_id:
                self._status(e.call_id, "missed", only=aid)
        elif isinstance(e, ev.CallEnded):
            self._status(e.call_id, "ended", ended_at=e.at)
        elif isinstance(e, ev.CallTransferred):
            self._status(e.call_id, None, transferred=e.target or True)
        self.sync_agents()

    def _fetch(self, call_id: str, service: str) -> None:
        call = self.engine.model.calls.get(call_id)
        if self.crm is None or call is None:
            return
        self._jobs.put_nowait((call_id, call.caller_number, self._kb_query(call, service)))

    def _kb_query(self, call: Any, service: str) -> str:
        svc = next((s for s in self.engine.settings.services if s.name == service), None)
        # The service's names and what the caller chose or said in the IVR.
        words = [service]
        if svc is not None:
            words += [svc.label_zh, svc.label_en]
        words += ivrpath.search_words(self._flows(), call.ivr_steps)
        return " ".join(w for w in words if w)

    def _flows(self) -> Any:
        return getattr(getattr(self.engine, "ivr", None), "flows", None)

    def _ringing(self, e: ev.AgentRinging) -> None:
        aid = self.router.by_extension.get(e.agent)
        if aid is None:
            return
        call = self.engine.model.calls.get(e.call_id)
        pop = self.pops.get(e.call_id)
        if pop is None:
            pop = self._new_pop(e, call)
            self._keep(self.pops, e.call_id, pop)
        pop.update(status="ringing", agent=aid, rung_at=e.at, waited=round(e.waited, 1))
        for other, cid in list(self.current.items()):
            if cid == e.call_id and other != aid:
                # A transfer: the first agent keeps the last pop they got (to wrap up)
                # but no longer follows the call on the next agent's desk.
                del self.current[other]
        self.current[aid] = e.call_id
        hist = self.history.setdefault(aid, OrderedDict())
        hist[e.call_id] = None
        while len(hist) > AGENT_HISTORY:
            hist.popitem(last=False)
        if pop["context"] is None and call is not None:
            self._fetch(e.call_id, call.service)
        self.hub.publish(agent_topic(aid), {"type": "pop", "pop": pop})

    def _new_pop(self, e: ev.AgentRinging, call: Any) -> dict[str, Any]:
        service = call.service if call is not None else ""
        svc = next((s for s in self.engine.settings.services if s.name == service), None)
        return {
            "call_id": e.call_id,
            "number": call.caller_number if call is not None else "",
            "caller_name": call.caller_name if call is not None else "",
            "service": service,
            "service_label": [svc.label_zh, svc.label_en] if svc else [service, service],
            "ivr": ivrpath.describe(self._flows(), call.ivr_steps if call is not None else []),
            "queued_at": call.queued_at if call is not None else None,
            "context": self.contexts.get(e.call_id),
            "recording_paused": False,
            "tickets_created": [],
        }

    def _status(
        self, call_id: str, status: str | None, only: str | None = None, **extra: Any
    ) -> None:
        pop = self.pops.get(call_id)
        if pop is None:
            return
        if status is not None:
            pop["status"] = status
        pop.update(extra)
        self.push_pop(call_id, only)

    def push_pop(self, call_id: str, only: str | None = None) -> None:
        """Send a pop's new version to the agent whose desk shows it."""
        pop = self.pops.get(call_id)
        if pop is None:
            return
        for aid, cid in self.current.items():
            if cid == call_id and (only is None or aid == only):
                self.hub.publish(agent_topic(aid), {"type": "pop", "pop": pop})

    def outbound_pop(
        self, agent_id: str, call_id: str, number: str, card: dict[str, Any] | None
    ) -> None:
        """A click-to-call: the agent's desk shows it from the first ring of their phone."""
        pop: dict[str, Any] = {
            "call_id": call_id,
            "direction": "outbound",
            "number": number,
            "caller_name": card["name"] if card else "",
            "service": "",
            "service_label": ["外呼", "Outbound"],
            "ivr": [],
            "queued_at": None,
            "context": self.contexts.get(call_id),
            "recording_paused": False,
            "tickets_created": [],
            "status": "dialing",
            "agent": agent_id,
            "waited": 0.0,
        }
        self._keep(self.pops, call_id, pop)
        self.current[agent_id] = call_id
        hist = self.history.setdefault(agent_id, OrderedDict())
        hist[call_id] = None
        while len(hist) > AGENT_HISTORY:
            hist.popitem(last=False)
        if self.crm is not None:
            self._jobs.put_nowait((call_id, number, ""))
        self.push_pop(call_id)

    def set_status(self, call_id: str, status: str) -> None:
        self._status(call_id, status)

    def handed_on(self, agent_id: str, call_id: str, target: str) -> None:
        """The agent transferred the call: their desk shows it as handed on, for wrap-up."""
        pop = self.pops.get(call_id)
        if pop is None:
            return
        pop.update(status="transferred", transferred=target)
        self.push_pop(call_id, only=agent_id)

    def dismiss(self, agent_id: str, call_id: str) -> None:
        if self.current.get(agent_id) == call_id:
            del self.current[agent_id]
            self.hub.publish(agent_topic(agent_id), {"type": "pop", "pop": None})

    def sync_agents(self) -> None:
        """Push each agent's state when it changed (the router has no events of its own;
        comparing a few fields per agent is cheap and catches timer-driven changes too)."""
        changed = False
        for aid, a in self.router.agents.items():
            key = (a.state, a.reason, a.since, a.call_id, a.wrap_up_until, a.after_call)
            if self._agents.get(aid) != key:
                self._agents[aid] = key
                changed = True
                self.on_agent(aid, a.state.value, a.since)
                self.hub.publish(
                    agent_topic(aid),
                    {"type": "agent", "agent": self.agent_state(aid), "now": self.engine.clock()},
                )
        if changed:
            self.on_change()

    @staticmethod
    def _keep(store: OrderedDict[str, Any], key: str, value: Any) -> None:
        store[key] = value
        store.move_to_end(key)
        while len(store) > KEEP_CALLS:
            store.popitem(last=False)

    # -- the worker (owned by the desk's lifecycle) ----------------------------------------
    async def run(self) -> None:
        assert self.crm is not None
        while True:
            call_id, number, query = await self._jobs.get()
            try:
                context = await asyncio.to_thread(self.crm.pop_context, number, query)
                self._keep(self.contexts, call_id, context)
                pop = self.pops.get(call_id)
                if pop is not None:
                    pop["context"] = context
                    self.push_pop(call_id)
            except Exception as exc:
                # A read only: the pop still shows the call; the next ring asks again. Any
                # failure (not only the database's) is this pop's: the worker goes on.
                if not isinstance(exc, SQLAlchemyError):
                    self.errors += 1
                log.exception("pop context lookup failed", extra={"call_id": call_id})
