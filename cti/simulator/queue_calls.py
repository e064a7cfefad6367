"""app_queue's call flow: join, ring members (leastrecent, ringinuse=no, autofill), connect,
complete, ring-no-answer with retry, abandon; with the QUEUE*/MEMBER* VarSet blocks.

The event order of each step is the one Asterisk 22.10.1 produced in ``c_queue``,
``a_basic``, ``d_burst`` and ``f2_restart_live_call``.

Ringing one member is in ``queue_ringing.py``; this module is the caller's lifecycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.model import Channel
from cti.simulator.queue_ringing import QueueRinging, Waiting

if TYPE_CHECKING:
    from cti.simulator.dialplan import Leg
    from cti.simulator.queues import Queue, QueueEngine

QUEUE_VARS = (
    "QUEUENAME",
    "QUEUEMAX",
    "QUEUESTRATEGY",
    "QUEUECALLS",
    "QUEUEHOLDTIME",
    "QUEUETALKTIME",
    "QUEUECOMPLETED",
    "QUEUEABANDONED",
    "QUEUESRVLEVEL",
    "QUEUESRVLEVELPERF",
)
MEMBER_VARS = (
    "MEMBERINTERFACE",
    "MEMBERNAME",
    "MEMBERCALLS",
    "MEMBERLASTCALL",
    "MEMBERPENALTY",
    "MEMBERDYNAMIC",
    "MEMBERREALTIME",
)
TIME_VARS = ("ANSWEREDTIME", "ANSWEREDTIME_MS", "DIALEDTIME", "DIALEDTIME_MS")


class QueueCalls(QueueRinging):
    def __init__(self, engine: QueueEngine) -> None:
        self.engine = engine
        self.dp = engine.dp
        self.pbx = engine.pbx

    # -- helpers -------------------------------------------------------------------------
    def queue_vars(self, ch: Channel, q: Queue) -> None:
        values = {
            "QUEUENAME": q.cfg.name,
            "QUEUEMAX": "0",
            "QUEUESTRATEGY": q.cfg.strategy,
            "QUEUECALLS": str(len(q.callers)),
            "QUEUEHOLDTIME": "0",
            "QUEUETALKTIME": "0",
            "QUEUECOMPLETED": str(q.completed),
            "QUEUEABANDONED": str(q.abandoned),
            "QUEUESRVLEVEL": "0",
            "QUEUESRVLEVELPERF": "0.0",
        }
        for name in QUEUE_VARS:
            self.pbx.varset(ch, name, values[name])

    def _wait_vars(self, w: Waiting) -> None:
        held = self._seconds(w.joined)
        self.pbx.varset(w.leg.c2, "QUEUEWAIT", str(int(held)))
        self.pbx.varset(w.leg.c2, "QUEUEWAIT_MS", str(int(held * 1000)))

    # -- the caller ----------------------------------------------------------------------
    async def run_caller(self, leg: Leg, q: Queue) -> None:
        pbx, c2 = self.pbx, leg.c2
        pbx.newexten(c2, "Queue", f"{q.cfg.name},,,,300", priority=3)
        for name in (*TIME_VARS, "QUEUEWAIT", "QUEUEWAIT_MS"):
            pbx.varset(c2, name, "")
        leg.where = "queue"
        leg.queue = q
        pbx.set_phase(c2, "queued")
        q.callers.append(leg)
        w = Waiting(leg, q, pbx.now(), len(q.callers))
        q.waiting[leg] = w
        self.engine.queue_device(q)
        pbx.chan_event(
            "QueueCallerJoin",
            c2,
            [("Queue", q.cfg.name), ("Position", str(w.position)), ("Count", str(len(q.callers)))],
        )
        while not c2.hangup_requested.is_set():
            member = await self._next_member(w)
            if member is None:
                break
            outcome = await self._ring(w, member)
            if outcome == "answer":
                return
            if outcome == "hangup" or await self.dp.wait(c2, q.cfg.retry):
                break
        self._abandon(w)

    # -- answer, complete ----------------------------------------------------------------
    def agent_answered(self, leg: Leg) -> None:
        q = leg.queue
        w = q.waiting.get(leg)
        assert w is not None and w.member is not None and leg.a1 is not None
        pbx, c2, a1, m = self.pbx, leg.c2, leg.a1, w.member
        pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "ANSWER")]))
        values = {
            "MEMBERINTERFACE": m.interface,
            "MEMBERNAME": m.name,
            "MEMBERCALLS": str(m.calls),
            "MEMBERLASTCALL": str(m.last_call),
            "MEMBERPENALTY": "0",
            "MEMBERDYNAMIC": "1",
            "MEMBERREALTIME": "0",
        }
        for ch in (c2, a1):
            for name in MEMBER_VARS:
                pbx.varset(ch, name, values[name])
        pbx.device_state(f"Local/{m.extension}@agents", "INUSE")
        pbx.device_state(f"Local/{m.extension}@agents", "INUSE")
        held = self._seconds(w.joined)
        for ch in (c2, a1):
            pbx.varset(ch, "QEHOLDTIME", str(int(held)))
            pbx.varset(ch, "QEORIGINALPOS", str(w.position))
        m.in_call, m.ringing = True, False
        pbx.emit(self.engine.member_pairs("QueueMemberStatus", q, m))
        self.engine.avail_device(q)
        self.queue_vars(c2, q)
        self.queue_vars(a1, q)
        pos = self._leave(leg, q)
        pbx.varset(c2, "QUEUEPOSITION", str(pos))
        self._wait_vars(w)
        ring_ms = int(self._seconds(w.rang_at) * 1000)
        self._member_event(
            "AgentConnect", w, a1, [("HoldTime", str(int(held))), ("RingTime", str(ring_ms))]
        )
        leg.answered_at = pbx.now()
        self.dp.enter_bridge(leg, pbx.new_bridge())

    def _leave(self, leg: Leg, q: Queue) -> int:
        pos = q.callers.index(leg) + 1 if leg in q.callers else 1
        if leg in q.callers:
            q.callers.remove(leg)
        self.engine.queue_device(q)
        self.pbx.chan_event(
            "QueueCallerLeave",
            leg.c2,
            [("Queue", q.cfg.name), ("Position", str(pos)), ("Count", str(len(q.callers)))],
        )
        return pos

    def _complete(self, w: Waiting, a1: Channel, reason: str) -> None:
        m = w.member
        assert m is not None
        talk = self._seconds(w.leg.answered_at)
        self.pbx.emit(
            ev.head("AgentComplete")
            + ev.channel_block(w.leg.c2)
            + [
                ("Queue", w.queue.cfg.name),
                ("Interface", m.interface),
                ("MemberName", m.name),
                ("HoldTime", str(int(self._seconds(w.joined) - talk))),
                ("TalkTime", str(int(talk))),
                ("Reason", reason),
            ]
            + ([] if a1.hungup else ev.channel_block(a1, "Dest"))
        )
        m.calls += 1
        m.last_call = int(self.pbx.boot_wall + self.pbx.now() - self.pbx.boot_mono)
        w.queue.completed += 1

    def _after_bridge_vars(self, w: Waiting) -> None:
        c2 = w.leg.c2
        self.queue_vars(c2, w.queue)
        talk = self._seconds(w.leg.answered_at)
        dialed = self._seconds(w.rang_at)
        for name, value in zip(
            TIME_VARS,
            (int(talk), int(talk * 1000), int(dialed), int(dialed * 1000)),
            strict=True,
        ):
            self.pbx.varset(c2, name, str(value))
        self.queue_vars(c2, w.queue)

    def agent_hangs_up(self, leg: Leg) -> None:
        """The member's script ran Hangup() while bridged (c_queue c1, d_burst)."""
        pbx, c1, c2, a1, a2 = self.pbx, leg.c1, leg.c2, leg.a1, leg.a2
        w = leg.queue.waiting.get(leg) if leg.queue is not None else None
        assert a1 is not None and a2 is not None and w is not None
        leg.where = "gone"
        self.dp._cancel(c1)
        self.dp._cancel(c2)
        pbx.soft_hangup(a2, 16)
        pbx.hangup_request(a1, 16)
        pbx.hangup(a2, 16)
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.bridge_leave(a1)
        pbx.hangup(a1, 16)
        self._complete(w, a1, "agent")
        pbx.bridge_leave(c2)
        self._after_bridge_vars(w)
        pbx.soft_hangup(c2, 16)
        pbx.hangup_request(c1, 16)
        pbx.hangup(c2, 16)
        pbx.soft_hangup(c1, 16)
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.hangup(c1, 16)
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
        pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
        self._release(w)

    def _release(self, w: Waiting) -> None:
        m = w.member
        assert m is not None
        m.in_call = m.ringing = False
        self.pbx.emit(self.engine.member_pairs("QueueMemberStatus", w.queue, m))
        self.engine.avail_device(w.queue)
        w.queue.waiting.pop(w.leg, None)
        self.engine.dispatch(w.queue)

    def restart_hangup(self, leg: Leg) -> None:
        """``core restart now`` with the call bridged (f2_restart_live_call)."""
        pbx, c1, c2, a1, a2 = self.pbx, leg.c1, leg.c2, leg.a1, leg.a2
        w = leg.queue.waiting.get(leg) if leg.queue is not None else None
        assert a1 is not None and a2 is not None and w is not None
        leg.where = "gone"
        pbx.soft_hangup(c2, 4)
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.bridge_leave(c2)
        self._after_bridge_vars(w)
        pbx.soft_hangup(c2, 16)
        for ch in (c1, a2, a1):
            pbx.soft_hangup(ch, 4)
        pbx.soft_hangup(c1, 16)
        pbx.hangup_request(c2, 0)
        self._complete(w, a1, "caller")
        pbx.hangup(c1, 0)
        pbx.bridge_leave(a1)
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.hangup_request(a2, 16)
        pbx.hangup(a1, 16)
        pbx.soft_hangup(a2, 16)
        pbx.hangup(a2, 16)
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.hangup(c2, 16)
        self._release(w)
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
        pbx.device_state("Local/s@queue-entry", "NOT_INUSE")

    # -- abandon -------------------------------------------------------------------------
    def _abandon(self, w: Waiting) -> None:
        """The caller left while waiting or ringing: hung up by its ;1 or by AMI."""
        pbx, leg, q = self.pbx, w.leg, w.queue
        c1, c2, a1, a2 = leg.c1, leg.c2, leg.a1, leg.a2
        ringing = a1 is not None and a2 is not None and w.member is not None
        if ringing:
            assert a1 is not None and a2 is not None
            pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "CANCEL")]))
            pbx.emit(ev.dial_event("DialEnd", c2, a1, [("DialStatus", "CANCEL")]))
            self.dp._cancel(a2)
            pbx.hangup_request(a2, 0)
            pbx.hangup(a1, 0)
        self._wait_vars(w)
        dialed = self._seconds(w.joined)
        pbx.varset(c2, "DIALEDTIME", str(int(dialed)))
        pbx.varset(c2, "DIALEDTIME_MS", str(int(dialed * 1000)))
        pbx.varset(c2, "ANSWEREDTIME", "0")
        pbx.varset(c2, "ANSWEREDTIME_MS", "0")
        pbx.varset(c2, "ABANDONED", "TRUE")
        self.queue_vars(c2, q)
        pos = q.callers.index(leg) + 1 if leg in q.callers else 1
        pbx.chan_event(
            "QueueCallerAbandon",
            c2,
            [
                ("Queue", q.cfg.name),
                ("Position", str(pos)),
                ("OriginalPosition", str(w.position)),
                ("HoldTime", str(int(self._seconds(w.joined)))),
            ],
        )
        q.abandoned += 1
        self.queue_vars(c2, q)
        pbx.varset(c2, "QUEUEPOSITION", str(self._leave(leg, q)))
        leg.where = "gone"
        q.waiting.pop(leg, None)
        if c1.hungup:
            pbx.soft_hangup(c2, 16)
            pbx.hangup(c2, 16)
            pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
            pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
        else:  # AMI Hangup of ;2
            pbx.soft_hangup(c2, 16)
            pbx.hangup_request(c1, 0)
            pbx.hangup(c2, 0)
            self.dp._cancel(c1)
            pbx.soft_hangup(c1, 16)
            pbx.hangup(c1, 0)
            pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
            pbx.device_state("Local/s@queue-entry", "NOT_INUSE")
        if ringing:
            assert a1 is not None and a2 is not None
            pbx.soft_hangup(a2, 16)
            pbx.hangup(a2, 0)
            leg.a1 = leg.a2 = None
            self._member_free(w)
        else:
            self.engine.dispatch(q)
