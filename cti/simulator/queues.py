"""app_queue: queue config, dynamic members, the queue device states and the AMI queue
actions. The call flow (join, ring, connect, abandon) is in ``queue_calls.py``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.events import Pairs
from cti.simulator.queue_calls import QueueCalls, Waiting
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
    ringing: bool = False
    order: int = 0

    @property
    def extension(self) -> str:
        return self.interface.split("/", 1)[-1].split("@", 1)[0]

    def status(self) -> str:
        return "2" if self.in_call or self.ringing else "1"

    def available(self) -> bool:
        return not (self.paused or self.in_call or self.ringing)


@dataclass
class Queue:
    cfg: QueueConfig
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[Leg] = field(default_factory=list)
    waiting: dict[Leg, Waiting] = field(default_factory=dict)
    completed: int = 0
    abandoned: int = 0


class QueueEngine:
    def __init__(self, dp: Dialplan, configs: list[QueueConfig]) -> None:
        self.dp = dp
        self.pbx = dp.pbx
        self.queues = {c.name: Queue(c) for c in configs}
        self.calls = QueueCalls(self)
        self.devices: dict[str, str] = {}
        self._added = 0
        self.reset()

    def reset(self) -> None:
        """After a restart: no members (persistentmembers = no), no callers, no stats."""
        self.queues = {name: Queue(q.cfg) for name, q in self.queues.items()}
        self.devices.clear()
        for name in self.queues:  # no members: nobody available
            self.devices[f"Queue:{name}_avail"] = "INUSE"

    # -- virtual queue devices (DeviceStateChange only when the state changes) -------------
    def _device(self, name: str, state: str) -> None:
        if self.devices.get(name) != state:
            self.devices[name] = state
            self.pbx.device_state(name, state)

    def queue_device(self, q: Queue) -> None:
        self._device(f"Queue:{q.cfg.name}", "RINGING" if q.callers else "NOT_INUSE")

    def avail_device(self, q: Queue) -> None:
        free = any(m.available() for m in q.members.values())
        self._device(f"Queue:{q.cfg.name}_avail", "NOT_INUSE" if free else "INUSE")

    def pause_device(self, q: Queue, m: Member, paused: bool) -> None:
        self._device(f"Queue:{q.cfg.name}_pause_{m.interface}", "INUSE" if paused else "NOT_INUSE")

    # -- routing -------------------------------------------------------------------------
    def dispatch(self, q: Queue) -> None:
        """Offer free members (leastrecent) to the callers in order (autofill)."""
        free = sorted(
            (m for m in q.members.values() if m.available()),
            key=lambda m: (m.last_call, -m.order),
        )
        for leg in q.callers:
            if not free:
                return
            w = q.waiting.get(leg)
            if w is None or w.offer is None or w.offer.done():
                continue
            member = free.pop(0)
            member.ringing = True
            w.offer.set_result(member)

    async def run_caller(self, leg: Leg, qname: str) -> None:
        await self.calls.run_caller(leg, self.queues[qname])

    def agent_answered(self, leg: Leg, ext: str) -> None:
        self.calls.agent_answered(leg)

    def member_pairs(self, name: str, q: Queue, m: Member) -> Pairs:
        return [
            *ev.head(name),
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
        _ok(s, aid, "Added interface to queue")
        self.add_member(q, iface, _one(a, "MemberName") or iface, paused, _one(a, "Reason"))

    def add_member(
        self, q: Queue, iface: str, name: str, paused: bool = False, reason: str = ""
    ) -> None:
        """QueueAdd without an AMI session (load mode adds its agents this way)."""
        m = Member(iface, name, paused, reason)
        self._added += 1
        m.order = self._added
        q.members[iface] = m
        self.pause_device(q, m, paused)
        self.pbx.emit(self.member_pairs("QueueMemberAdded", q, m))
        self.avail_device(q)
        self.dispatch(q)

    def do_queueremove(self, s: AmiSession, a: Action, aid: Pairs) -> None:
        q = self.queues.get(_one(a, "Queue"))
        iface = _one(a, "Interface")
        if q is None or iface not in q.members:
            return _err(s, aid, "Unable to remove interface: Not there")
        m = q.members.pop(iface)
        _ok(s, aid, "Removed interface from queue")
        self.pbx.emit(self.member_pairs("QueueMemberRemoved", q, m))
        self.pause_device(q, m, False)
        self.avail_device(q)

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
            self.pause_device(q, m, paused)
            self.avail_device(q)
            self.pbx.emit(self.member_pairs("QueueMemberPause", q, m))
            self.dispatch(q)

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
            avail = sum(1 for m in q.members.values() if m.available())
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

    def caller_hangup(self, leg: Leg, cause: int) -> None:
        """AMI Hangup of a waiting caller: Queue() notices it and abandons."""
        leg.c2.hangup_cause = cause
        leg.c2.hangup_requested.set()


def _ok(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Success"), *aid, ("Message", message)])


def _err(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Error"), *aid, ("Message", message)])


def _list_start(s: AmiSession, aid: Pairs, message: str) -> None:
    s.send([("Response", "Success"), *aid, ("EventList", "start"), ("Message", message)])
