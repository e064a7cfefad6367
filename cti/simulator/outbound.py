"""Click-to-call: ``Originate Local/<ext>@agents`` with ``Context: outbound, Exten: <number>``.

The agent's phone rings first: ``;2`` of the agents pair is the phone (as for every agent
leg here), ``;1`` is the originated channel. When the agent answers, ``;1`` runs the
outbound context, which dials the customer: ``Dial(Local/<number>@customers)``, whose
``;2`` is the simulated customer (answers after ``answer_after`` model seconds or never,
talks ``talk_time``, hangs up). On a real site the outbound context dials a trunk; a
Local pair keeps the lab's convention that every party is a dialplan script.

No trace covers this flow; the events follow the traced Originate (DialBegin without a
``Channel``, OriginateResponse), Dial (DialBegin/DialState/DialEnd, bridge) and hangup
(b_ivr_redirect) orders. ``ChannelId``/``OtherChannelId`` of the Originate set the
uniqueids of ``;1``/``;2``, so the caller of the action knows the call's Linkedid.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.leg import FOREVER, local_device
from cti.simulator.model import Bridge, CallRecord, Channel
from cti.simulator.parties import AgentPhone

if TYPE_CHECKING:
    from cti.simulator.dialplan import Dialplan


@dataclass(frozen=True)
class OutboundSpec:
    extension: str
    number: str
    context: str
    action_id: str
    timeout: float  # model seconds each phone may ring
    caller_num: str
    caller_name: str
    variables: dict[str, str]
    channel_id: str = ""
    other_id: str = ""
    customer_answer_after: float | None = 1.0
    customer_talk_time: float = 30.0


@dataclass(eq=False)
class OutboundCall:
    dp: Dialplan
    spec: OutboundSpec
    phone: AgentPhone | None
    record: CallRecord = field(init=False)
    a1: Channel = field(init=False)  # originated; runs the outbound context
    a2: Channel = field(init=False)  # the agent's phone
    c1: Channel | None = None  # dialled by a1
    c2: Channel | None = None  # the customer's phone
    bridge: Bridge | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    stopped_by: str = ""  # "agent" or "customer": whose side an AMI Hangup hit
    cause: int = 16

    @property
    def agents_ctx(self) -> str:
        return self.dp.contexts.agents

    # -- set-up --------------------------------------------------------------------------
    def start(self) -> None:
        pbx, s = self.dp.pbx, self.spec
        self.record = CallRecord(linkedid="", number=s.number, started=pbx.now(), phase="outbound")
        a1, a2 = pbx.new_local_pair(s.extension, self.agents_ctx, None, self.record)
        if s.channel_id:
            a1.uniqueid = a1.linkedid = a2.linkedid = s.channel_id
        if s.other_id:
            a2.uniqueid = s.other_id
        self.a1, self.a2 = a1, a2
        self.record.linkedid = a1.linkedid
        pbx.calls[a1.linkedid] = self.record
        pbx.processed_calls += 1
        a1.role, a2.role = "agent1", "agent"
        self._register(a1, a2)
        pbx.chan_event("Newchannel", a1)
        pbx.chan_event("Newchannel", a2)
        pbx.newexten(a1, "AppDial2", "(Outgoing Line)")
        for name, value in reversed(list(s.variables.items())):
            pbx.varset(a1, name, value)
        for name, value in s.variables.items():
            pbx.varset(a2, name, value)
        # The Originate's CallerID is the originated channel's: the agent's phone shows
        # the customer being called.
        a1.cid_num, a1.cid_name = s.caller_num, s.caller_name
        pbx.newcallerid(a1)
        a2.cid_num, a2.cid_name = s.caller_num, s.caller_name
        pbx.newcallerid(a2)
        pbx.emit(ev.local_bridge(a1, a2, self.agents_ctx, s.extension))
        dial_string = f"{s.extension}@{self.agents_ctx}"
        pbx.emit(ev.dial_event("DialBegin", None, a1, [("DialString", dial_string)]))
        pbx.set_phase(a2, "agent_ringing")
        a2.task = pbx.spawn(self.run())

    def _register(self, *chans: Channel) -> None:
        for ch in chans:
            self.dp.outbound[ch.name] = self

    async def _wait(self, seconds: float) -> bool:
        """Model seconds; True if an AMI Hangup hit the call meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds * self.dp.pbx.time_scale):
                await self.stop.wait()
        return self.stop.is_set()

    # -- the call --------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            if await self._agent_answers() and await self._customer_answers():
                await self._talk()
        finally:
            for ch in (self.a1, self.a2, self.c1, self.c2):
                if ch is not None:
                    self.dp.outbound.pop(ch.name, None)

    async def _agent_answers(self) -> bool:
        pbx, s, a1, a2 = self.dp.pbx, self.spec, self.a1, self.a2
        phone = self.phone
        pbx.newexten(a2, "NoOp", f"agent {s.extension} answering {a2.name}", priority=1)
        pbx.newexten(a2, "Ringing", "", priority=2)
        pbx.newstate(a1, 5)
        pbx.device_state(f"Local/{s.extension}@{self.agents_ctx}", "RINGING")
        rings = FOREVER
        if phone is not None and phone.answer_after is not None and not phone.busy:
            rings = phone.answer_after
        if await self._wait(min(rings, s.timeout)) or rings > s.timeout:
            self._originate_response("Failure", "3" if not self.stop.is_set() else "5")
            pbx.emit(ev.dial_event("DialEnd", None, a1, [("DialStatus", "NOANSWER")]))
            for ch in (a2, a1):
                pbx.soft_hangup(ch, 19)
                pbx.hangup(ch, 19)
            pbx.device_state(f"Local/{s.extension}@{self.agents_ctx}", "NOT_INUSE")
            return False
        pbx.newexten(a2, "Answer", "", priority=3)
        pbx.newstate(a2, 6)
        pbx.newstate(a1, 6)
        pbx.emit(ev.dial_event("DialEnd", None, a1, [("DialStatus", "ANSWER")]))
        self._originate_response("Success", "4")
        pbx.device_state(f"Local/{s.extension}@{self.agents_ctx}", "INUSE")
        pbx.set_phase(a2, "customer_ringing")
        return True

    def _originate_response(self, response: str, reason: str) -> None:
        s, a1 = self.spec, self.a1
        self.dp.pbx.emit(
            [
                *ev.head("OriginateResponse"),
                ("ActionID", s.action_id),
                ("Response", response),
                ("Channel", a1.name),
                ("Context", s.context),
                ("Exten", s.number),
                ("Reason", reason),
                ("Uniqueid", a1.uniqueid),
                ("CallerIDNum", s.caller_num),
                ("CallerIDName", s.caller_name),
            ]
        )

    async def _customer_answers(self) -> bool:
        pbx, s, a1 = self.dp.pbx, self.spec, self.a1
        pbx.newexten(
            a1, "NoOp", f"outbound {s.number} by {s.extension}", context=s.context, priority=1
        )
        pbx.newexten(a1, "Dial", f"Local/{s.number}@customers,{int(s.timeout)}", priority=2)
        c1, c2 = pbx.new_local_pair(s.number, "customers", a1.linkedid, self.record)
        c1.role, c2.role = "customer1", "customer"
        self.c1, self.c2 = c1, c2
        self._register(c1, c2)
        pbx.chan_event("Newchannel", c1)
        pbx.chan_event("Newchannel", c2)
        c1.cid_num, c1.cid_name = s.caller_num, s.caller_name
        pbx.newcallerid(c1)
        pbx.emit(ev.local_bridge(c1, c2, "customers", s.number))
        pbx.emit(ev.dial_event("DialBegin", a1, c1, [("DialString", f"{s.number}@customers")]))
        pbx.newexten(c2, "NoOp", f"customer {s.number} {c2.name}", priority=1)
        pbx.newexten(c2, "Ringing", "", priority=2)
        pbx.newstate(c1, 5)
        pbx.emit(ev.two_channel_event("DialState", a1, c1, [("DialStatus", "RINGING")]))
        after = s.customer_answer_after
        rings = FOREVER if after is None else after
        if await self._wait(min(rings, s.timeout)) or rings > s.timeout:
            status = "CANCEL" if self.stop.is_set() else "NOANSWER"
            pbx.emit(ev.dial_event("DialEnd", a1, c1, [("DialStatus", status)]))
            pbx.hangup_request(c2, 0)
            pbx.hangup(c1, 0)
            pbx.soft_hangup(c2, 0)
            pbx.hangup(c2, 0)
            pbx.varset(a1, "DIALSTATUS", status)
            self._agent_pair_down()
            return False
        pbx.newexten(c2, "Answer", "", priority=3)
        pbx.newstate(c2, 6)
        pbx.newstate(c1, 6)
        pbx.varset(a1, "DIALSTATUS", "ANSWER")
        pbx.emit(ev.dial_event("DialEnd", a1, c1, [("DialStatus", "ANSWER")]))
        self.bridge = pbx.new_bridge()
        pbx.bridge_enter(self.bridge, c1)
        pbx.bridge_enter(self.bridge, a1)
        pbx.varset(c1, "BRIDGEPEER", a1.name)
        pbx.varset(a1, "BRIDGEPEER", c1.name)
        pbx.set_phase(self.a2, "connected")
        self.record.agent = s.extension
        return True

    async def _talk(self) -> None:
        pbx, s = self.dp.pbx, self.spec
        assert self.c2 is not None
        agent_talk = self.phone.talk_time if self.phone is not None else FOREVER
        customer_talk = s.customer_talk_time
        pbx.newexten(self.c2, "Wait", str(int(customer_talk)), priority=4)
        await self._wait(min(agent_talk, customer_talk))
        if self.stop.is_set():
            customer_first = self.stopped_by == "customer"
        else:
            customer_first = customer_talk <= agent_talk
            self.cause = 16
        (self._customer_leaves if customer_first else self._agent_leaves)()

    # -- hangups ---------------------------------------------------------------------------
    def _customer_leaves(self) -> None:
        """The customer's script hangs up (b_ivr_redirect order, customer as the agent)."""
        pbx, c1, c2, a1 = self.dp.pbx, self.c1, self.c2, self.a1
        assert c1 is not None and c2 is not None
        cause = self.cause
        pbx.newexten(c2, "Hangup", "", priority=5)
        pbx.soft_hangup(c2, cause)
        pbx.hangup_request(c1, cause)
        pbx.hangup(c2, cause)
        pbx.varset(c1, "BRIDGEPEER", "")
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.bridge_leave(c1)
        pbx.hangup(c1, cause)
        pbx.bridge_leave(a1)
        self._agent_pair_down()

    def _agent_leaves(self) -> None:
        """The agent hangs up (or the engine hangs the agent's channel up)."""
        pbx, c1, c2, a1, a2 = self.dp.pbx, self.c1, self.c2, self.a1, self.a2
        assert c1 is not None and c2 is not None
        cause = self.cause
        pbx.soft_hangup(a2, cause)
        pbx.hangup_request(a1, cause)
        pbx.hangup(a2, cause)
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.varset(c1, "BRIDGEPEER", "")
        pbx.bridge_leave(a1)
        pbx.hangup(a1, cause)
        pbx.bridge_leave(c1)
        self._destroy_bridge()
        pbx.soft_hangup(c1, cause)
        pbx.hangup_request(c2, cause)
        pbx.hangup(c1, cause)
        pbx.soft_hangup(c2, cause)
        pbx.hangup(c2, cause)
        pbx.device_state(f"Local/{self.spec.extension}@{self.agents_ctx}", "NOT_INUSE")
        pbx.device_state(local_device(c2), "NOT_INUSE")

    def _destroy_bridge(self) -> None:
        if self.bridge is not None:
            self.dp.pbx.bridge_destroy(self.bridge)
            self.bridge = None

    def _agent_pair_down(self) -> None:
        """The outbound context is over on ;1 (the customer left or never answered)."""
        pbx, a1, a2 = self.dp.pbx, self.a1, self.a2
        cause = self.cause
        self._destroy_bridge()
        pbx.soft_hangup(a1, cause)
        pbx.hangup_request(a2, cause)
        pbx.hangup(a1, cause)
        pbx.soft_hangup(a2, cause)
        pbx.hangup(a2, cause)
        pbx.device_state(f"Local/{self.spec.extension}@{self.agents_ctx}", "NOT_INUSE")

    def ami_hangup(self, ch: Channel, cause: int) -> None:
        """AMI Hangup of any channel of the call: that side ends it."""
        if self.stop.is_set():
            return
        self.cause = cause
        self.stopped_by = "customer" if ch in (self.c1, self.c2) else "agent"
        self.stop.set()


def originate_outbound(dp: Dialplan, spec: OutboundSpec) -> OutboundCall:
    call = OutboundCall(dp, spec, dp.agents.get(spec.extension))
    call.start()
    return call
