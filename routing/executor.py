"""Carries the router's decisions out through AMI and feeds Asterisk's outcomes back.

Bus events update the router synchronously; one task owned by the engine wakes on any
change (or at the router's next deadline), asks for a decision and performs it:
``Setvar AGENT`` then ``Redirect`` of the caller's dialplan channel to the connect context
(the b_ivr_redirect trace), or an ``Originate`` for a virtual-hold callback. Both actions
of an offer are written back to back (Asterisk runs one session's actions in order), so
an offer costs one round trip.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from cti import events as ev
from cti.ami.session import AmiError
from cti.bus import InProcessBus
from cti.calls import CallModel
from cti.settings import Settings
from cti.yamlsource import ConfigError
from routing import config as rcfg
from routing import members
from routing.model import AgentState, Offer, RoutingError
from routing.router import Router
from routing.virtualhold import callback_for, key_requests_callback, originate_fields

log = logging.getLogger(__name__)


class AmiSender(Protocol):
    async def send(
        self, action: str, fields: dict[str, str], *, timeout: float | None = None
    ) -> Any: ...


def _call_attributes(skills: tuple[str, ...], known: set[str]) -> tuple[str, tuple[str, ...]]:
    """The IVR hands skills over as names; ``lang:zh`` names the caller's language. Skills
    nobody is configured for are dropped: they would keep the caller waiting forever."""
    language, extra = "", []
    for s in skills:
        if s.startswith("lang:"):
            language = s[5:]
        elif s in known:
            extra.append(s)
        else:
            log.warning("unknown skill requested; ignored", extra={"skill": s})
    return language, tuple(extra)


class RoutingExecutor:
    def __init__(
        self,
        settings: Settings,
        model: CallModel,
        bus: InProcessBus,
        ami: Callable[[], AmiSender | None],
        *,
        clock: Callable[[], float] = time.time,
        config: rcfg.RoutingConfig | None = None,
        config_path: Path | str | None = None,
    ) -> None:
        self.settings = settings
        self.model = model
        self.bus = bus
        self._ami = ami
        self._clock = clock
        self.config_path = config_path if config_path is not None else rcfg.default_path(settings)
        if config is None:
            config = (
                rcfg.load_routing(self.config_path)
                if self.config_path
                else rcfg.from_settings(settings)
            )
        self.config = config
        self.router = Router(
            config.services,
            config.agents,
            wrap_up=config.wrap_up,
            refuse_cooldown=config.refuse_cooldown,
            reserve_timeout=config.reserve_timeout,
            ring_timeout=config.ring_timeout,
            utc_offset=config.utc_offset,
        )
        self.router.callback_timeout = config.callback.timeout + 15.0
        self.board = self.router  # the name the first router had; tests and pages use it
        if config.agents_start_ready:
            now = clock()
            for aid in self.router.agents:
                self.router.login(aid, now, ready=True)
        self._wake = asyncio.Event()
        self.redirects = 0
        self.originates = 0
        self.on_callback_offer: Callable[[str], None] | None = None
        self._member_actions: list[members.Action] = []  # app_queue mirror, sent by run()
        self.member_errors: list[str] = []
        # Steps that raised (a bug, an odd reply): logged, counted (cti_task_errors), and
        # the task goes on; one call's failure must not stop routing for every call.
        self.errors = 0
        bus.subscribe(
            self._on_event,
            ev.CallQueued,
            ev.AgentRinging,
            ev.CallAnswered,
            ev.AgentNoAnswer,
            ev.CallEnded,
            ev.CallTransferred,
            ev.AmiResynced,
            ev.QueuesResynced,
        )

    # -- inputs ------------------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        r = self.router
        if isinstance(event, ev.AmiResynced):
            self._reconcile(event.at)
        elif isinstance(event, ev.QueuesResynced):
            self._member_actions += members.reconcile(
                r.agents.values(), self._queues_of(), self.config.member_interface, event.members
            )
        elif isinstance(event, ev.CallQueued):
            if event.source != "engine":
                return  # app_queue routes its own callers; we only observe them
            lang, extra = _call_attributes(event.skills, set(self.config.skills))
            r.enqueue(
                event.call_id,
                event.service,
                event.at,
                priority=event.priority,
                language=lang,
                extra=extra,
            )
        elif isinstance(event, ev.AgentRinging):
            r.ringing(event.agent, event.call_id, event.at)
        elif isinstance(event, ev.CallAnswered):
            r.answered(event.agent, event.call_id, event.at)
        elif isinstance(event, ev.AgentNoAnswer):
            r.no_answer(event.agent, event.call_id, event.at, event.status)
        elif isinstance(event, ev.CallTransferred):
            if event.merged_call_id:
                r.merged(event.merged_call_id, event.call_id)
        elif isinstance(event, ev.CallEnded):
            done = r.ended(event.call_id, event.at)
            held = bool(r.holders(event.call_id))
            if event.answered_by is not None and not held and not done:
                # Answered by someone routing does not manage: nobody's wrap-up to wait for.
                done = [("", event.call_id)]
            self._wrap_ups_done(done, event.at)
        self._wake.set()

    def on_ami_event(self, event: Any, now: float) -> None:
        """Raw AMI events the call model does not turn into domain events (the engine
        passes each one here after the model): the virtual-hold key."""
        call_id = key_requests_callback(self, event)
        if call_id is not None:
            call = self.model.calls.get(call_id)
            if call is not None and self.request_callback(call_id, call.caller_number):
                log.info("callback chosen on hold", extra={"call_id": call_id})

    def _queues_of(self) -> dict[str, tuple[str, ...]]:
        return dict(self.config.queue_members)

    def _wrap_ups_done(self, done: list[tuple[str, str]], now: float) -> None:
        for _agent, call_id in done:
            if self.router.holders(call_id):
                # A transferred call has two agents: its wrap-up is over when the last one's is.
                continue
            self.bus.publish_all(self.model.complete_wrap_up(call_id, now))

    def _reconcile(self, now: float) -> None:
        """After a (re)connect the call model equals Asterisk again: an agent reserved or
        ringing for a call Asterisk no longer has is freed, never left stuck."""
        live = self.model.live()
        for agent in list(self.router.agents.values()):
            if (
                agent.state in (AgentState.RESERVED, AgentState.RINGING)
                and agent.call_id not in live
            ):
                call = self.router.calls.get(agent.call_id or "")
                self.router.offer_failed(
                    agent.id, agent.call_id or "", now, gone=call is None or call.callback is None
                )

    # -- agent commands (API) ----------------------------------------------------------
    def command(self, agent_id: str, action: str, reason: str = "") -> None:
        """login / logout / ready / not_ready; raises RoutingError when not allowed."""
        r, now = self.router, self._clock()
        if action == "login":
            r.login(agent_id, now)
            done: list[tuple[str, str]] = []
        elif action == "ready":
            done = r.set_ready(agent_id, now)
        elif action == "not_ready":
            done = r.set_not_ready(agent_id, now, reason)
        elif action == "logout":
            done = r.logout(agent_id, now)
        else:
            raise ValueError(f"unknown agent command {action!r}")
        queues = self._queues_of().get(agent_id, ())
        agent = r.agents.get(agent_id)
        if queues and agent is not None:
            self._member_actions += members.on_command(
                action, agent.profile, queues, self.config.member_interface, reason
            )
        self._wrap_ups_done(done, now)
        self._wake.set()

    def agent_left(self, agent_id: str, call_id: str) -> None:
        """The agent handed a live call on (a transfer): wrap-up for them, the call goes on.
        Raises RoutingError for an unknown agent."""
        now = self._clock()
        self._wrap_ups_done(self.router.left(agent_id, call_id, now), now)
        self._wake.set()

    def transfer_to_agent(self, call_id: str, agent_id: str) -> Offer:
        """Offer a live, answered call to one ready agent through a reservation (the run
        task redirects the caller to them); if they do not answer, the call waits for its
        service. Raises RoutingError if the agent is not ready or the call is not live."""
        call = self.model.calls.get(call_id)
        if call is None or call.call_id not in self.model.live():
            raise RoutingError(call_id, "the call is not live")
        now = self._clock()
        offer = self.router.direct(call_id, call.service, agent_id, now, queued_at=call.queued_at)
        # The call model waits again (CallQueued): every view shows the call between
        # agents; routing already holds it as offered, so that event changes nothing here.
        self.bus.publish_all(self.model.queue(call_id, call.service, now))
        self._wake.set()
        return offer

    def request_callback(self, call_id: str, number: str) -> bool:
        """Virtual hold: the waiting caller keeps their place and is called back at their
        turn; the caller's channel is released by the dialplan (or hangs up)."""
        call = self.router.calls.get(call_id)
        if call is None or call.offered_to is not None or not number.isdigit():
            return False
        call.callback = number
        self.model.callback_requested(call_id)
        self._wake.set()
        return True

    def reload(self) -> rcfg.RoutingConfig:
        """Re-read the routing file; on error the old configuration stays (and it raises)."""
        if self.config_path is None:
            raise ConfigError("<settings>", 0, "", "no routing file to reload")
        new = rcfg.load_routing(self.config_path)
        self.apply(new)
        return new

    def apply(self, new: rcfg.RoutingConfig) -> None:
        r = self.router
        r.configure(new.services, new.agents, self._clock())
        r.wrap_up, r.refuse_cooldown = new.wrap_up, new.refuse_cooldown
        r.reserve_timeout, r.ring_timeout = new.reserve_timeout, new.ring_timeout
        self.config = new
        log.info("routing configuration applied", extra={"source": new.source})
        self._wake.set()

    # -- the task ----------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._step()
            except Exception:
                self.errors += 1
                log.exception("routing step failed; routing goes on")
                await asyncio.sleep(0.05)  # a step failing for good must not spin
                continue
            deadline = self.router.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self._clock())
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _step(self) -> None:
        """Decide and carry out, until a decision has no offers left."""
        while True:
            now = self._clock()
            d = self.router.decide(now)
            self._wrap_ups_done(d.wrap_ups_done, now)
            for agent_id, call_id in d.expired:
                log.warning(
                    "reservation expired; agent released",
                    extra={"agent": agent_id, "call_id": call_id},
                )
            for agent_id, call_id in d.overdue:
                self._check_ringing(agent_id, call_id, now)
            for call_id in d.callback_offers:
                if self.on_callback_offer is not None:
                    self.on_callback_offer(call_id)
            if not (d.offers or self._member_actions):
                return
            async with asyncio.TaskGroup() as tg:
                for offer in d.offers:
                    tg.create_task(self._perform_guarded(offer))
                if self._member_actions:
                    actions, self._member_actions = self._member_actions, []
                    tg.create_task(self._send_members(actions))
            # outcomes of the offers may already allow more: decide again

    async def _perform_guarded(self, offer: Offer) -> None:
        """One offer's failure is that offer's: the agent is freed, the call waits again,
        and the other offers of the same decision (and the task) go on."""
        try:
            await self._perform(offer)
        except Exception:
            self.errors += 1
            log.exception(
                "offer failed unexpectedly; agent freed",
                extra={"call_id": offer.call_id, "agent": offer.agent_id},
            )
            # As a refusal by this agent (with its cooldown): the call goes to another
            # agent or waits, so an action failing for good cannot spin offers.
            self.router.no_answer(offer.extension, offer.call_id, self._clock(), "CONGESTION")
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=False)
            self._wake.set()

    def _check_ringing(self, agent_id: str, call_id: str, now: float) -> None:
        """Watchdog: an agent rings longer than any dial timeout. If the call model (kept
        equal to Asterisk by events and resyncs) has no ringing leg to them, free them."""
        agent = self.router.agents.get(agent_id)
        call = self.model.calls.get(call_id)
        if agent is None:
            return
        if call is None or agent.extension not in call.ringing_agents.values():
            log.warning(
                "agent ringing with no leg in Asterisk; released",
                extra={"agent": agent_id, "call_id": call_id},
            )
            self.router.release(agent_id, now)

    async def _perform(self, offer: Offer) -> None:
        if offer.callback is not None:
            return await self._originate(offer)
        dp = self.settings.dialplan
        channel = self.model.caller_channel(offer.call_id)
        ami = self._ami()
        if channel is None or ami is None:
            self.router.offer_failed(
                offer.agent_id, offer.call_id, self._clock(), gone=channel is None
            )
            return
        setvar = {"Channel": channel, "Variable": dp.agent_variable, "Value": offer.extension}
        # The whole dial string (several devices, a Local channel, a trunk): the shipped
        # cti-connect dials ${AGENT_DIAL}, so no technology is hard-coded in the dialplan.
        set_dial = {
            "Channel": channel,
            "Variable": dp.agent_dial_variable,
            "Value": self.settings.agent_dial(offer.extension),
        }
        redirect = {
            "Channel": channel,
            "Context": dp.connect_context,
            "Exten": "s",
            "Priority": "1",
        }
        # Legs to a trunk or a Local channel do not name the agent: the model is told.
        self.model.offering(offer.call_id, offer.extension)
        # gather starts them in order, so all are on the wire before the first reply.
        replies = await asyncio.gather(
            ami.send("Setvar", setvar),
            ami.send("Setvar", set_dial),
            ami.send("Redirect", redirect),
            return_exceptions=True,
        )
        for reply in replies:
            if isinstance(reply, BaseException) and not isinstance(reply, AmiError):
                raise reply  # cancellation and bugs propagate; only AMI failures are handled
        errors = [r for r in replies if isinstance(r, AmiError)]
        if errors:
            log.warning(
                "redirect failed", extra={"call_id": offer.call_id, "error": str(errors[0])}
            )
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=False)
            self._wake.set()
            return
        result = next((r for r in replies if not r.ok), replies[-1])
        if not result.ok:
            # The caller is gone (No such channel) or Asterisk refused: free the agent.
            log.info(
                "redirect refused",
                extra={"call_id": offer.call_id, "reply": result.response.message},
            )
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=True)
            self._wake.set()
            return
        self.redirects += 1

    async def _originate(self, offer: Offer) -> None:
        cb, dp = self.config.callback, self.settings.dialplan
        ami = self._ami()
        if ami is None:
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=False)
            return
        try:
            fields = originate_fields(
                offer,
                callback_for(cb, dp),
                dp.agent_variable,
                (dp.agent_dial_variable, self.settings.agent_dial(offer.extension)),
            )
            result = await ami.send("Originate", fields)
        except AmiError as exc:
            log.warning(
                "callback originate failed", extra={"call_id": offer.call_id, "error": str(exc)}
            )
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=False)
            self._wake.set()
            return
        if not result.ok:
            self.router.offer_failed(offer.agent_id, offer.call_id, self._clock(), gone=False)
            self._wake.set()
            return
        self.originates += 1

    async def _send_members(self, actions: list[members.Action]) -> None:
        """QueueAdd/Remove/Pause in order (one session runs them in order). Without a
        connection they are dropped: the resync after the next connect reconciles."""
        ami = self._ami()
        if ami is None:
            return
        for action, fields in actions:
            try:
                reply = await ami.send(action, fields)
            except AmiError as exc:
                self.member_errors.append(f"{action} {fields.get('Interface')}: {exc}")
                continue
            message = reply.response.message
            if not reply.ok and not any(h in message for h in members.HARMLESS):
                self.member_errors.append(f"{action} {fields.get('Interface')}: {message}")
                log.warning(
                    "app_queue member action refused",
                    extra={
                        "action": action,
                        "interface": fields.get("Interface"),
                        "reply": message,  # "message" is reserved in a LogRecord
                    },
                )
