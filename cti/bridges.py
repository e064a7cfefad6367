"""Bridges, transfers, holds and recordings: the call model's handlers for what happens
to a call once an agent is on it (mixed into :class:`cti.calls.CallModel`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cti import events as ev
from cti.ami.protocol import Event
from cti.callstate import Call, CallState, Channel

if TYPE_CHECKING:
    from collections.abc import Callable


class BridgeMixin:
    calls: dict[str, Call]
    channels: dict[str, Channel]
    _alias: dict[str, str]
    _bridges: dict[str, set[str]]
    call_for_channel: Callable[[str], Call | None]

    def _on_bridge_enter(self, e: Event, now: float) -> list[ev.DomainEvent]:
        uid = e.get("Uniqueid")
        chan = self.channels.get(uid)
        if chan is None:
            return []
        bridge = e.get("BridgeUniqueid")
        chan.bridge = bridge
        # Members by bridge, so a BridgeEnter looks at its bridge only (a scan of every
        # channel would grow with the square of the load: ~4,000 channels at 1,000 calls).
        members = self._bridges.setdefault(bridge, set())
        members.add(uid)
        # An attended transfer bridges a channel of another call with ours: fold it in.
        for other_uid in list(members):
            other = self.channels.get(other_uid)
            if other is None or other.bridge != bridge:
                members.discard(other_uid)  # hung up or moved on without a BridgeLeave
            elif other.call_id != chan.call_id:
                return self._merge(*self._older_first(other.call_id, chan.call_id), now)
        return []

    def _older_first(self, a: str, b: str) -> tuple[str, str]:
        """(keep, gone): the call being transferred began before its consultation, and it
        is the one that stays, whichever bridge Asterisk keeps (it may move the caller
        into the consultation's bridge, or the consulted agent into the caller's)."""
        call_a, call_b = self.calls.get(a), self.calls.get(b)
        if call_a is not None and call_b is not None and call_b.started_at < call_a.started_at:
            return b, a
        return a, b

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
        # The consultation call's agent now has the caller: they belong to the one
        # interaction, as after a blind transfer (issue 11: both agents in the row).
        for agent in gone.agents_offered:
            if agent not in keep.agents_offered:
                keep.agents_offered.append(agent)
        if gone.answered_by:
            keep.answered_by = gone.answered_by
        keep.transfers += 1
        return [ev.CallTransferred(keep_id, now, "attended", "", merged_call_id=gone_id)]

    def _on_bridge_leave(self, e: Event, now: float) -> list[ev.DomainEvent]:
        uid = e.get("Uniqueid")
        chan = self.channels.get(uid)
        if chan is not None:
            chan.bridge = ""
        members = self._bridges.get(e.get("BridgeUniqueid"))
        if members is not None:
            members.discard(uid)
            if not members:
                del self._bridges[e.get("BridgeUniqueid")]
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
            # The call's recording refs are file names, which the recorder (the one
            # recording owner) adds when it starts a segment, not Asterisk's uniqueids.
            return [ev.RecordingStarted(call.call_id, now, e.get("Channel"), uid)]
        return [ev.RecordingStopped(call.call_id, now, e.get("Channel"), uid)]
