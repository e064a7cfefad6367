"""Dial() from ``;2`` and the agent's ``Local/<ext>@agents`` pair: ringing, answer, bridge.

``agent_phone`` plays the agent's side for both Dial() and app_queue (``app="AppQueue"``),
so the queue flow reuses it rather than ringing members its own way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from cti.simulator import events as ev
from cti.simulator.contexts import Contexts
from cti.simulator.hangups import HangupPaths
from cti.simulator.leg import FOREVER, Leg
from cti.simulator.model import Bridge, Channel
from cti.simulator.parties import AgentPhone
from cti.simulator.recorder import MixMonitor


class AgentLegs(HangupPaths):
    # Set by Dialplan.__init__.
    agents: dict[str, AgentPhone]
    contexts: Contexts
    cancel_gap: float = 0.0005  # real seconds between DialEnd CANCEL and the hang-up
    real_time_recordings: bool = True

    def start_mixmonitor(self, c2: Channel, path: Path) -> None:
        if c2.mixmonitor is not None:
            c2.mixmonitor.close()
        # As long as the talk really lasted (the engine's talk time), unless asked for
        # model seconds (the lab traces' scale).
        scale = 1.0 if self.real_time_recordings else self.pbx.time_scale
        c2.mixmonitor = MixMonitor(path, self.pbx.now, scale)
        self.pbx.varset(c2, "MIXMONITOR_FILENAME", str(path))
        self.pbx.chan_event("MixMonitorStart", c2)
        if c2.bridge is not None:
            c2.mixmonitor.bridged(True)

    def new_agent_pair(
        self, leg: Leg, ext: str, context: str | None = None
    ) -> tuple[Channel, Channel]:
        pbx, c2 = self.pbx, leg.c2
        leg.agent_ctx = context or self.contexts.agents
        a1, a2 = pbx.new_local_pair(ext, leg.agent_ctx, c2.linkedid, leg.record)
        if pbx.pjsip and context is None:
            pbx.as_pjsip(a1, a2, ext)  # Dial(PJSIP/<ext>): one channel to the phone
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
        pbx.varset(a1, "DIALEDPEERNUMBER", f"{ext}@{leg.agent_ctx}")
        a1.exten = "s"
        a1.cid_num, a1.cid_name = c2.exten, c2.cid_name
        a1.conn_num, a1.conn_name = c2.cid_num, c2.cid_name
        pbx.newexten(a1, "AppDial", "(Outgoing Line)")
        pbx.newcallerid(a1)
        pbx.chan_event("NewConnectedLine", a1)
        pbx.varset(a2, "DIALEDPEERNUMBER", f"{ext}@{leg.agent_ctx}")
        a2.cid_num, a2.cid_name = c2.cid_num, c2.cid_name
        a2.conn_num, a2.conn_name = c2.exten, c2.cid_name
        pbx.newcallerid(a2)
        pbx.chan_event("NewConnectedLine", a2)
        pbx.emit(ev.local_bridge(a1, a2, leg.agent_ctx, ext))
        pbx.emit(ev.dial_event("DialBegin", c2, a1, [("DialString", f"{ext}@{leg.agent_ctx}")]))
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
        elif self.cancel_gap > 0:
            # Asterisk writes the caller's hang-up 0-0.8 ms after DialEnd CANCEL, often in
            # a separate TCP read (issue 11): the engine must not act on the CANCEL alone.
            await asyncio.sleep(self.cancel_gap)
        pbx.hangup_request(a2, 0)
        pbx.hangup(a1, 0)
        pbx.soft_hangup(a2, 0)
        pbx.hangup(a2, 0)
        pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "NOT_INUSE")
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
            elif pbx.pjsip:
                pbx.device_state(f"PJSIP/{ext}", "RINGING")  # a SIP phone really rings
            else:
                pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "INUSE")
                pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "INUSE")
            await asyncio.sleep(FOREVER)
            return
        pbx.newexten(a2, "NoOp", f"agent {ext} answering {a2.name}", priority=1)
        if phone.answer_after > 0:
            pbx.newexten(a2, "Ringing", "", priority=2)
            pbx.newstate(a1, 5)
            if pbx.pjsip:
                pbx.device_state(f"PJSIP/{ext}", "RINGING")
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
            pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "INUSE")
            pbx.newstate(a1, 6)
            pbx.device_state(f"Local/{ext}@{leg.agent_ctx}", "INUSE")
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
        pbx.varset(c2, "DIALEDPEERNUMBER", f"{ext}@{leg.agent_ctx}")
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
