"""Ringing a queue member for a caller in Queue(): the offer, the member's Local pair,
ring-no-answer and freeing the member again.

``QueueRinging`` is the base of ``QueueCalls``; the ringing steps never call into the
join/connect/complete/abandon lifecycle, so they read on their own here.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.model import Channel, Pbx

if TYPE_CHECKING:
    from cti.simulator.dialplan import Dialplan, Leg
    from cti.simulator.queues import Member, Queue, QueueEngine


@dataclass(eq=False)
class Waiting:
    """A caller inside Queue(): where it stands and what it is ringing."""

    leg: Leg
    queue: Queue
    joined: float
    position: int
    offer: asyncio.Future[Member] | None = None
    member: Member | None = None
    rang_at: float = 0.0
    answered: asyncio.Future[None] | None = field(default=None)


class QueueRinging:
    # Set by QueueCalls.__init__.
    engine: QueueEngine
    dp: Dialplan
    pbx: Pbx

    # -- helpers -------------------------------------------------------------------------
    def _seconds(self, since: float) -> float:
        return max(0.0, (self.pbx.now() - since) / self.pbx.time_scale)

    def _member_event(self, name: str, w: Waiting, a1: Channel, extra: ev.Pairs) -> None:
        m = w.member
        assert m is not None
        fields = [("Queue", w.queue.cfg.name), ("Interface", m.interface), ("MemberName", m.name)]
        self.pbx.emit(ev.two_channel_event(name, w.leg.c2, a1, fields + extra))

    # -- ringing members -----------------------------------------------------------------
    async def _next_member(self, w: Waiting) -> Member | None:
        loop = asyncio.get_running_loop()
        w.offer = loop.create_future()
        self.engine.dispatch(w.queue)
        hung = asyncio.ensure_future(w.leg.c2.hangup_requested.wait())
        try:
            await asyncio.wait({w.offer, hung}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hung.cancel()
        offer, w.offer = w.offer, None
        if offer.done() and not offer.cancelled():
            member = offer.result()
            if w.leg.c2.hangup_requested.is_set():
                member.ringing = False
                self.engine.dispatch(w.queue)
                return None
            return member
        offer.cancel()
        return None

    async def _ring(self, w: Waiting, member: Member) -> str:
        pbx, dp, leg, c2 = self.pbx, self.dp, w.leg, w.leg.c2
        ext = member.extension
        w.member = member
        leg.queue_member = member
        leg.agent = ext
        leg.where = "queue"
        w.rang_at = leg.dial_started = pbx.now()
        pbx.set_phase(c2, "ringing")
        # app_queue's members are the site's own interfaces (Local/<ext>@agents).
        a1, a2 = dp.new_agent_pair(leg, ext, "agents")
        a1.exten = "s"
        a1.cid_num, a1.cid_name = c2.cid_num, c2.cid_name
        a1.conn_num, a1.conn_name = c2.cid_num, c2.cid_name
        pbx.newexten(a1, "AppQueue", "(Outgoing Line)")
        pbx.newcallerid(a1)
        pbx.varset(a1, "DIALEDPEERNUMBER", f"{ext}@agents")
        pbx.varset(a2, "DIALEDPEERNUMBER", f"{ext}@agents")
        a2.cid_num, a2.cid_name = c2.cid_num, c2.cid_name
        a2.conn_num, a2.conn_name = c2.cid_num, c2.cid_name
        pbx.newcallerid(a2)
        pbx.chan_event("NewConnectedLine", a2)
        pbx.emit(ev.local_bridge(a1, a2, "agents", ext))
        self._member_event("AgentCalled", w, a1, [])
        pbx.emit(ev.dial_event("DialBegin", c2, a1, [("DialString", f"{ext}@agents")]))
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        w.answered = answered
        a2.task = pbx.spawn(
            dp.agent_phone(leg, a1, a2, ext, dp.agents.get(ext), answered, app="AppQueue")
        )
        hung = asyncio.ensure_future(c2.hangup_requested.wait())
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(w.queue.cfg.timeout * pbx.time_scale):
                    await asyncio.wait({answered, hung}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            hung.cancel()
        if answered.done() and not answered.cancelled():
            return "answer"
        answered.cancel()
        if c2.hangup_requested.is_set():
            return "hangup"
        self._ring_timeout(w, a1, a2)
        return "noanswer"

    def _ring_timeout(self, w: Waiting, a1: Channel, a2: Channel) -> None:
        pbx, c2 = self.pbx, w.leg.c2
        ring_ms = int(self._seconds(w.rang_at) * 1000)
        self._member_event("AgentRingNoAnswer", w, a1, [("RingTime", str(ring_ms))])
        pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "NOANSWER")]))
        pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "CANCEL")]))
        self._drop_agent(w, a1, a2)
        self._member_free(w)

    def _drop_agent(self, w: Waiting, a1: Channel, a2: Channel) -> None:
        pbx = self.pbx
        self.dp._cancel(a2)
        pbx.hangup_request(a2, 0)
        pbx.hangup(a1, 0)
        pbx.soft_hangup(a2, 16)
        pbx.hangup(a2, 0)
        w.leg.a1 = w.leg.a2 = None

    def _member_free(self, w: Waiting) -> None:
        m = w.member
        assert m is not None
        pbx = self.pbx
        pbx.device_state(f"Local/{m.extension}@agents", "NOT_INUSE")
        pbx.device_state(f"Local/{m.extension}@agents", "NOT_INUSE")
        m.ringing = m.in_call = False
        pbx.emit(self.engine.member_pairs("QueueMemberStatus", w.queue, m))
        self.engine.avail_device(w.queue)
        w.member = None
        self.engine.dispatch(w.queue)

    def member_ringing(self, leg: Leg) -> None:
        """The member's phone rings (Ringing()): its device is INUSE at once."""
        w = leg.queue.waiting.get(leg) if leg.queue is not None else None
        if w is None or w.member is None:
            return
        self.pbx.device_state(f"Local/{w.member.extension}@agents", "INUSE")
        self.pbx.emit(self.engine.member_pairs("QueueMemberStatus", w.queue, w.member))
        self.engine.avail_device(w.queue)
