"""The lab dialplan of ``configs/extensions.conf`` as Python, emitting Asterisk's events.

Each step emits the events, fields and order that Asterisk 22.10.1 emitted for it in the
recorded traces. ``;2`` halves run the dialplan (ivr-entry, hold, connect, queue-entry),
``;1`` halves play the caller (caller-sim / caller-wait), agent ``;2`` halves play the phone.

The ``;2`` contexts and the ``;1`` caller script are here; Dial() and the agent legs are in
``agent_legs.py``, the hangup paths in ``hangups.py``, app_queue in ``queue_calls.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.agent_legs import AgentLegs
from cti.simulator.contexts import SHIPPED, Contexts
from cti.simulator.leg import FOREVER, AgiRunner, Leg, local_device
from cti.simulator.model import CallRecord, Channel, Pbx
from cti.simulator.parties import AgentPhone, CallerSpec

if TYPE_CHECKING:
    from cti.simulator.outbound import OutboundCall
    from cti.simulator.queues import QueueEngine

DIAL_VARS = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)


class Dialplan(AgentLegs):
    def __init__(
        self,
        pbx: Pbx,
        *,
        agi_host: str,
        agi_port: int,
        recordings_dir: Path,
        agents: dict[str, AgentPhone],
        agi_runner: AgiRunner,
        noanswer_to_hold: bool = False,
        contexts: Contexts = SHIPPED,
    ) -> None:
        self.pbx = pbx
        self.contexts = contexts
        self.agi_host, self.agi_port = agi_host, agi_port
        self.recordings_dir = recordings_dir
        self.agents = agents
        self.agi_runner = agi_runner
        self.noanswer_to_hold = noanswer_to_hold
        self.legs: dict[str, Leg] = {}  # by ;2 channel name and ;1 name
        self.outbound: dict[str, OutboundCall] = {}  # click-to-call, by channel name
        self.queues: QueueEngine | None = None

    # -- originate --------------------------------------------------------------------
    def originate(
        self,
        spec: CallerSpec,
        context: str,
        *,
        action_id: str | None = None,
        caller_context: str | None = None,
    ) -> Leg:
        pbx = self.pbx
        entry = context
        record = CallRecord(linkedid="", number=spec.number, started=pbx.now())
        c1, c2 = pbx.new_local_pair("s", entry, None, record)
        if pbx.pjsip:
            # A call from the carrier: one channel PJSIP/trunk-<hex> runs the dialplan.
            pbx.as_pjsip(c2, c1, spec.variables.get("CTI_ENDPOINT") or "trunk")
        record.linkedid = c1.linkedid
        pbx.calls[record.linkedid] = record
        pbx.processed_calls += 1
        leg = Leg(spec, record, c1, c2)
        self.legs[c1.name] = leg
        self.legs[c2.name] = leg
        c1.role, c2.role = "caller", "dialplan"
        for ch in (c1, c2):
            ch.language = spec.language
        pbx.chan_event("Newchannel", c1)
        pbx.chan_event("Newchannel", c2)
        pbx.newexten(c1, "AppDial2", "(Outgoing Line)")
        for name, value in reversed(list(spec.variables.items())):
            pbx.varset(c1, name, value)
        c1.cid_num, c1.cid_name = spec.number, spec.name
        pbx.newcallerid(c1)
        c1.conn_num, c1.conn_name = spec.number, spec.name
        pbx.chan_event("NewConnectedLine", c1)
        for name, value in spec.variables.items():
            pbx.varset(c2, name, value)
        c2.cid_num, c2.cid_name = spec.number, spec.name
        c2.conn_num, c2.conn_name = spec.number, spec.name
        pbx.newcallerid(c2)
        pbx.chan_event("NewConnectedLine", c2)
        pbx.emit(ev.local_bridge(c1, c2, entry, "s"))
        pbx.emit(ev.dial_event("DialBegin", None, c1, [("DialString", f"s@{entry}")]))
        cctx = (
            caller_context or spec.caller_context or ("caller-sim" if spec.dtmf else "caller-wait")
        )

        def answered() -> None:
            pbx.newstate(c1, 6)
            pbx.emit(ev.dial_event("DialEnd", None, c1, [("DialStatus", "ANSWER")]))
            self._caller_start(leg, cctx)
            pbx.emit(
                [
                    *ev.head("OriginateResponse"),
                    ("ActionID", action_id or ""),
                    ("Response", "Success"),
                    ("Channel", c1.name),
                    ("Context", cctx),
                    ("Exten", "s"),
                    ("Reason", "4"),
                    ("Uniqueid", c1.uniqueid),
                    ("CallerIDNum", spec.number),
                    ("CallerIDName", spec.name),
                ]
            )
            if action_id is None:
                # place_call() has no ActionID; Asterisk would send an empty one.
                pass
            pbx.device_state(f"Local/s@{entry}", "INUSE")
            pbx.device_state(f"Local/s@{entry}", "INUSE")

        leg.on_originated = answered
        ctx = self.contexts
        pbx.newexten(c2, "NoOp", self._first_noop(entry, c2))
        if entry == ctx.connect:
            c2.task = pbx.spawn(self._guard(leg, self.connect(leg, first=True)))
        else:
            pbx.newexten(c2, "Answer", "", priority=2)
            pbx.newstate(c2, 6)
            leg.on_originated = None
            answered()
            c2.task = pbx.spawn(self._guard(leg, self._after_answer(leg, entry)))
        pbx.set_phase(
            c2,
            "ivr" if ctx.route_of(entry) else "queued" if entry == ctx.queue else "waiting",
        )
        return leg

    def _first_noop(self, entry: str, c2: Channel) -> str:
        ctx = self.contexts
        route = ctx.route_of(entry)
        if route and ctx.shipped:
            return f"CTI_ROUTE={route}"  # cti-ivr/cti-hotline: Set(CTI_ROUTE=...)
        if route:
            return f"IVR entry {c2.name} uid={c2.uniqueid} linkedid={c2.linkedid}"
        if entry == ctx.queue:
            return f"queue entry {c2.name}"
        if entry == ctx.connect:
            agent = c2.variables.get("AGENT", "")
            if ctx.shipped:
                return f"CTI connect {c2.name} to {agent} via {c2.variables.get('AGENT_DIAL', '')}"
            return f"connect {c2.name} to agent {agent}"
        return f"{entry} {c2.name}"

    async def _guard(self, leg: Leg, coro: Awaitable[None]) -> None:
        await coro

    async def _after_answer(self, leg: Leg, entry: str) -> None:
        # Answer() on a Local ;2 is followed by a 0.5 s gap before the next priority.
        if await self.wait(leg.c2, 0.5):
            return await self.c2_hung_up(leg)
        if self.contexts.route_of(entry):
            await self.ivr_entry(leg, self.contexts.route_of(entry) or "ivr")
        elif entry == self.contexts.queue:
            assert self.queues is not None
            await self.queues.run_caller(leg, "support")
        else:
            await self.hold(leg)

    # -- caller half (;1) -------------------------------------------------------------
    def _caller_start(self, leg: Leg, cctx: str) -> None:
        c1 = leg.c1
        spec = leg.spec
        pbx = self.pbx
        if cctx == "caller-sim":
            pbx.newexten(c1, "NoOp", f"caller-sim {c1.name}", context=cctx, exten="s", priority=1)
            pbx.newexten(c1, "Wait", "2", priority=2)
        else:
            wait = spec.variables.get("CALLER_WAIT") or (
                str(int(spec.patience)) if spec.patience is not None else "120"
            )
            pbx.newexten(
                c1,
                "NoOp",
                f"caller-wait {c1.name} for {wait}s",
                context=cctx,
                exten="s",
                priority=1,
            )
            pbx.newexten(c1, "Wait", wait, priority=2)
        c1.task = pbx.spawn(self._caller_script(leg, cctx))

    async def _caller_script(self, leg: Leg, cctx: str) -> None:
        c1, spec, pbx = leg.c1, leg.spec, self.pbx
        if cctx == "caller-sim":
            prio = 2
            for i, key in enumerate(spec.dtmf or ["1", "2"]):
                if i:
                    prio += 1
                    pbx.newexten(c1, "Wait", "2", priority=prio)
                if self.contexts.shipped:
                    # A caller answers the menu they hear: keys pressed while nothing
                    # reads them are dropped, as on Asterisk, so wait for the question.
                    if await self._asked(leg, bool(key)):
                        return
                elif await self.wait(c1, 2):
                    return
                prio += 1
                pbx.newexten(c1, "SendDTMF", key, priority=prio)
                if key and self.contexts.shipped:
                    try:
                        await self._send_dtmf(leg, key)
                    finally:
                        leg.c2.dtmf_pending -= 1
                elif key:
                    pbx.spawn(self._send_dtmf(leg, key))
                if self.contexts.shipped and await self._answered_read(leg):
                    return
            pbx.newexten(c1, "PlayTones", "620/150,0/850", priority=prio + 1)
            patience = spec.patience
            pbx.newexten(
                c1, "Wait", str(int(patience) if patience is not None else 60), priority=prio + 2
            )
            if await self.wait(c1, patience if patience is not None else FOREVER):
                return
            prio += 3
        else:
            raw = spec.variables.get("CALLER_WAIT")
            patience = float(raw) if raw else spec.patience
            waited = 0.0
            if spec.callback_key_after is not None and (
                patience is None or spec.callback_key_after < patience
            ):
                if await self.wait(c1, spec.callback_key_after):
                    return
                if leg.where == "hold":  # only a caller still on hold is offered it
                    return await self._callback_key(leg)
                waited = spec.callback_key_after
            left = FOREVER if patience is None else patience - waited
            if await self.wait(c1, left):
                return
            prio = 3
        pbx.newexten(c1, "Hangup", "", priority=prio)
        await self.c1_hangs_up(leg)

    async def _asked(self, leg: Leg, pressing: bool, limit: float = 120.0) -> bool:
        """Until the IVR reads keys, then a caller's reaction time (model seconds); True
        if the caller hung up or was hung up meanwhile. ``pressing``: a key will follow
        (the read is told, Channel.dtmf_pending; the caller decrements it once sent)."""
        c1, c2 = leg.c1, leg.c2
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit * self.pbx.time_scale
        while True:
            wanted = asyncio.ensure_future(c2.dtmf_wanted.wait())
            hung = asyncio.ensure_future(c1.hangup_requested.wait())
            try:
                await asyncio.wait(
                    {wanted, hung},
                    timeout=max(0.0, deadline - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                wanted.cancel()
                hung.cancel()
            if c1.hangup_requested.is_set():
                return True
            if c2.reading_dtmf or loop.time() >= deadline:
                break
            # The read was over before this caller got to it (a loaded event loop):
            # they answer the next one (the menu's retry), as a caller would.
            await asyncio.sleep(0)
        if pressing:
            c2.dtmf_pending += 1
        if await self.wait(c1, 0.3):
            if pressing:
                c2.dtmf_pending -= 1
            return True
        return False

    async def _answered_read(self, leg: Leg, limit: float = 120.0) -> bool:
        """Until the read that took (or timed out on) the key is over."""
        c1, c2 = leg.c1, leg.c2
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit * self.pbx.time_scale
        while c2.reading_dtmf and loop.time() < deadline:
            if await self.wait(c1, 0.05):
                return True
        return c1.hangup_requested.is_set()

    async def _callback_key(self, leg: Leg) -> None:
        """Virtual hold: press the callback key while waiting, hear the confirmation,
        hang up (``CallerSpec.callback_key_after``)."""
        c1, spec, pbx = leg.c1, leg.spec, self.pbx
        pbx.newexten(c1, "SendDTMF", spec.callback_key, priority=3)
        await self._send_dtmf(leg, spec.callback_key)
        pbx.newexten(c1, "Wait", str(spec.callback_hangup_after), priority=4)
        if await self.wait(c1, spec.callback_hangup_after):
            return
        pbx.newexten(c1, "Hangup", "", priority=5)
        await self.c1_hangs_up(leg)

    async def _send_dtmf(self, leg: Leg, keys: str) -> None:
        c2 = leg.c2
        for key in keys:
            await self.pbx.sleep(0.1)
            if c2.hungup:
                return
            self.pbx.chan_event("DTMFBegin", c2, [("Digit", key), ("Direction", "Received")])
            await self.pbx.sleep(0.1)
            if c2.hungup:
                return
            self.pbx.chan_event(
                "DTMFEnd", c2, [("Digit", key), ("DurationMs", "100"), ("Direction", "Received")]
            )
            if c2.reading_dtmf:
                c2.dtmf.put_nowait(key)  # else nothing reads it: Asterisk drops it

    # -- ivr-entry --------------------------------------------------------------------
    async def ivr_entry(self, leg: Leg, route: str = "ivr") -> None:
        pbx, c2 = self.pbx, leg.c2
        language = f"CHANNEL(language)={leg.spec.language}"
        if self.contexts.shipped:
            # cti-ivr: Set(CTI_ROUTE), Goto(cti-entry,s,1); cti-entry: NoOp, Answer()
            # (done by the caller's entry above), Set(CHANNEL(language)), AGI(route).
            # IVR_SCRIPT on the caller stands for a site's own DID route into cti-entry
            # with another flow (extensions.conf: Set(CTI_ROUTE=...), Goto(cti-entry,s,1)).
            route = c2.variables.get("IVR_SCRIPT") or route
            pbx.varset(c2, "CTI_ROUTE", route)
            pbx.newexten(c2, "Goto", "cti-entry,s,1", priority=2)
            pbx.newexten(
                c2,
                "NoOp",
                f"CTI IVR {route} {c2.name}",
                context="cti-entry",
                exten="s",
                priority=1,
            )
            pbx.newexten(c2, "Set", language, priority=3)
            script = route
        else:
            pbx.newexten(c2, "Set", language, priority=3)
            script = c2.variables.get("IVR_SCRIPT") or route
        pbx.newexten(c2, "AGI", f"agi://{self.agi_host}:{self.agi_port}/{script}", priority=4)
        leg.in_agi = True
        status = await self.agi_runner(leg, script)
        leg.in_agi = False
        pbx.varset(c2, "AGISTATUS", status)
        if status == "HANGUP" or c2.hangup_requested.is_set():
            return await self.c2_hung_up(leg)
        choice = c2.variables.get("IVR_CHOICE", "")
        pbx.newexten(c2, "NoOp", f"AGI returned AGISTATUS={status} IVR_CHOICE={choice}", priority=5)
        pbx.newexten(c2, "Goto", f"{self.contexts.hold},s,1", priority=6)
        await self.hold(leg)

    # -- hold ------------------------------------------------------------------------
    async def hold(self, leg: Leg) -> None:
        pbx, c2 = self.pbx, leg.c2
        leg.where = "hold"
        pbx.set_phase(c2, "waiting")
        ctx = self.contexts
        if ctx.shipped:
            # cti-hold: NoOp, Set(CTI_WAITING=1), MusicOnHold() until the Redirect.
            pbx.newexten(
                c2, "NoOp", f"CTI waiting {c2.name}", context=ctx.hold, exten="s", priority=1
            )
            pbx.newexten(c2, "Set", "CTI_WAITING=1", priority=2)
            pbx.varset(c2, "CTI_WAITING", "1")
            pbx.newexten(c2, "MusicOnHold", "default", priority=3)
            if await self.wait(c2, FOREVER):
                return await self.c2_hung_up(leg)
            return
        pbx.newexten(c2, "NoOp", f"holding {c2.name}", context="hold", exten="s", priority=1)
        pbx.newexten(c2, "Wait", "1", priority=2)
        while True:
            if await self.wait(c2, 1):
                return await self.c2_hung_up(leg)
            pbx.newexten(c2, "Goto", "loop", priority=3)
            pbx.newexten(c2, "Wait", "1", priority=2)

    def redirect(self, leg: Leg, context: str, exten: str, priority: int) -> None:
        """Move ;2 out of its current application (Redirect gives just a Newexten)."""
        c2 = leg.c2
        if c2.task is not None:
            c2.task.cancel()
        if leg.where == "bridged" and leg.queue is None and leg.a1 is not None:
            self.agent_released(leg)  # a transfer: the agent's leg goes down first
        c2.context, c2.exten, c2.priority = context, exten, priority
        ctx = self.contexts
        if context == ctx.connect:
            self.pbx.newexten(c2, "NoOp", self._first_noop(ctx.connect, c2), priority=1)
            c2.task = self.pbx.spawn(self.connect(leg, first=False))
        elif context == ctx.hold:
            c2.task = self.pbx.spawn(self.hold(leg))
        elif context == ctx.queue and self.queues is not None:
            c2.task = self.pbx.spawn(self.queues.run_caller(leg, "support"))
        else:
            c2.task = self.pbx.spawn(self.hold(leg))

    # -- connect ---------------------------------------------------------------------
    async def connect(self, leg: Leg, *, first: bool) -> None:
        pbx, c2, ctx = self.pbx, leg.c2, self.contexts
        agent_ext = c2.variables.get("AGENT", "")
        if ctx.shipped:
            # cti-connect: the engine records (no MixMonitor here); Dial(${AGENT_DIAL},20).
            dial = c2.variables.get("AGENT_DIAL") or f"Local/{agent_ext}@{ctx.agents}"
            agent_ext = _endpoint(dial) or agent_ext
            pbx.newexten(c2, "GotoIf", '$["${AGENT_DIAL}"!=""]?dial', priority=2)
            pbx.newexten(c2, "Dial", f"{dial},20", priority=4)
        else:
            pbx.newexten(c2, "MixMonitor", f"{c2.uniqueid}.wav,b", priority=2)
            self.start_mixmonitor(c2, self.recordings_dir / f"{c2.uniqueid}.wav")
            pbx.newexten(c2, "Dial", f"Local/{agent_ext}@agents,20", priority=3)
        for name in DIAL_VARS:
            pbx.varset(c2, name, "")
        status = await self.dial(leg, agent_ext, 20.0)
        if status in ("ANSWER", "GONE"):
            return
        if (ctx.shipped or self.noanswer_to_hold) and not c2.hangup_requested.is_set():
            pbx.newexten(c2, "NoOp", f"DIALSTATUS={status}", priority=4)
            pbx.newexten(c2, "Goto", f"{ctx.hold},s,1", priority=5)
            return await self.hold(leg)
        if c2.hangup_requested.is_set():
            return await self.c2_hung_up(leg)
        pbx.newexten(c2, "NoOp", f"DIALSTATUS={status}", priority=4)
        pbx.newexten(c2, "Hangup", "", priority=5)
        leg.c1.hangup_requested.set()
        pbx.soft_hangup(c2, 16)
        pbx.hangup_request(leg.c1, 16)
        pbx.hangup(c2, 16)
        pbx.soft_hangup(leg.c1, 16)
        pbx.hangup(leg.c1, 16)
        pbx.device_state(local_device(c2), "NOT_INUSE")
        pbx.device_state(local_device(c2), "NOT_INUSE")


def _endpoint(dial: str) -> str:
    """The simulated phone a dial string reaches: ``Local/1001@cti-agents`` and
    ``PJSIP/1001`` are phone 1001 (the first device of several)."""
    first = dial.split("&", 1)[0]
    tech, _, rest = first.partition("/")
    if not rest:
        return ""
    return rest.split("@", 1)[0] if tech == "Local" else rest.split("/", 1)[0]
