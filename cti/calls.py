"""The call model: AMI channel events become calls, and calls produce domain events.

Pure: ``apply(event, now)`` and ``reconcile(snapshot, now)`` take plain values and return
the domain events they caused; no I/O, no clock reads.

One call per Linkedid. Asterisk gives every channel created on behalf of a call (the
Local ``;1``/``;2`` halves, the agent legs a Dial or Queue creates) the Linkedid of the
first channel, so the Linkedid is the call's identity. Channels that arrive with another
Linkedid but join a bridge with ours (an attended transfer) are folded into our call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cti import events as ev
from cti.ami.protocol import Event


class CallState(StrEnum):
    NEW = "new"
    IN_IVR = "ivr"
    WAITING = "waiting"
    RINGING = "ringing"
    CONNECTED = "connected"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"
    ENDED = "ended"


LIVE_STATES = frozenset(
    {
        CallState.NEW,
        CallState.IN_IVR,
        CallState.WAITING,
        CallState.RINGING,
        CallState.CONNECTED,
        CallState.ON_HOLD,
    }
)


@dataclass(slots=True)
class Channel:
    uniqueid: str
    name: str
    call_id: str
    role: str  # "caller" or "agent"
    agent: str = ""
    bridge: str = ""


@dataclass(slots=True)
class Call:
    call_id: str
    caller_number: str
    caller_name: str
    started_at: float
    state: CallState = CallState.NEW
    timeline: list[tuple[str, float]] = field(default_factory=list)
    channels: set[str] = field(default_factory=set)
    queued_at: float | None = None
    service: str = ""
    ringing_agents: dict[str, str] = field(default_factory=dict)  # dest channel -> agent
    answered_by: str | None = None
    answered_at: float | None = None
    agents_offered: list[str] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    transfers: int = 0
    ivr_steps: list[dict[str, object]] = field(default_factory=list)
    hold_seconds: float = 0.0
    held_since: float | None = None
    cause: str = ""

    def waited(self, now: float) -> float:
        return 0.0 if self.queued_at is None else max(0.0, now - self.queued_at)

    def move(self, state: CallState, at: float) -> None:
        if self.state != state:
            self.state = state
            self.timeline.append((state.value, at))


def channel_base(name: str) -> str:
    """``Local/1001@agents-00000002;1`` -> ``Local/1001@agents-00000002``."""
    return name.rsplit(";", 1)[0] if name.startswith("Local/") else name


def agent_from_channel(name: str) -> str:
    """The endpoint an agent leg rings: ``Local/1001@agents-0000002a;1`` and
    ``PJSIP/1001-0000000a`` both give ``1001``; an interface (``Local/1001@agents``,
    ``PJSIP/1001``) gives the same."""
    tech, _, rest = name.partition("/")
    if not rest:
        return name
    if tech == "Local":
        return rest.split("@", 1)[0]
    return rest.rsplit("-", 1)[0] if "-" in rest else rest


@dataclass(frozen=True, slots=True)
class SnapshotChannel:
    """One row of CoreShowChannels, the resync's view of a live channel."""

    uniqueid: str
    linkedid: str
    name: str
    context: str
    application: str
    app_data: str
    bridge: str
    caller_number: str
    caller_name: str
    duration: float

    @classmethod
    def from_event(cls, e: Event) -> SnapshotChannel:
        return cls(
            uniqueid=e.get("Uniqueid"),
            linkedid=e.get("Linkedid") or e.get("Uniqueid"),
            name=e.get("Channel"),
            context=e.get("Context"),
            application=e.get("Application"),
            app_data=e.get("ApplicationData"),
            bridge=e.get("BridgeId"),
            caller_number=e.get("CallerIDNum"),
            caller_name=e.get("CallerIDName"),
            duration=parse_duration(e.get("Duration")),
        )


def parse_duration(text: str) -> float:
    try:
        h, m, s = (int(x) for x in text.split(":"))
    except ValueError:
        return 0.0
    return float(h * 3600 + m * 60 + s)


class CallModel:
    """Live calls keyed by call id, built from AMI events alone.

    ``hold_contexts`` and ``agent_contexts`` name the dialplan contexts in which a caller
    waits for the engine's routing and in which agent phones are dialled; they are only
    needed to classify channels found by a resync.
    """

    def __init__(
        self,
        *,
        server: str = "default",
        hold_contexts: Iterable[str] = ("hold",),
        agent_contexts: Iterable[str] = ("agents",),
        wrap_up: bool = True,
    ) -> None:
        self.server = server
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self._by_name: dict[str, str] = {}  # channel name -> uniqueid
        self._alias: dict[str, str] = {}  # merged Linkedid -> surviving call id
        self._hold_contexts = frozenset(hold_contexts)
        self._agent_contexts = frozenset(agent_contexts)
        self._wrap_up = wrap_up
        self._resync_hangups: set[str] | None = None
        self._resync_new: set[str] = set()
        self.ended_count = 0

    # ---- queries -------------------------------------------------------------------
    def live(self) -> dict[str, CallState]:
        return {cid: c.state for cid, c in self.calls.items() if c.state in LIVE_STATES}

    def call_for_channel(self, name_or_uniqueid: str) -> Call | None:
        uid = self._by_name.get(name_or_uniqueid, name_or_uniqueid)
        chan = self.channels.get(uid)
        return self.calls.get(chan.call_id) if chan else None

    def caller_channel(self, call_id: str) -> str | None:
        """The channel to Redirect/Hangup for the caller: the dialplan-running half.
        For a Local pair that is ``;2`` (the README's finding); for a trunk channel the
        channel itself."""
        call = self.calls.get(call_id)
        if call is None:
            return None
        names = [
            self.channels[u].name
            for u in call.channels
            if u in self.channels and self.channels[u].role == "caller"
        ]
        for name in names:
            if name.endswith(";2"):
                return name
        return names[0] if names else None

    # ---- commands from the engine (not from AMI) -----------------------------------
    def queue(
        self,
        call_id: str,
        service: str,
        now: float,
        *,
        skills: tuple[str, ...] = (),
        priority: int = 0,
        source: str = "engine",
    ) -> list[ev.DomainEvent]:
        call = self.calls.get(self._alias.get(call_id, call_id))
        if call is None or call.state not in LIVE_STATES:
            return []
        if call.state in (CallState.WAITING, CallState.RINGING) and call.service == service:
            return []
        call.service = service
        if call.queued_at is None:
            call.queued_at = now
        call.move(CallState.WAITING, now)
        return [ev.CallQueued(call.call_id, now, service, skills, priority, source)]

    def record_ivr_step(self, step: ev.IvrStepTaken) -> None:
        call = self.calls.get(self._alias.get(step.call_id, step.call_id))
        if call is not None:
            call.ivr_steps.append(
                {
                    "node": step.node,
                    "prompt": step.prompt,
                    "key": step.key,
                    "recognized": step.recognized,
                    "confidence": step.confidence,
                    "at": step.at,
                }
            )

    def complete_wrap_up(self, call_id: str, now: float) -> list[ev.DomainEvent]:
        call = self.calls.get(call_id)
        if call is None or call.state != CallState.WRAP_UP:
            return []
        call.move(CallState.ENDED, now)
        del self.calls[call_id]
        return [ev.WrapUpCompleted(call_id, now, call.answered_by or "")]

    # ---- AMI events ----------------------------------------------------------------
    def apply(self, e: Event, now: float) -> list[ev.DomainEvent]:
        handler = _HANDLERS.get(e.name)
        if handler is None:
            return []
        return handler(self, e, now)

    def _call_id(self, linkedid: str) -> str:
        return self._alias.get(linkedid, linkedid)

    def _add_channel(self, uid: str, name: str, call_id: str, role: str, agent: str = "") -> None:
        self.channels[uid] = Channel(uid, name, call_id, role, agent)
        self._by_name[name] = uid
        self.calls[call_id].channels.add(uid)

    def _on_newchannel(self, e: Event, now: float) -> list[ev.DomainEvent]:
        uid, name = e.get("Uniqueid"), e.get("Channel")
        linkedid = e.get("Linkedid") or uid
        cid = self._call_id(linkedid)
        out: list[ev.DomainEvent] = []
        if self._resync_hangups is not None:
            self._resync_new.add(uid)
        call = self.calls.get(cid)
        if call is None or call.state not in LIVE_STATES:
            if call is not None:  # a finished call's id cannot come back; keep the old one
                return out
            call = Call(cid, e.get("CallerIDNum"), e.get("CallerIDName"), now)
            call.timeline.append((CallState.NEW.value, now))
            self.calls[cid] = call
            out.append(
                ev.CallStarted(cid, now, call.caller_number, call.caller_name, name, self.server)
            )
            role = "caller"
        else:
            role = self._role_for_new_channel(call, name)
        agent = agent_from_channel(name) if role == "agent" else ""
        self._add_channel(uid, name, cid, role, agent)
        return out

    def _role_for_new_channel(self, call: Call, name: str) -> str:
        base = channel_base(name)
        for uid in call.channels:
            chan = self.channels.get(uid)
            if chan is not None and channel_base(chan.name) == base:
                return chan.role  # the other half of a Local pair
        return "agent"

    def _on_newcallerid(self, e: Event, now: float) -> list[ev.DomainEvent]:
        chan = self.channels.get(e.get("Uniqueid"))
        if chan is None or chan.role != "caller":
            return []
        call = self.calls.get(chan.call_id)
        number = e.get("CallerIDNum")
        if call is not None and number and number != "<unknown>":
            if not call.caller_number or call.caller_number == "<unknown>":
                call.caller_number = number
                name = e.get("CallerIDName")
                call.caller_name = "" if name == "<unknown>" else name
        return []

    def _on_agi(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None or call.state not in (CallState.NEW, CallState.IN_IVR):
            return []
        if call.state == CallState.NEW:
            call.move(CallState.IN_IVR, now)
            return [ev.IvrEntered(call.call_id, now, e.get("Channel"))]
        return []

    def _dial_target(self, e: Event) -> tuple[Call, str, str] | None:
        """(call, dest channel, agent) for a Dial/Queue attempt from a caller channel."""
        if not e.get("Channel"):
            return None  # Originate's own dial of the ;1 half: no agent involved
        call = self.call_for_channel(e.get("Uniqueid"))
        dest = e.get("DestChannel")
        if call is None or not dest:
            return None
        chan = self.channels.get(e.get("Uniqueid"))
        if chan is None or chan.role != "caller":
            return None
        agent = agent_from_channel(e.get("Interface") or dest)
        return call, dest, agent

    def _on_ringing(self, e: Event, now: float) -> list[ev.DomainEvent]:
        target = self._dial_target(e)
        if target is None:
            return []
        call, dest, agent = target
        if dest in call.ringing_agents or call.state not in LIVE_STATES:
            return []
        call.ringing_agents[dest] = agent
        call.agents_offered.append(agent)
        dest_uid = e.get("DestUniqueid")
        if dest_uid in self.channels:
            self.channels[dest_uid].role = "agent"
            self.channels[dest_uid].agent = agent
        if call.queued_at is None:
            call.queued_at = now
        call.move(CallState.RINGING, now)
        return [ev.AgentRinging(call.call_id, now, agent, dest, call.waited(now))]

    def _on_dial_end(self, e: Event, now: float) -> list[ev.DomainEvent]:
        target = self._dial_target(e)
        if target is None:
            return []
        call, dest, _ = target
        agent = call.ringing_agents.pop(dest, None)
        if agent is None:
            return []  # the second DialEnd (NOANSWER then CANCEL) for the same leg
        status = e.get("DialStatus")
        if status == "ANSWER":
            return self._answered(call, agent, dest, now)
        if call.state == CallState.RINGING and not call.ringing_agents:
            call.move(CallState.WAITING, now)
        return [ev.AgentNoAnswer(call.call_id, now, agent, status)]

    def _on_agent_connect(self, e: Event, now: float) -> list[ev.DomainEvent]:
        target = self._dial_target(e)
        if target is None:
            return []
        call, dest, agent = target
        if call.answered_by is not None:
            return []
        call.ringing_agents.pop(dest, None)
        return self._answered(call, agent, dest, now)

    def _answered(self, call: Call, agent: str, dest: str, now: float) -> list[ev.DomainEvent]:
        waited = call.waited(now)
        call.answered_by = agent
        call.answered_at = now
        call.move(CallState.CONNECTED, now)
        return [ev.CallAnswered(call.call_id, now, agent, dest, waited)]

    def _on_queue_join(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None:
            return []
        return self.queue(call.call_id, e.get("Queue"), now, source="app_queue")

    def _on_bridge_enter(self, e: Event, now: float) -> list[ev.DomainEvent]:
        uid = e.get("Uniqueid")
        chan = self.channels.get(uid)
        if chan is None:
            return []
        bridge = e.get("BridgeUniqueid")
        chan.bridge = bridge
        # An attended transfer bridges a channel of another call with ours: fold it in.
        for other in self.channels.values():
            if other.bridge == bridge and other.call_id != chan.call_id:
                return self._merge(other.call_id, chan.call_id, now)
        return []

    def _merge(self, keep_id: str, gone_id: str, now: float) -> list[ev.DomainEvent]:
        keep, gone = self.calls.get(keep_id), self.calls.get(gone_id)
        if keep is None or gone is None:
            return []
        for uid in gone.channels:
            self.channels[uid].call_id = keep_id
            keep.channels.add(uid)
        self._alias[gone_id] = keep_id
        for alias, target in self._alias.items():
            if target == gone_id:
                self._alias[alias] = keep_id
        del self.calls[gone_id]
        keep.transfers += 1
        return [ev.CallTransferred(keep_id, now, "attended", "", merged_call_id=gone_id)]

    def _on_bridge_leave(self, e: Event, now: float) -> list[ev.DomainEvent]:
        chan = self.channels.get(e.get("Uniqueid"))
        if chan is not None:
            chan.bridge = ""
        return []

    def _on_blind_transfer(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("TransfererUniqueid") or e.get("TransfereeUniqueid"))
        if call is None:
            return []
        call.transfers += 1
        target = f"{e.get('Extension')}@{e.get('TransferTargetContext') or e.get('Context')}"
        return [ev.CallTransferred(call.call_id, now, "blind", target)]

    def _on_hold(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None or call.state != CallState.CONNECTED:
            return []
        call.held_since = now
        call.move(CallState.ON_HOLD, now)
        return [ev.CallHeld(call.call_id, now, e.get("Channel"))]

    def _on_unhold(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None or call.state != CallState.ON_HOLD:
            return []
        if call.held_since is not None:
            call.hold_seconds += now - call.held_since
            call.held_since = None
        call.move(CallState.CONNECTED, now)
        return [ev.CallResumed(call.call_id, now, e.get("Channel"))]

    def _on_mixmonitor(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None:
            return []
        uid = e.get("Uniqueid")
        if e.name == "MixMonitorStart":
            call.recordings.append(uid)
            return [ev.RecordingStarted(call.call_id, now, e.get("Channel"), uid)]
        return [ev.RecordingStopped(call.call_id, now, e.get("Channel"), uid)]

    def _on_hangup(self, e: Event, now: float) -> list[ev.DomainEvent]:
        uid = e.get("Uniqueid")
        if self._resync_hangups is not None:
            self._resync_hangups.add(uid)
        chan = self.channels.pop(uid, None)
        if chan is None:
            return []
        self._by_name.pop(chan.name, None)
        call = self.calls.get(chan.call_id)
        if call is None:
            return []
        call.channels.discard(uid)
        if chan.role == "caller" and not call.cause:
            call.cause = e.get("Cause")
        if call.channels:
            return []
        return self._end(call, now, None)

    def _end(self, call: Call, now: float, reason: str | None) -> list[ev.DomainEvent]:
        if call.held_since is not None:
            call.hold_seconds += now - call.held_since
            call.held_since = None
        if reason is None:
            if call.answered_by is not None:
                reason = "completed"
            elif call.state == CallState.IN_IVR or (
                call.state == CallState.NEW and call.queued_at is None
            ):
                reason = "ivr_hangup"
            else:
                reason = "abandoned"
        for uid in list(call.channels):
            chan = self.channels.pop(uid, None)
            if chan is not None:
                self._by_name.pop(chan.name, None)
        call.channels.clear()
        wrap = self._wrap_up and call.answered_by is not None
        call.move(CallState.WRAP_UP if wrap else CallState.ENDED, now)
        if not wrap:
            del self.calls[call.call_id]
        self.ended_count += 1
        return [
            ev.CallEnded(
                call.call_id,
                now,
                reason,
                call.cause,
                call.answered_by,
                tuple(call.timeline),
                summary=summarize(call, now),
            )
        ]

    # ---- resync --------------------------------------------------------------------
    def begin_resync(self) -> None:
        """Called when CoreShowChannels is sent: from now until ``reconcile`` the model
        notes which channels come and go, so the snapshot (which reflects the moment
        Asterisk built it) neither resurrects a channel hung up meanwhile nor ends a
        call whose channel was created meanwhile."""
        self._resync_hangups = set()
        self._resync_new = set()

    def reconcile(self, snapshot: list[SnapshotChannel], now: float) -> list[ev.DomainEvent]:
        hung_up = self._resync_hangups or set()
        created = self._resync_new
        self._resync_hangups = None
        self._resync_new = set()
        out: list[ev.DomainEvent] = []
        present = {c.uniqueid for c in snapshot}
        # Channels we hold that Asterisk no longer has: they hung up while we were away.
        for uid, chan in list(self.channels.items()):
            if uid not in present and uid not in created:
                self.channels.pop(uid)
                self._by_name.pop(chan.name, None)
                call = self.calls.get(chan.call_id)
                if call is not None:
                    call.channels.discard(uid)
                    call.ringing_agents.pop(chan.name, None)
        for call in list(self.calls.values()):
            if call.state in LIVE_STATES and not call.channels:
                out.extend(self._end(call, now, None))
        # Channels Asterisk has that we do not: calls that began while we were away.
        rows = sorted((c for c in snapshot if c.uniqueid not in hung_up), key=_creation_order)
        for row in rows:
            if row.uniqueid in self.channels:
                continue
            cid = self._call_id(row.linkedid)
            call = self.calls.get(cid)
            if call is None:
                started = now - row.duration
                call = Call(cid, row.caller_number, row.caller_name, started)
                call.timeline.append((CallState.NEW.value, started))
                self.calls[cid] = call
                out.append(
                    ev.CallStarted(
                        cid, started, row.caller_number, row.caller_name, row.name, self.server
                    )
                )
                role = "caller" if not self._is_agent_row(row) else "agent"
            elif call.state not in LIVE_STATES:
                continue
            else:
                role = (
                    "agent"
                    if self._is_agent_row(row)
                    else self._role_for_new_channel(call, row.name)
                    if call.channels
                    else "caller"
                )
            self._add_channel(
                row.uniqueid,
                row.name,
                cid,
                role,
                agent_from_channel(row.name) if role == "agent" else "",
            )
            self.channels[row.uniqueid].bridge = row.bridge
        for row in rows:
            out.extend(self._reclassify(row, now))
        return out

    def _is_agent_row(self, row: SnapshotChannel) -> bool:
        return row.context in self._agent_contexts

    def _reclassify(self, row: SnapshotChannel, now: float) -> list[ev.DomainEvent]:
        """Bring a call's state in line with what a snapshot row says the caller does."""
        chan = self.channels.get(row.uniqueid)
        if chan is None or chan.role != "caller":
            return []
        call = self.calls.get(chan.call_id)
        if call is None or call.state not in LIVE_STATES:
            return []
        out: list[ev.DomainEvent] = []
        app = row.application
        if app == "AGI" and call.state == CallState.NEW:
            call.move(CallState.IN_IVR, now)
            out.append(ev.IvrEntered(call.call_id, now, row.name))
        elif app == "Queue" and call.state in (CallState.NEW, CallState.IN_IVR):
            out.extend(
                self.queue(call.call_id, row.app_data.split(",", 1)[0], now, source="app_queue")
            )
        elif row.context in self._hold_contexts and call.state in (
            CallState.NEW,
            CallState.IN_IVR,
            CallState.RINGING,
        ):
            call.ringing_agents.clear()
            out.extend(self.queue(call.call_id, call.service or "default", now))
            if call.state != CallState.WAITING:
                call.move(CallState.WAITING, now)
        elif app in ("Dial", "Queue", "AppDial", "AppQueue") or row.bridge:
            agents = [
                c for c in self.channels.values() if c.call_id == call.call_id and c.role == "agent"
            ]
            if row.bridge and call.answered_by is None and agents:
                out.extend(self._answered(call, agents[0].agent, agents[0].name, now))
            elif not row.bridge and agents and call.state != CallState.RINGING:
                for a in agents:
                    if a.name.endswith(";1") or not a.name.startswith("Local/"):
                        call.ringing_agents[a.name] = a.agent
                        call.agents_offered.append(a.agent)
                        out.append(
                            ev.AgentRinging(call.call_id, now, a.agent, a.name, call.waited(now))
                        )
                if call.queued_at is None:
                    call.queued_at = now
                call.move(CallState.RINGING, now)
        return out


def _creation_order(row: SnapshotChannel) -> tuple[float, int]:
    secs, _, counter = row.uniqueid.partition(".")
    try:
        return float(secs), int(counter or 0)
    except ValueError:
        return 0.0, 0


def summarize(call: Call, now: float) -> dict[str, object]:
    """What the CRM's interaction row needs from the telephony side."""
    talk = 0.0 if call.answered_at is None else max(0.0, now - call.answered_at)
    wait = 0.0
    if call.queued_at is not None:
        wait = max(0.0, (call.answered_at or now) - call.queued_at)
    return {
        "caller_number": call.caller_number,
        "caller_name": call.caller_name,
        "started_at": call.started_at,
        "ended_at": now,
        "service": call.service,
        "agents_offered": list(call.agents_offered),
        "answered_by": call.answered_by,
        "wait_seconds": round(wait, 3),
        "talk_seconds": round(talk, 3),
        "hold_seconds": round(call.hold_seconds, 3),
        "transfers": call.transfers,
        "recordings": list(call.recordings),
        "ivr_steps": list(call.ivr_steps),
        "timeline": list(call.timeline),
    }


_HANDLERS = {
    "Newchannel": CallModel._on_newchannel,
    "NewCallerid": CallModel._on_newcallerid,
    "AGIExecStart": CallModel._on_agi,
    "DialBegin": CallModel._on_ringing,
    "AgentCalled": CallModel._on_ringing,
    "DialEnd": CallModel._on_dial_end,
    "AgentConnect": CallModel._on_agent_connect,
    "QueueCallerJoin": CallModel._on_queue_join,
    "BridgeEnter": CallModel._on_bridge_enter,
    "BridgeLeave": CallModel._on_bridge_leave,
    "BlindTransfer": CallModel._on_blind_transfer,
    "Hold": CallModel._on_hold,
    "Unhold": CallModel._on_unhold,
    "MixMonitorStart": CallModel._on_mixmonitor,
    "MixMonitorStop": CallModel._on_mixmonitor,
    "Hangup": CallModel._on_hangup,
}
