"""The FastAGI side of the flow runner: carry actions out, turn replies into inputs.

One handler serves every flow route (``AGI(agi://engine/<route>)``). Each call: learn
the call id (the Linkedid) from Asterisk, answer, then loop ``step()`` -> actions ->
input. What can go wrong on our side becomes a ``Broken`` input, and the flow decides
(its ``on_error`` or fallback); a dead channel becomes ``HungUp``. If the session itself
is lost (AGI timeout, garbage from the peer) or our code fails, the caller still goes to
the flow's fallback: nobody is left in silence because the IVR broke.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cti import events as ev
from cti.agi.channel import AgiChannel, AgiCommandError, AgiError, AgiHangup
from cti.agi.errors import AgiProtocolError
from ivr import messages as m
from ivr.crm import IvrDirectory
from ivr.flow import Flow, FlowSet, TransferNode
from ivr.runner import CallState, step
from ivr.speech import ModelCache, SpeechRecognizer

log = logging.getLogger(__name__)

DIGITS = "0123456789*#"


class FlowIvr:
    def __init__(
        self,
        flows: FlowSet,
        model: Any,
        bus: Any,
        *,
        clock: Callable[[], float] = time.time,
        crm: IvrDirectory | None = None,
        crm_timeout: float = 2.0,
        services: Mapping[str, Any] | None = None,
        speech_cache: ModelCache | None = None,
        record_dir: Path | str = "var/ivr-speech",
    ) -> None:
        self.flows = flows
        self.model = model
        self.bus = bus
        self.clock = clock
        self.crm = crm
        self.crm_timeout = crm_timeout
        self.services = dict(services or {})
        cache = speech_cache or ModelCache()
        self._speech = {f.route: SpeechRecognizer(f.speech_models, cache) for f in flows.flows}
        self.record_dir = Path(record_dir)
        self._serial = itertools.count(1)
        self.sessions = 0
        self.handed_off = 0
        self.fallbacks = 0
        self.completed = 0

    @property
    def routes(self) -> tuple[str, ...]:
        return self.flows.routes

    async def __call__(self, channel: AgiChannel) -> None:
        self.sessions += 1
        env = channel.env
        flow = self.flows.for_route(env.route)
        if flow is None:  # the engine only mounts our routes; a stray one is a wiring bug
            raise LookupError(f"no IVR flow for route {env.route!r}")
        call = _Call(self, channel, flow, env.uniqueid)
        transfer: m.Transfer | None = None
        try:
            transfer = await call.run()
            self.completed += 1
        except AgiHangup:
            call.state, _ = step(flow, call.state, m.HungUp(self.clock()))
            log.info("caller hung up in the IVR",
                     extra={"call_id": call.call_id, "node": call.state.node})
        except (AgiError, AgiProtocolError) as exc:
            transfer = self._fallback(call, f"agi: {exc}")
        except Exception as exc:
            # The boundary of one call: keep the caller (fallback) and the traceback.
            log.exception("ivr flow failed", extra={"call_id": call.call_id,
                                                    "node": call.state.node})
            transfer = self._fallback(call, f"bug: {exc!r}")
        if transfer is not None and not channel.hung_up:
            self._hand_off(call.call_id, transfer)

    def _fallback(self, call: _Call, reason: str) -> m.Transfer | None:
        self.fallbacks += 1
        node = call.flow.nodes[call.flow.fallback]
        log.warning("ivr session lost; caller goes to the flow's fallback",
                    extra={"call_id": call.call_id, "node": call.state.node, "reason": reason,
                           "fallback": call.flow.fallback})
        if isinstance(node, TransferNode):
            return m.Transfer(node.service, node.skills, node.priority)
        return None

    def _hand_off(self, call_id: str, t: m.Transfer) -> None:
        svc = self.services.get(t.service)
        skills = t.skills or (tuple(svc.skills) if svc is not None else ())
        base = t.priority if t.priority is not None else (svc.priority if svc else 0)
        self.handed_off += 1
        self.bus.publish_all(self.model.queue(call_id, t.service, self.clock(),
                                              skills=tuple(skills), priority=base + t.boost))

    def record(self, call_id: str, r: m.RecordStep) -> None:
        s = ev.IvrStepTaken(call_id, self.clock(), r.node, prompt=r.prompt, key=r.key,
                            recognized=r.recognized, confidence=r.confidence,
                            language=r.language)
        self.model.record_ivr_step(s)
        self.bus.publish(s)

    def speech(self, flow: Flow) -> SpeechRecognizer:
        return self._speech[flow.route]

    def next_recording(self, call_id: str) -> Path:
        return self.record_dir / f"{call_id}-{next(self._serial)}"


class _Call:
    """One caller's walk through one flow."""

    def __init__(self, ivr: FlowIvr, channel: AgiChannel, flow: Flow, call_id: str) -> None:
        self.ivr, self.ch, self.flow, self.call_id = ivr, channel, flow, call_id
        self.state = CallState()

    async def run(self) -> m.Transfer | None:
        ch, env = self.ch, self.ch.env
        self.call_id = await ch.get_full_variable("${CHANNEL(linkedid)}") or env.uniqueid
        await ch.answer()
        event: m.Input = m.Started(self.ivr.clock(), caller_id=env.callerid,
                                   channel_language=env.language, route=env.route)
        while True:
            self.state, actions = step(self.flow, self.state, event)
            reply: m.Input | None = None
            for action in actions:
                if isinstance(action, m.Transfer):
                    return action
                if isinstance(action, m.Hangup):
                    await ch.hangup()
                    return None
                reply = await self._do(action)
            if reply is None or self.state.done:
                return None
            event = reply

    async def _do(self, action: m.Action) -> m.Input | None:
        try:
            return await self._carry_out(action)
        except AgiCommandError as exc:  # 510/520: our command was wrong, not the caller
            log.warning("agi command refused", extra={"call_id": self.call_id,
                                                      "node": self.state.node, "error": str(exc)})
            return m.Broken(self.ivr.clock(), f"agi: {exc}")

    async def _carry_out(self, a: m.Action) -> m.Input | None:
        ch, now = self.ch, self.ivr.clock
        if isinstance(a, m.RecordStep):
            self.ivr.record(self.call_id, a)
            return None
        if isinstance(a, m.SetVariable):
            await ch.set_variable(a.name, a.value)
            return None
        if isinstance(a, m.Speak):
            await self._play(a.segments, "")
            return None
        if isinstance(a, m.Prompt):
            digit, missing = await self._play(a.segments, DIGITS if a.barge_in else "")
            return m.Played(now(), digit, missing)
        if isinstance(a, m.ReadKeys):
            if not a.sensitive:
                return await self._read(a.before, a.prompt, a.max_digits, a.timeout_ms)
            self.bus.publish(ev.SensitiveInputStarted(self.call_id, self.clock()))
            try:
                return await self._read(a.before, a.prompt, a.max_digits, a.timeout_ms)
            finally:
                self.bus.publish(ev.SensitiveInputEnded(self.call_id, self.clock()))
        if isinstance(a, m.Listen):
            return await self._listen(a)
        return await self._crm(a)

    async def _alive(self) -> bool:
        """After a -1 reply: dead channel (HANGUP + 511) or a missing file?"""
        await self.ch.channel_status()  # raises AgiHangup on a dead channel
        return True

    async def _play(self, segments: tuple[m.Segment, ...], escape: str
                    ) -> tuple[str | None, tuple[str, ...]]:
        missing: list[str] = []
        for seg in segments:
            if isinstance(seg, m.File):
                reply = await self.ch.stream_file(seg.name, escape)
                if reply.failed and await self._alive():
                    missing.append(seg.name)
                    log.warning("prompt file missing", extra={"call_id": self.call_id,
                                                              "prompt": seg.name})
            elif isinstance(seg, m.SayDigits):
                reply = await self.ch.say_digits(seg.digits, escape)
            elif isinstance(seg, m.SayNumber):
                reply = await self.ch.say_number(seg.number, escape)
            else:
                reply = await self.ch.say_date(seg.epoch, escape)
            if escape and reply.digit:
                return reply.digit, tuple(missing)
        return None, tuple(missing)

    async def _read(self, before: tuple[m.Segment, ...], prompt: str, max_digits: int,
                    timeout_ms: int) -> m.Input:
        if before:
            await self._play(before, "")
        reply = await self.ch.get_data(prompt, timeout_ms, max_digits)
        if reply.failed:
            await self._alive()
            log.warning("menu prompt missing", extra={"call_id": self.call_id, "prompt": prompt})
            return m.Broken(self.ivr.clock(), f"prompt missing: {prompt}")
        digits = "" if reply.result is None else reply.result.strip()
        return m.Keys(self.ivr.clock(), digits)

    async def _listen(self, a: m.Listen) -> m.Input:
        speech = self.ivr.speech(self.flow)
        if not speech.available(a.language):
            return await self._read(a.before, a.prompt, a.max_digits, a.timeout_ms)
        if a.before:
            await self._play(a.before, "")
        digit, missing = await self._play((m.File(a.prompt),), DIGITS)
        if missing:
            return m.Broken(self.ivr.clock(), f"prompt missing: {a.prompt}")
        if digit:
            return m.Keys(self.ivr.clock(), digit)
        path = self.ivr.next_recording(self.call_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        reply = await self.ch.record_file(str(path), "wav", DIGITS, a.max_seconds * 1000,
                                          silence_s=2)
        if reply.digit:
            return m.Keys(self.ivr.clock(), reply.digit)
        wav = Path(f"{path}.wav")  # not with_suffix: the call id holds a dot
        try:
            heard = await speech.recognize(wav, a.language, a.grammar)
        except (OSError, ValueError, RuntimeError) as exc:  # no file, not PCM, Kaldi refused
            log.warning("speech not recognized: %r", exc, extra={"call_id": self.call_id})
            return m.Heard(self.ivr.clock(), "", 0.0)
        finally:
            # The caller's voice is not kept beyond recognition.
            await asyncio.to_thread(wav.unlink, missing_ok=True)
        return m.Heard(self.ivr.clock(), heard.text, heard.confidence)

    async def _crm(self, a: m.Action) -> m.Input:
        crm, now = self.ivr.crm, self.ivr.clock
        if crm is None:
            if isinstance(a, m.Lookup):
                return m.LookedUp(now())  # no CRM configured: everyone is unknown
            return m.Broken(now(), "no CRM configured")
        try:
            async with asyncio.timeout(self.ivr.crm_timeout):
                return await asyncio.to_thread(self._crm_call, crm, a)
        except TimeoutError:
            # The worker thread finishes on its own; its answer is no longer wanted.
            log.warning("crm did not answer in time", extra={
                "call_id": self.call_id, "node": self.state.node,
                "timeout": self.ivr.crm_timeout})
            return m.Broken(now(), f"crm timeout after {self.ivr.crm_timeout}s")
        except Exception as exc:  # database down, bad row: this caller takes on_error
            log.warning("crm call failed", extra={"call_id": self.call_id,
                                                  "node": self.state.node, "error": repr(exc)})
            return m.Broken(now(), f"crm: {exc!r}")

    def _crm_call(self, crm: IvrDirectory, a: m.Action) -> m.Input:
        """Blocking, in a worker thread."""
        now = self.ivr.clock
        if isinstance(a, m.Lookup):
            customer = crm.find_by_phone(a.caller_id) if a.caller_id else None
            if customer is None and a.account:
                customer = crm.find_by_account(a.account)
            incidents = tuple(crm.incidents_for_area(customer.area)) if customer and \
                customer.area else ()
            return m.LookedUp(now(), customer, incidents)
        if isinstance(a, m.FetchTicket):
            return m.TicketFetched(now(), a.number, crm.ticket_state(a.number))
        if isinstance(a, m.CreateCallback):
            ticket, followup = crm.create_callback(
                caller_id=a.caller_id, customer_id=a.customer_id, reason=a.reason,
                category=a.category, call_id=self.call_id)
            return m.CallbackCreated(now(), ticket, followup)
        raise TypeError(f"not an IVR action: {a!r}")
