"""The resync: a CoreShowChannels snapshot brings the call model back in line.

After a (re)connect the model may hold channels that hung up while the link was down and
miss calls that began meanwhile. ``begin_resync`` is called when the listing is asked
for, ``reconcile`` when it is complete; events that arrive in between are honoured, so
the snapshot neither resurrects a channel nor ends a call created during the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cti import events as ev
from cti.ami.protocol import Event
from cti.callstate import LIVE_STATES, Call, CallState, Channel, agent_from_channel

if TYPE_CHECKING:
    from collections.abc import Callable


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


def _creation_order(row: SnapshotChannel) -> tuple[float, int]:
    secs, _, counter = row.uniqueid.partition(".")
    try:
        return float(secs), int(counter or 0)
    except ValueError:
        return 0.0, 0


class ResyncMixin:
    """The resync half of :class:`cti.calls.CallModel`."""

    calls: dict[str, Call]
    channels: dict[str, Channel]
    _by_name: dict[str, str]
    _agent_contexts: frozenset[str]
    _hold_contexts: frozenset[str]
    _resync_hangups: set[str] | None
    _resync_new: set[str]
    _call_id: Callable[[str], str]
    _end: Callable[[Call, float, str | None], list[ev.DomainEvent]]
    _add_channel: Callable[..., None]
    _role_for_new_channel: Callable[[Call, str], str]
    _answered: Callable[[Call, str, str, float], list[ev.DomainEvent]]
    queue: Callable[..., list[ev.DomainEvent]]
    agent_for: Callable[[Call | None, str], str]

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
        listed = {self._call_id(row.linkedid) for row in snapshot if row.uniqueid not in hung_up}
        for call in list(self.calls.values()):
            if call.state in LIVE_STATES and not call.channels and call.call_id not in listed:
                reason = "lost_during_disconnect" if call.adopted else None
                out.extend(self._end(call, now, reason))
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
                self.agent_for(call, agent_from_channel(row.name)) if role == "agent" else "",
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
