"""Carries the board's offers out through AMI and feeds outcomes back.

Bus events update the board synchronously; a single task owned by the engine wakes on
any change (or at the next wrap-up/reservation deadline), asks the board for offers and
performs them: ``Setvar AGENT`` then ``Redirect`` of the caller's dialplan channel to the
connect context, exactly what a real Asterisk needs (see the b_ivr_redirect trace).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from cti import events as ev
from cti.ami.session import AmiError
from cti.bus import InProcessBus
from cti.calls import CallModel
from cti.settings import Settings
from routing.board import Agent, AgentState, Board, Offer

log = logging.getLogger(__name__)


class AmiSender:
    async def send(self, action: str, fields: dict[str, str], *, timeout: float | None = None): ...


class RoutingExecutor:
    def __init__(
        self,
        settings: Settings,
        model: CallModel,
        bus: InProcessBus,
        ami: Callable[[], AmiSender | None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.model = model
        self.bus = bus
        self._ami = ami
        self._clock = clock
        self.board = Board()
        for svc in settings.services:
            self.board.required[svc.name] = dict(svc.skills)
        for a in settings.agents:
            self.board.add_agent(Agent(a.id, a.extension, dict(a.skills), since=clock()))
        self._wake = asyncio.Event()
        self.redirects = 0
        bus.subscribe(
            self._on_event,
            ev.CallQueued,
            ev.AgentRinging,
            ev.CallAnswered,
            ev.AgentNoAnswer,
            ev.CallEnded,
        )

    def _on_event(self, event: ev.DomainEvent) -> None:
        b, now = self.board, event.at
        if isinstance(event, ev.CallQueued):
            if event.source != "engine":
                return  # app_queue routes its own callers; we only observe them
            b.enqueue(event.call_id, event.service, now, event.priority)
        elif isinstance(event, ev.AgentRinging):
            b.ringing(event.agent, event.call_id, now)
        elif isinstance(event, ev.CallAnswered):
            b.answered(event.agent, event.call_id, now)
        elif isinstance(event, ev.AgentNoAnswer):
            agent = b.agent_by_extension(event.agent)
            if agent is not None:
                b.offer_failed(agent.id, event.call_id, now, refused=True)
        elif isinstance(event, ev.CallEnded):
            wrap = self.settings.wrap_up_seconds
            b.call_ended(event.call_id, event.answered_by, now, wrap)
            if event.answered_by is not None and wrap <= 0:
                self.bus.publish_all(self.model.complete_wrap_up(event.call_id, now))
        self._wake.set()

    def set_agent_state(self, agent_id: str, state: AgentState) -> None:
        agent = self.board.agents[agent_id]
        self.board.set_state(agent, state, self._clock())
        self._wake.set()

    async def run(self) -> None:
        while True:
            now = self._clock()
            for _agent, call_id in self.board.wrap_ups_due(now):
                self.bus.publish_all(self.model.complete_wrap_up(call_id, now))
            for agent in self.board.stale_reservations(now):
                log.warning("reservation expired; agent released", extra={"agent": agent.id})
            for offer in self.board.offers(now):
                await self._perform(offer)
            deadline = self.board.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            self._wake.clear()
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _perform(self, offer: Offer) -> None:
        dp = self.settings.dialplan
        channel = self.model.caller_channel(offer.call_id)
        ami = self._ami()
        if channel is None or ami is None:
            self.board.offer_failed(offer.agent_id, offer.call_id, self._clock(), refused=False)
            if channel is None:
                self.board.remove_call(offer.call_id)
            return
        try:
            setvar = await ami.send(
                "Setvar",
                {"Channel": channel, "Variable": dp.agent_variable, "Value": offer.extension},
            )
            result = setvar
            if setvar.ok:
                result = await ami.send(
                    "Redirect",
                    {
                        "Channel": channel,
                        "Context": dp.connect_context,
                        "Exten": "s",
                        "Priority": "1",
                    },
                )
        except AmiError as exc:
            log.warning("redirect failed", extra={"call_id": offer.call_id, "error": str(exc)})
            self.board.offer_failed(offer.agent_id, offer.call_id, self._clock(), refused=False)
            return
        if not result.ok:
            # The caller is gone (No such channel) or Asterisk refused: free the agent.
            log.info(
                "redirect refused",
                extra={"call_id": offer.call_id, "message": result.response.message},
            )
            self.board.offer_failed(offer.agent_id, offer.call_id, self._clock(), refused=False)
            self.board.remove_call(offer.call_id)
            return
        self.redirects += 1
