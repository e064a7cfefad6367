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

from cti import events as ev
from cti.ami.protocol import Event
from cti.bridges import BridgeMixin
from cti.callstate import (
    LIVE_STATES,
    Call,
    CallState,
    Channel,
    agent_from_channel,
    channel_base,
    restore_journey,
    summarize,
)
from cti.resync import ResyncMixin, SnapshotChannel

__all__ = [
    "LIVE_STATES",
    "Call",
    "CallModel",
    "CallState",
    "Channel",
    "SnapshotChannel",
    "agent_from_channel",
    "channel_base",
    "summarize",
]


PBX_RESTART = "pbx_restart"  # end reason of a call Asterisk cut by shutting down


class CallModel(BridgeMixin, ResyncMixin):
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
        endpoints: dict[str, str] | None = None,
    ) -> None:
        self.server = server
        # Endpoint -> agent extension for agents with their own dial strings (several
        # devices: PJSIP/1001-mobile is agent 1001's too).
        self._endpoints = dict(endpoints or {})
        self._extensions = set(self._endpoints.values())
        self.calls: dict[str, Call] = {}
        self.channels: dict[str, Channel] = {}
        self._by_name: dict[str, str] = {}  # channel name -> uniqueid
        self._alias: dict[str, str] = {}  # merged Linkedid -> surviving call id
        self._bridges: dict[str, set[str]] = {}  # bridge id -> uniqueids in it
        self._hold_contexts = frozenset(hold_contexts)
        self._agent_contexts = frozenset(agent_contexts)
        self._wrap_up = wrap_up
        self._resync_hangups: set[str] | None = None
        self._resync_new: set[str] = set()
        self.ended_count = 0
        # Calls whose caller chose a virtual-hold callback: hanging up then is not an
        # abandon (the caller keeps their place and is called back as a new call).
        self._callbacks: set[str] = set()

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
    def offering(self, call_id: str, extension: str) -> None:
        """Routing is about to ring ``extension`` for this call: a leg whose channel does
        not name a known agent (a trunk, a Local channel elsewhere) is theirs."""
        call = self.calls.get(self._alias.get(call_id, call_id))
        if call is not None:
            call.offering = extension

    def agent_for(self, call: Call | None, endpoint: str) -> str:
        if endpoint in self._endpoints:
            return self._endpoints[endpoint]
        if endpoint in self._extensions or call is None or not call.offering:
            return endpoint
        return call.offering

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

    def callback_requested(self, call_id: str) -> bool:
        """The waiting caller asked to be called back; their hang-up ends the call as
        ``callback`` rather than ``abandoned``."""
        call = self.calls.get(self._alias.get(call_id, call_id))
        if call is None or call.state not in LIVE_STATES or call.answered_by is not None:
            return False
        self._callbacks.add(call.call_id)
        return True

    def adopt(
        self,
        call_id: str,
        caller_number: str,
        caller_name: str,
        started_at: float,
        *,
        journey: dict[str, object] | None = None,
    ) -> None:
        """A call a previous engine saw start (from its journal). The first resync either
        finds it live in Asterisk, and it goes on as usual, or ends it as lost during
        the outage, so it is written once instead of vanishing. ``journey`` is what the
        journal kept of it (service, IVR steps, wait, answer time): it carries on."""
        if call_id in self.calls:
            return
        call = Call(call_id, caller_number, caller_name, started_at, adopted=True)
        call.timeline.append((CallState.NEW.value, started_at))
        if journey:
            restore_journey(call, journey)
        self.calls[call_id] = call

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
            call.outbound_agent = self._outbound_agent(name)
            self.calls[cid] = call
            out.append(
                ev.CallStarted(cid, now, call.caller_number, call.caller_name, name, self.server)
            )
            role = "caller"
        else:
            role = self._role_for_new_channel(call, name)
        agent = self.agent_for(call, agent_from_channel(name)) if role == "agent" else ""
        self._add_channel(uid, name, cid, role, agent)
        return out

    def _outbound_agent(self, name: str) -> str:
        """``Local/1001@cti-agents-0000000a;1`` opening a call is a click-to-call's first
        leg (the agent's phone rings first): the agent's extension, else ''."""
        if not name.startswith("Local/"):
            return ""
        target = channel_base(name).removeprefix("Local/").rsplit("-", 1)[0]
        ext, _, context = target.partition("@")
        return self.agent_for(None, ext) if context in self._agent_contexts else ""

    def recording_channel(self, call_id: str) -> str | None:
        """The channel to record: the one bridged with the party who answered (for a
        click-to-call, the leg that dialled the customer, not the agent's own phone)."""
        call = self.calls.get(call_id)
        if call is not None and call.dial_channel:
            chan = self._by_name.get(call.dial_channel)
            if chan is not None and chan in self.channels:
                return call.dial_channel
        return self.caller_channel(call_id)

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
        agent = self.agent_for(call, agent_from_channel(e.get("Interface") or dest))
        if call.outbound_agent:
            if agent == call.outbound_agent:
                return None  # the click-to-call's agent phone itself: not an offer
            # The customer's leg: the agent is the one who called them.
            agent = call.outbound_agent
        return call, dest, agent

    def _on_ringing(self, e: Event, now: float) -> list[ev.DomainEvent]:
        target = self._dial_target(e)
        if target is None:
            return []
        call, dest, agent = target
        if dest in call.ringing_agents or call.state not in LIVE_STATES:
            return []
        # An agent with several devices rings on several legs at once: one offer.
        first_leg = agent not in call.ringing_agents.values()
        call.ringing_agents[dest] = agent
        if first_leg:
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
            call.dial_channel = e.get("Channel")
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
        if call.answered_at is None:
            call.answered_at = now
        else:
            # Adopted after an engine restart: answered before it; the talk started then.
            now = max(call.answered_at, call.queued_at or call.answered_at)
        waited = call.waited(now)
        call.answered_by = agent
        call.move(CallState.CONNECTED, now)
        return [ev.CallAnswered(call.call_id, now, agent, dest, waited)]

    def _on_queue_join(self, e: Event, now: float) -> list[ev.DomainEvent]:
        call = self.call_for_channel(e.get("Uniqueid"))
        if call is None:
            return []
        return self.queue(call.call_id, e.get("Queue"), now, source="app_queue")

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

    # ---- Asterisk going down (issue 11 finding 9) -------------------------------------
    def _on_soft_hangup(self, e: Event, now: float) -> list[ev.DomainEvent]:
        # Cause is the soft-hangup flag set: 4 is AST_SOFTHANGUP_SHUTDOWN, which
        # ``core restart``/``core stop`` put on every channel (f2_restart_live_call).
        if e.get("Cause") == "4":
            call = self.call_for_channel(e.get("Uniqueid"))
            if call is not None and call.state in LIVE_STATES:
                call.cut_by = PBX_RESTART
        return []

    def _on_shutdown(self, e: Event, now: float) -> list[ev.DomainEvent]:
        for call in self.calls.values():
            if call.state in LIVE_STATES:
                call.cut_by = PBX_RESTART
        return []

    def _on_fully_booted(self, e: Event, now: float) -> list[ev.DomainEvent]:
        """Sent after every login. A call older than Asterisk's uptime cannot have
        survived: Asterisk restarted while the link was down (the resync ends it)."""
        try:
            uptime = float(e.get("Uptime"))
        except ValueError:
            return []
        for call in self.calls.values():
            if call.state in LIVE_STATES and now - call.started_at > uptime + 1.0:
                call.cut_by = PBX_RESTART
        return []

    def _end(self, call: Call, now: float, reason: str | None) -> list[ev.DomainEvent]:
        if call.held_since is not None:
            call.hold_seconds += now - call.held_since
            call.held_since = None
        if reason is None and call.cut_by:
            reason = call.cut_by
        if reason is None:
            if call.answered_by is not None:
                reason = "completed"
            elif call.call_id in self._callbacks:
                reason = "callback"
            elif call.state == CallState.IN_IVR or (
                call.state == CallState.NEW and call.queued_at is None
            ):
                reason = "ivr_hangup"
            else:
                reason = "abandoned"
        self._callbacks.discard(call.call_id)
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
    "SoftHangupRequest": CallModel._on_soft_hangup,
    "Shutdown": CallModel._on_shutdown,
    "FullyBooted": CallModel._on_fully_booted,
}
