"""The lab dialplan of ``configs/extensions.conf`` as Python, emitting Asterisk's events.

Each step emits the events, fields and order that Asterisk 22.10.1 emitted for it in the
recorded traces. ``;2`` halves run the dialplan (ivr-entry, hold, connect, queue-entry),
``;1`` halves play the caller (caller-sim / caller-wait), agent ``;2`` halves play the phone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cti.simulator import events as ev
from cti.simulator.model import Bridge, CallRecord, Channel, Pbx
from cti.simulator.parties import AgentPhone, CallerSpec
from cti.simulator.recorder import MixMonitor

if TYPE_CHECKING:
    from cti.simulator.queues import QueueEngine

FOREVER = 10.0**9
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


@dataclass(eq=False)
class Leg:
    """Runtime of one call: the caller pair, the agent pair being dialled, the bridge."""

    spec: CallerSpec
    record: CallRecord
    c1: Channel
    c2: Channel
    a1: Channel | None = None
    a2: Channel | None = None
    bridge: Bridge | None = None
    where: str = "ivr"  # ivr | hold | dial | bridged | queue | gone
    agent: str | None = None
    dial_started: float = 0.0
    answered_at: float = 0.0
    in_agi: bool = False
    on_originated: Callable[[], None] | None = None
    queue_waiter: asyncio.Future[None] | None = field(default=None)
    queue: Any = None
    queue_member: Any = None


AgiRunner = Callable[[Leg, str], Awaitable[str]]


class Dialplan:
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
    ) -> None:
        self.pbx = pbx
        self.agi_host, self.agi_port = agi_host, agi_port
        self.recordings_dir = recordings_dir
        self.agents = agents
        self.agi_runner = agi_runner
        self.noanswer_to_hold = noanswer_to_hold
        self.legs: dict[str, Leg] = {}  # by ;2 channel name and ;1 name
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
        pbx.newexten(c2, "NoOp", self._first_noop(entry, c2))
        if entry == "connect":
            c2.task = pbx.spawn(self._guard(leg, self.connect(leg, first=True)))
        else:
            pbx.newexten(c2, "Answer", "", priority=2)
            pbx.newstate(c2, 6)
            leg.on_originated = None
            answered()
            c2.task = pbx.spawn(self._guard(leg, self._after_answer(leg, entry)))
        pbx.set_phase(
            c2, "ivr" if entry == "ivr-entry" else "queued" if entry == "queue-entry" else "waiting"
        )
        return leg

    def _first_noop(self, entry: str, c2: Channel) -> str:
        if entry == "ivr-entry":
            return f"IVR entry {c2.name} uid={c2.uniqueid} linkedid={c2.linkedid}"
        if entry == "queue-entry":
            return f"queue entry {c2.name}"
        if entry == "connect":
            return f"connect {c2.name} to agent {c2.variables.get('AGENT', '')}"
        return f"{entry} {c2.name}"

    async def _guard(self, leg: Leg, coro: Awaitable[None]) -> None:
        await coro

    async def _after_answer(self, leg: Leg, entry: str) -> None:
        # Answer() on a Local ;2 is followed by a 0.5 s gap before the next priority.
        if await self.wait(leg.c2, 0.5):
            return await self.c2_hung_up(leg)
        if entry == "ivr-entry":
            await self.ivr_entry(leg)
        elif entry == "queue-entry":
            assert self.queues is not None
            await self.queues.run_caller(leg, "support")
        else:
            await self.hold(leg)

    # -- waiting helpers --------------------------------------------------------------
    async def wait(self, ch: Channel, seconds: float) -> bool:
        """Sleep in model seconds; True if a hangup was requested meanwhile."""
        if ch.hangup_requested.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds * self.pbx.time_scale):
                await ch.hangup_requested.wait()
        return ch.hangup_requested.is_set()

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
                if await self.wait(c1, 2):
                    return
                prio += 1
                pbx.newexten(c1, "SendDTMF", key, priority=prio)
                if key:
                    pbx.spawn(self._send_dtmf(leg, key))
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
            if await self.wait(c1, patience if patience is not None else FOREVER):
                return
            prio = 3
        pbx.newexten(c1, "Hangup", "", priority=prio)
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
            c2.dtmf.put_nowait(key)

    async def c1_hangs_up(self, leg: Leg) -> None:
        """The caller script ran Hangup() on ;1."""
        pbx, c1, c2 = self.pbx, leg.c1, leg.c2
        if leg.where == "bridged":
            return self.bridged_hangup(leg, from_caller1=True)
        pbx.soft_hangup(c1, 16)
        pbx.hangup_request(c2, 16)
        pbx.hangup(c1, 16)
        if leg.where != "queue":
            pbx.device_state(_device(c1), "NOT_INUSE")
        c2.hangup_requested.set()

    async def c2_hung_up(self, leg: Leg) -> None:
        """;2's application noticed the hangup request (the ;1 half is already gone)."""
        pbx, c2 = self.pbx, leg.c2
        if c2.hungup:
            return
        leg.where = "gone"
        pbx.soft_hangup(c2, 16)
        pbx.hangup(c2, 16)
        pbx.device_state(_device(c2), "NOT_INUSE")

    # -- ivr-entry --------------------------------------------------------------------
    async def ivr_entry(self, leg: Leg) -> None:
        pbx, c2 = self.pbx, leg.c2
        pbx.newexten(c2, "Set", f"CHANNEL(language)={leg.spec.language}", priority=3)
        script = c2.variables.get("IVR_SCRIPT") or "ivr"
        pbx.newexten(c2, "AGI", f"agi://{self.agi_host}:{self.agi_port}/{script}", priority=4)
        leg.in_agi = True
        status = await self.agi_runner(leg, script)
        leg.in_agi = False
        pbx.varset(c2, "AGISTATUS", status)
        if status == "HANGUP" or c2.hangup_requested.is_set():
            return await self.c2_hung_up(leg)
        choice = c2.variables.get("IVR_CHOICE", "")
        pbx.newexten(c2, "NoOp", f"AGI returned AGISTATUS={status} IVR_CHOICE={choice}", priority=5)
        pbx.newexten(c2, "Goto", "hold,s,1", priority=6)
        await self.hold(leg)

    # -- hold ------------------------------------------------------------------------
    async def hold(self, leg: Leg) -> None:
        pbx, c2 = self.pbx, leg.c2
        leg.where = "hold"
        pbx.set_phase(c2, "waiting")
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
        c2.context, c2.exten, c2.priority = context, exten, priority
        if context == "connect":
            self.pbx.newexten(c2, "NoOp", self._first_noop("connect", c2), priority=1)
            c2.task = self.pbx.spawn(self.connect(leg, first=False))
        elif context == "hold":
            c2.task = self.pbx.spawn(self.hold(leg))
        elif context == "queue-entry" and self.queues is not None:
            c2.task = self.pbx.spawn(self.queues.run_caller(leg, "support"))
        else:
            c2.task = self.pbx.spawn(self.hold(leg))

    # -- connect ---------------------------------------------------------------------
    async def connect(self, leg: Leg, *, first: bool) -> None:
        pbx, c2 = self.pbx, leg.c2
        agent_ext = c2.variables.get("AGENT", "")
        pbx.newexten(c2, "MixMonitor", f"{c2.uniqueid}.wav,b", priority=2)
        self.start_mixmonitor(c2, self.recordings_dir / f"{c2.uniqueid}.wav")
        pbx.newexten(c2, "Dial", f"Local/{agent_ext}@agents,20", priority=3)
        for name in DIAL_VARS:
            pbx.varset(c2, name, "")
        status = await self.dial(leg, agent_ext, 20.0)
        if status in ("ANSWER", "GONE"):
            return
        if self.noanswer_to_hold and not c2.hangup_requested.is_set():
            pbx.newexten(c2, "NoOp", f"DIALSTATUS={status}", priority=4)
            pbx.newexten(c2, "Goto", "hold,s,1", priority=5)
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
        pbx.device_state(_device(c2), "NOT_INUSE")
        pbx.device_state(_device(c2), "NOT_INUSE")

    def start_mixmonitor(self, c2: Channel, path: Path) -> None:
        if c2.mixmonitor is not None:
            c2.mixmonitor.close()
        c2.mixmonitor = MixMonitor(path, self.pbx.now, self.pbx.time_scale)
        self.pbx.varset(c2, "MIXMONITOR_FILENAME", str(path))
        self.pbx.chan_event("MixMonitorStart", c2)
        if c2.bridge is not None:
            c2.mixmonitor.bridged(True)

    def new_agent_pair(self, leg: Leg, ext: str) -> tuple[Channel, Channel]:
        pbx, c2 = self.pbx, leg.c2
        a1, a2 = pbx.new_local_pair(ext, "agents", c2.linkedid, leg.record)
        a1.role, a2.role = "agent1", "agent"
        self.legs[a1.name] = leg
        self.legs[a2.name] = leg
        leg.a1, leg.a2 = a1, a2
        pbx.chan_event("Newchannel", a1)
        pbx.chan_event("Newchannel", a2)
        return a1, a2

    async def dial(self, leg: Leg, ext: str, ring_for: float) -> str:
        """Dial(Local/<ext>@agents,<timeout>) from ;2; returns DIALSTATUS."""
        pbx, c2 = self.pbx, leg.c2
        leg.where = "dial"
        leg.agent = ext
        leg.dial_started = pbx.now()
        pbx.set_phase(c2, "ringing")
        a1, a2 = self.new_agent_pair(leg, ext)
        pbx.varset(a1, "DIALEDPEERNUMBER", f"{ext}@agents")
        a1.exten = "s"
        a1.cid_num, a1.cid_name = c2.exten, c2.cid_name
        a1.conn_num, a1.conn_name = c2.cid_num, c2.cid_name
        pbx.newexten(a1, "AppDial", "(Outgoing Line)")
        pbx.newcallerid(a1)
        pbx.chan_event("NewConnectedLine", a1)
        pbx.varset(a2, "DIALEDPEERNUMBER", f"{ext}@agents")
        a2.cid_num, a2.cid_name = c2.cid_num, c2.cid_name
        a2.conn_num, a2.conn_name = c2.exten, c2.cid_name
        pbx.newcallerid(a2)
        pbx.chan_event("NewConnectedLine", a2)
        pbx.emit(ev.local_bridge(a1, a2, "agents", ext))
        pbx.emit(ev.dial_event("DialBegin", c2, a1, [("DialString", f"{ext}@agents")]))
        phone = self.agents.get(ext)
        answered = asyncio.get_running_loop().create_future()
        a2.task = pbx.spawn(self.agent_phone(leg, a1, a2, ext, phone, answered))
        try:
            async with asyncio.timeout(ring_for * pbx.time_scale):
                hung = asyncio.ensure_future(c2.hangup_requested.wait())
                try:
                    await asyncio.wait({answered, hung}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    hung.cancel()
        except TimeoutError:
            pass
        if answered.done():
            return "ANSWER"
        answered.cancel()
        status = "CANCEL" if c2.hangup_requested.is_set() else "NOANSWER"
        if a2.task is not None:
            a2.task.cancel()
        pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", status)]))
        if status == "NOANSWER":
            pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "CANCEL")]))
        pbx.hangup_request(a2, 0)
        pbx.hangup(a1, 0)
        pbx.soft_hangup(a2, 0)
        pbx.hangup(a2, 0)
        pbx.device_state(f"Local/{ext}@agents", "NOT_INUSE")
        pbx.device_state(f"Local/{ext}@agents", "NOT_INUSE")
        leg.a1 = leg.a2 = None
        pbx.varset(c2, "DIALSTATUS", status)
        leg.where = "connect"
        return status

    async def agent_phone(
        self,
        leg: Leg,
        a1: Channel,
        a2: Channel,
        ext: str,
        phone: AgentPhone | None,
        answered: asyncio.Future[None],
        app: str = "AppDial",
    ) -> None:
        pbx, c2 = self.pbx, leg.c2
        queued = app == "AppQueue" and self.queues is not None
        if phone is None or phone.answer_after is None or phone.busy:
            pbx.newexten(a2, "NoOp", f"agent {ext} rings forever {a2.name}", priority=1)
            pbx.newexten(a2, "Ringing", "", priority=2)
            pbx.newstate(a1, 5)
            pbx.newexten(a1, app, "(Outgoing Line)")
            pbx.chan_event("NewConnectedLine", a1)
            pbx.newexten(a2, "Wait", "120", priority=3)
            pbx.emit(ev.two_channel_event("DialState", c2, a1, [("DialStatus", "RINGING")]))
            if queued:
                assert self.queues is not None
                self.queues.calls.member_ringing(leg)
            else:
                pbx.device_state(f"Local/{ext}@agents", "INUSE")
                pbx.device_state(f"Local/{ext}@agents", "INUSE")
            await asyncio.sleep(FOREVER)
            return
        pbx.newexten(a2, "NoOp", f"agent {ext} answering {a2.name}", priority=1)
        if phone.answer_after > 0:
            pbx.newexten(a2, "Ringing", "", priority=2)
            pbx.newstate(a1, 5)
            pbx.emit(ev.two_channel_event("DialState", c2, a1, [("DialStatus", "RINGING")]))
            await pbx.sleep(phone.answer_after)
        pbx.newexten(a2, "Answer", "", priority=2)
        pbx.newstate(a2, 6)
        if queued:
            assert self.queues is not None
            pbx.newstate(a1, 6)
            pbx.newexten(a1, app, "(Outgoing Line)")
            pbx.chan_event("NewConnectedLine", a1)
            self.queues.agent_answered(leg, ext)
        else:
            pbx.device_state(f"Local/{ext}@agents", "INUSE")
            pbx.newstate(a1, 6)
            pbx.device_state(f"Local/{ext}@agents", "INUSE")
            self.answer_dial(leg, ext)
        if not answered.done():
            answered.set_result(None)
        await pbx.sleep(0.5)
        if a2.hungup:
            return
        prio = 3
        if phone.tones:
            pbx.newexten(a2, "PlayTones", "440/300,0/700", priority=3)
            prio = 4
        pbx.newexten(a2, "Wait", str(int(phone.talk_time)), priority=prio)
        await pbx.sleep(phone.talk_time)
        if a2.hungup:
            return
        if phone.tones:
            pbx.newexten(a2, "StopPlayTones", "", priority=prio + 1)
            prio += 1
        pbx.newexten(a2, "Hangup", "", priority=prio + 1)
        self.agent_hangs_up(leg)

    def answer_dial(self, leg: Leg, ext: str) -> None:
        pbx, c2 = self.pbx, leg.c2
        a1 = leg.a1
        assert a1 is not None
        pbx.varset(c2, "DIALSTATUS", "ANSWER")
        pbx.varset(c2, "DIALEDPEERNAME", a1.name)
        pbx.varset(c2, "DIALEDPEERNUMBER", f"{ext}@agents")
        pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "ANSWER")]))
        originated = leg.on_originated
        if originated is not None:
            pbx.newstate(c2, 6)
        bridge = pbx.new_bridge()
        if originated is not None:
            leg.on_originated = None
            originated()
        a1.exten = ""
        pbx.newexten(a1, "AppDial", "(Outgoing Line)")
        self.enter_bridge(leg, bridge)

    def enter_bridge(self, leg: Leg, bridge: Bridge) -> None:
        pbx, c2, a1 = self.pbx, leg.c2, leg.a1
        assert a1 is not None
        leg.bridge = bridge
        leg.where = "bridged"
        leg.answered_at = pbx.now()
        leg.record.agent = leg.agent
        pbx.set_phase(c2, "connected")
        pbx.bridge_enter(bridge, a1)
        pbx.bridge_enter(bridge, c2)
        pbx.varset(a1, "BRIDGEPEER", c2.name)
        pbx.varset(c2, "BRIDGEPEER", a1.name)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(True)

    def _elapsed_vars(self, leg: Leg) -> None:
        pbx, c2 = self.pbx, leg.c2
        now = pbx.now()
        ans = max(0.0, (now - leg.dial_started) / pbx.time_scale)
        pbx.varset(c2, "ANSWEREDTIME", str(int(ans)))
        pbx.varset(c2, "ANSWEREDTIME_MS", str(int(ans * 1000)))
        pbx.varset(c2, "DIALEDTIME", str(int(ans)))
        pbx.varset(c2, "DIALEDTIME_MS", str(int(ans * 1000)))
        pbx.varset(c2, "DIALSTATUS", "ANSWER")

    def agent_hangs_up(self, leg: Leg) -> None:
        """Agent script Hangup() while bridged (b_ivr_redirect order)."""
        pbx, c2, a1, a2 = self.pbx, leg.c2, leg.a1, leg.a2
        assert a1 is not None and a2 is not None
        if self.queues is not None and leg.queue is not None:
            return self.queues.calls.agent_hangs_up(leg)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(False)
        pbx.soft_hangup(a2, 16)
        pbx.hangup_request(a1, 16)
        pbx.hangup(a2, 16)
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.bridge_leave(a1)
        pbx.hangup(a1, 16)
        pbx.bridge_leave(c2)
        self._elapsed_vars(leg)
        self._caller_pair_down(leg, agent_first=True)

    def _caller_pair_down(self, leg: Leg, *, agent_first: bool) -> None:
        pbx, c1, c2 = self.pbx, leg.c1, leg.c2
        leg.where = "gone"
        self._cancel(c2)
        self._cancel(c1)
        pbx.soft_hangup(c2, 16)
        pbx.varset(c1, "CHANLOCALSTATUS", "ANSWER")
        pbx.hangup_request(c1, 16)
        pbx.device_state(f"Local/{leg.agent}@agents", "NOT_INUSE")
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.device_state(f"Local/{leg.agent}@agents", "NOT_INUSE")
        pbx.hangup(c2, 16)
        pbx.device_state(_device(c2), "NOT_INUSE")
        pbx.soft_hangup(c1, 16)
        pbx.hangup(c1, 16)
        pbx.device_state(_device(c1), "NOT_INUSE")

    def bridged_hangup(self, leg: Leg, *, from_caller1: bool = False, cause: int = 16) -> None:
        """AMI Hangup of ;2 (or the caller hanging up) while bridged (e_record_hangup)."""
        pbx, c1, c2, a1, a2 = self.pbx, leg.c1, leg.c2, leg.a1, leg.a2
        assert a1 is not None and a2 is not None
        leg.where = "gone"
        for ch in (c1, c2, a2):
            self._cancel(ch)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(False)
        if from_caller1:
            pbx.soft_hangup(c1, cause)
            pbx.hangup_request(c2, cause)
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.bridge_leave(c2)
        self._elapsed_vars(leg)
        if from_caller1:
            pbx.hangup(c1, cause)
        pbx.soft_hangup(c2, cause)
        if not from_caller1:
            pbx.varset(c1, "CHANLOCALSTATUS", "ANSWER")
            pbx.hangup_request(c1, cause)
        pbx.bridge_leave(a1)
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.hangup_request(a2, cause)
        pbx.hangup(a1, cause)
        pbx.hangup(c2, cause)
        if not from_caller1:
            pbx.soft_hangup(c1, cause)
            pbx.hangup(c1, cause)
        pbx.soft_hangup(a2, cause)
        pbx.hangup(a2, cause)
        for device in (f"Local/{leg.agent}@agents", _device(c2)):
            pbx.device_state(device, "NOT_INUSE")
            pbx.device_state(device, "NOT_INUSE")

    def ami_hangup(self, ch: Channel, cause: int) -> None:
        """AMI Hangup action on any channel of a call."""
        leg = self.legs.get(ch.name)
        pbx = self.pbx
        if leg is None:
            pbx.soft_hangup(ch, cause)
            pbx.hangup(ch, cause)
            return
        if leg.where == "bridged":
            return self.bridged_hangup(leg, cause=cause)
        if leg.where == "queue" and self.queues is not None:
            return self.queues.caller_hangup(leg, cause)
        c1, c2 = leg.c1, leg.c2
        if leg.in_agi:
            pbx.soft_hangup(c2, cause)
            c1.hangup_requested.set()
            pbx.hangup_request(c1, 16)
            pbx.soft_hangup(c1, 16)
            self._cancel(c1)
            pbx.hangup(c1, 16)
            pbx.device_state(_device(c1), "NOT_INUSE")
            c2.hangup_requested.set()
            return
        self._cancel(c1)
        self._cancel(c2)
        if leg.a2 is not None:
            self._cancel(leg.a2)
        pbx.soft_hangup(c2, cause)
        pbx.hangup_request(c1, 0)
        pbx.soft_hangup(c1, 16)
        pbx.hangup(c1, 0)
        if leg.a1 is not None and leg.a2 is not None:
            pbx.emit(ev.dial_event("DialEnd", c2, leg.a1, [("DialStatus", "CANCEL")]))
            pbx.hangup_request(leg.a2, 0)
            pbx.hangup(leg.a1, 0)
            pbx.soft_hangup(leg.a2, 0)
            pbx.hangup(leg.a2, 0)
        pbx.hangup(c2, 0)
        pbx.device_state(_device(c2), "NOT_INUSE")
        pbx.device_state(_device(c2), "NOT_INUSE")
        leg.where = "gone"

    def _cancel(self, ch: Channel) -> None:
        task = ch.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def _device(ch: Channel) -> str:
    return ch.name.rsplit("-", 1)[0]
