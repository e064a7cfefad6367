"""app_queue, reduced: queue config, dynamic members and the AMI queue actions.

Callers in ``queue-entry`` join, ring free members (leastrecent) through the same Dial
machinery as ``connect``, and emit QueueCallerJoin/AgentCalled/QueueCallerLeave/
AgentConnect/AgentComplete/QueueCallerAbandon. The per-step VarSet detail of the real
app_queue is not reproduced yet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.events import Pairs
from cti.simulator.server import Action, AmiSession, _one

if TYPE_CHECKING:
    from cti.simulator.dialplan import Dialplan, Leg


@dataclass
class QueueConfig:
    name: str = "support"
    strategy: str = "leastrecent"
    timeout: int = 15
    retry: int = 2


@dataclass
class Member:
    interface: str
    name: str
    paused: bool = False
    reason: str = ""
    calls: int = 0
    last_call: int = 0
    last_pause: int = 0
    login: int = field(default_factory=lambda: int(time.time()))
    in_call: bool = False

    def status(self) -> str:
        return "2" if self.in_call else "1"


@dataclass
class Queue:
    cfg: QueueConfig
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[Leg] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0


class QueueEngine:
    def __init__(self, dp: Dialplan, configs: list[QueueConfig]) -> None:
        self.dp = dp
        self.pbx = dp.pbx
        self.queues = {c.name: Queue(c) for c in configs}

    def reset(self) -> None:
        for q in self.queues.values():
            q.members.clear()
            q.callers.clear()

    def _member_pairs(self, name: str, q: Queue, m: Member) -> Pairs:
        return ev.head(name) + [
            ("Queue", q.cfg.name),
            ("MemberName", m.name),
            ("Interface", m.interface),
            ("StateInterface", m.interface),
            ("Membership", "dynamic"),
            ("Penalty", "0"),
            ("CallsTaken", str(m.calls)),
            ("LastCall", str(m.last_call)),
            ("LastPause", str(m.last_pause)),
            ("LoginTime", str(m.login)),
            ("InCall", "1" if m.in_call else "0"),
            ("Status", m.status()),
            ("Paused", "1" if m.paused else "0"),
            ("PausedReason", m.reason),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]

    # -- AMI actions ----------------------------------------------------------------------
    def do_queueadd(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        q = self.queues.get(_one(a, "Queue"))
        iface = _one(a, "Interface")
        if q is None:
            return _err(s, aid, "Unable to add interface to queue: No such queue")
        if iface in q.members:
            return _err(s, aid, "Unable to add interface to queue: Already there")
        paused = _one(a, "Paused").lower() in ("1", "true", "yes")
        m = Member(iface, _one(a, "MemberName") or iface, paused, _one(a, "Reason"))
        q.members[iface] = m
        _ok(s, aid, "Added interface to queue")
        self.pbx.device_state(f"Queue:{q.cfg.name}_avail", "INUSE" if paused else "NOT_INUSE")
        self.pbx.emit(self._member_pairs("QueueMemberAdded", q, m))

    def do_queueremove(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        q = self.queues.get(_one(a, "Queue"))
        iface = _one(a, "Interface")
        if q is None or iface not in q.members:
            return _err(s, aid, "Unable to remove interface: Not there")
        m = q.members.pop(iface)
        _ok(s, aid, "Removed interface from queue")
        self.pbx.device_state(f"Queue:{q.cfg.name}_avail", "NOT_INUSE")
        self.pbx.emit(self._member_pairs("QueueMemberRemoved", q, m))

    def do_queuepause(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        iface = _one(a, "Interface")
        qname = _one(a, "Queue")
        paused = _one(a, "Paused").lower() in ("1", "true", "yes")
        hits = [
            (q, q.members[iface])
            for q in self.queues.values()
            if iface in q.members and (not qname or q.cfg.name == qname)
        ]
        if not hits:
            return _err(s, aid, "Interface not found")
        _ok(
            s, aid, "Interface paused successfully" if paused else "Interface unpaused successfully"
        )
        for q, m in hits:
            m.paused, m.reason = paused, _one(a, "Reason") if paused else ""
            m.last_pause = int(time.time())
            self.pbx.emit(self._member_pairs("QueueMemberPause", q, m))

    def do_queuestatus(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        qname = _one(a, "Queue")
        if qname and qname not in self.queues:
            _list_start(s, aid, "Queue status will follow")
            s.send(
                [
                    ("Event", "QueueStatusComplete"),
                    *aid,
                    ("EventList", "Complete"),
                    ("ListItems", "0"),
                ]
            )
            return
        _list_start(s, aid, "Queue status will follow")
        items = 0
        now = self.pbx.now()
        for q in self.queues.values():
            if qname and q.cfg.name != qname:
                continue
            s.send(
                [
                    ("Event", "QueueParams"),
                    ("Queue", q.cfg.name),
                    ("Max", "0"),
                    ("Strategy", q.cfg.strategy),
                    ("Calls", str(len(q.callers))),
                    ("Holdtime", "0"),
                    ("TalkTime", "0"),
                    ("Completed", str(q.completed)),
                    ("Abandoned", str(q.abandoned)),
                    ("ServiceLevel", "0"),
                    ("ServicelevelPerf", "0.0"),
                    ("ServicelevelPerf2", "0.0"),
                    ("Weight", "0"),
                    *aid,
                ]
            )
            items += 1
            for m in q.members.values():
                s.send(
                    [
                        ("Event", "QueueMember"),
                        ("Queue", q.cfg.name),
                        ("Name", m.name),
                        ("Location", m.interface),
                        ("StateInterface", m.interface),
                        ("Membership", "dynamic"),
                        ("Penalty", "0"),
                        ("CallsTaken", str(m.calls)),
                        ("LastCall", str(m.last_call)),
                        ("LastPause", str(m.last_pause)),
                        ("LoginTime", str(m.login)),
                        ("InCall", "1" if m.in_call else "0"),
                        ("Status", m.status()),
                        ("Paused", "1" if m.paused else "0"),
                        ("PausedReason", m.reason),
                        ("Wrapuptime", "0"),
                        *aid,
                    ]
                )
                items += 1
            for pos, leg in enumerate(q.callers, 1):
                c = leg.c2
                s.send(
                    [
                        ("Event", "QueueEntry"),
                        ("Queue", q.cfg.name),
                        ("Position", str(pos)),
                        ("Channel", c.name),
                        ("Uniqueid", c.uniqueid),
                        ("CallerIDNum", c.cid_num),
                        ("CallerIDName", c.cid_name),
                        ("ConnectedLineNum", c.conn_num),
                        ("ConnectedLineName", c.conn_name),
                        ("Wait", str(int((now - c.created) / self.pbx.time_scale))),
                        ("Priority", "0"),
                        *aid,
                    ]
                )
                items += 1
        s.send(
            [
                ("Event", "QueueStatusComplete"),
                *aid,
                ("EventList", "Complete"),
                ("ListItems", str(items)),
            ]
        )

    def do_queuesummary(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        _list_start(s, aid, "Queue summary will follow")
        n = 0
        for q in self.queues.values():
            avail = sum(1 for m in q.members.values() if not m.paused and not m.in_call)
            s.send(
                [
                    ("Event", "QueueSummary"),
                    ("Queue", q.cfg.name),
                    ("LoggedIn", str(len(q.members))),
                    ("Available", str(avail)),
                    ("Callers", str(len(q.callers))),
                    ("HoldTime", "0"),
                    ("TalkTime", "0"),
                    ("LongestHoldTime", "0"),
                    *aid,
                ]
            )
            n += 1
        s.send(
            [
                ("Event", "QueueSummaryComplete"),
                *aid,
                ("EventList", "Complete"),
                ("ListItems", str(n)),
            ]
        )

    # -- callers --------------------------------------------------------------------------
    async def run_caller(self, leg: Leg, qname: str) -> None:
        pbx, c2 = self.pbx, leg.c2
        q = self.queues[qname]
        pbx.newexten(c2, "Queue", f"{qname},,,,300", priority=3)
        leg.where = "queue"
        pbx.set_phase(c2, "queued")
        q.callers.append(leg)
        pbx.chan_event(
            "QueueCallerJoin",
            c2,
            [("Queue", qname), ("Position", str(len(q.callers))), ("Count", str(len(q.callers)))],
        )
        while not c2.hangup_requested.is_set():
            free = [m for m in q.members.values() if not m.paused and not m.in_call]
            if not free or q.callers[0] is not leg:
                if await self.dp.wait(c2, 0.25):
                    break
                continue
            member = min(free, key=lambda m: m.last_call)
            ext = member.interface.split("/", 1)[1].split("@", 1)[0]
            member.in_call = True
            leg.queue_member = member
            leg.queue = q
            status = await self.dp.dial(leg, ext, q.cfg.timeout)
            if status == "ANSWER":
                return
            member.in_call = False
            if await self.dp.wait(c2, q.cfg.retry):
                break
            leg.where = "queue"
        await self.dp.c2_hung_up(leg)

    def _leave(self, leg: Leg, q: Queue) -> None:
        pos = q.callers.index(leg) + 1 if leg in q.callers else 1
        if leg in q.callers:
            q.callers.remove(leg)
        self.pbx.chan_event(
            "QueueCallerLeave",
            leg.c2,
            [("Queue", q.cfg.name), ("Position", str(pos)), ("Count", str(len(q.callers)))],
        )

    def agent_answered(self, leg: Leg, ext: str) -> None:
        q: Queue = leg.queue
        self._leave(leg, q)
        self.dp.answer_dial(leg, ext)

    def member_done(self, leg: Leg) -> None:
        member, q = leg.queue_member, leg.queue
        if member is not None and q is not None:
            member.in_call = False
            member.calls += 1
            member.last_call = int(time.time())
            q.completed += 1

    def caller_hangup(self, leg: Leg, cause: int) -> None:
        q = leg.queue or self.queues.get("support")
        if q is not None and leg in q.callers:
            self.pbx.chan_event(
                "QueueCallerAbandon",
                leg.c2,
                [
                    ("Queue", q.cfg.name),
                    ("Position", "1"),
                    ("OriginalPosition", "1"),
                    ("HoldTime", "0"),
                ],
            )
            q.abandoned += 1
            self._leave(leg, q)
        leg.where = "ivr"
        self.dp.ami_hangup(leg.c2, cause)


def _ok(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Success"), *aid, ("Message", message)])


def _err(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Error"), *aid, ("Message", message)])


def _list_start(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Success"), *aid, ("EventList", "start"), ("Message", message)])
