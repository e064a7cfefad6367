"""How a call comes down: caller, agent, AMI and dialplan hangups in Asterisk's order.

The bridged orders follow ``b_ivr_redirect`` (agent hangs up) and ``e_record_hangup`` (AMI
Hangup of ``;2``). ``HangupPaths`` is the bottom of the ``Dialplan`` -> ``AgentLegs`` ->
``HangupPaths`` chain because every other step can end in a hangup, while nothing here calls
back up into Dial() or the contexts. ``wait`` lives here as it is how a step notices one.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from cti.simulator import events as ev
from cti.simulator.leg import Leg, local_device
from cti.simulator.model import Channel, Pbx

if TYPE_CHECKING:
    from cti.simulator.outbound import OutboundCall
    from cti.simulator.queues import QueueEngine


class HangupPaths:
    # Set by Dialplan.__init__.
    pbx: Pbx
    legs: dict[str, Leg]
    outbound: dict[str, OutboundCall]
    queues: QueueEngine | None

    # -- waiting helpers --------------------------------------------------------------
    async def wait(self, ch: Channel, seconds: float) -> bool:
        """Sleep in model seconds; True if a hangup was requested meanwhile."""
        if ch.hangup_requested.is_set():
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds * self.pbx.time_scale):
                await ch.hangup_requested.wait()
        return ch.hangup_requested.is_set()

    # -- hangups ----------------------------------------------------------------------
    async def c1_hangs_up(self, leg: Leg) -> None:
        """The caller script ran Hangup() on ;1."""
        pbx, c1, c2 = self.pbx, leg.c1, leg.c2
        if leg.where == "bridged":
            return self.bridged_hangup(leg, from_caller1=True)
        pbx.soft_hangup(c1, 16)
        pbx.hangup_request(c2, 16)
        pbx.hangup(c1, 16)
        if leg.where != "queue":
            pbx.device_state(local_device(c1), "NOT_INUSE")
        c2.hangup_requested.set()

    async def c2_hung_up(self, leg: Leg) -> None:
        """;2's application noticed the hangup request (the ;1 half is already gone)."""
        pbx, c2 = self.pbx, leg.c2
        if c2.hungup:
            return
        leg.where = "gone"
        pbx.soft_hangup(c2, 16)
        pbx.hangup(c2, 16)
        pbx.device_state(local_device(c2), "NOT_INUSE")

    def _elapsed_vars(self, leg: Leg) -> None:
        pbx, c2 = self.pbx, leg.c2
        now = pbx.now()
        ans = max(0.0, (now - leg.dial_started) / pbx.time_scale)
        pbx.varset(c2, "ANSWEREDTIME", str(int(ans)))
        pbx.varset(c2, "ANSWEREDTIME_MS", str(int(ans * 1000)))
        pbx.varset(c2, "DIALEDTIME", str(int(ans)))
        pbx.varset(c2, "DIALEDTIME_MS", str(int(ans * 1000)))
        pbx.varset(c2, "DIALSTATUS", "ANSWER")

    def agent_hangs_up(self, leg: Leg) -> None:
        """Agent script Hangup() while bridged (b_ivr_redirect order)."""
        pbx, c2, a1, a2 = self.pbx, leg.c2, leg.a1, leg.a2
        assert a1 is not None and a2 is not None
        if self.queues is not None and leg.queue is not None:
            return self.queues.calls.agent_hangs_up(leg)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(False)
        pbx.soft_hangup(a2, 16)
        pbx.hangup_request(a1, 16)
        pbx.hangup(a2, 16)
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.bridge_leave(a1)
        pbx.hangup(a1, 16)
        pbx.bridge_leave(c2)
        self._elapsed_vars(leg)
        self._caller_pair_down(leg, agent_first=True)

    def agent_released(self, leg: Leg) -> None:
        """A Redirect took ;2 out of its bridge with the agent (a transfer): ;2 leaves,
        the bridge is left with the agent's ;1 alone and Dial hangs the agent pair up.
        No trace covers it; the order follows BridgeLeave then the b_ivr_redirect
        hangup of an agent pair, seen from the other side."""
        pbx, c2, a1, a2 = self.pbx, leg.c2, leg.a1, leg.a2
        assert a1 is not None and a2 is not None
        self._cancel(a2)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(False)
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.bridge_leave(c2)
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.bridge_leave(a1)
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.soft_hangup(a1, 16)
        pbx.hangup_request(a2, 16)
        pbx.hangup(a1, 16)
        pbx.soft_hangup(a2, 16)
        pbx.hangup(a2, 16)
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        self.legs.pop(a1.name, None)
        self.legs.pop(a2.name, None)
        leg.a1 = leg.a2 = None
        leg.where = "redirected"

    def _caller_pair_down(self, leg: Leg, *, agent_first: bool) -> None:
        pbx, c1, c2 = self.pbx, leg.c1, leg.c2
        leg.where = "gone"
        self._cancel(c2)
        self._cancel(c1)
        pbx.soft_hangup(c2, 16)
        pbx.varset(c1, "CHANLOCALSTATUS", "ANSWER")
        pbx.hangup_request(c1, 16)
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.device_state(f"Local/{leg.agent}@{leg.agent_ctx}", "NOT_INUSE")
        pbx.hangup(c2, 16)
        pbx.device_state(local_device(c2), "NOT_INUSE")
        pbx.soft_hangup(c1, 16)
        pbx.hangup(c1, 16)
        pbx.device_state(local_device(c1), "NOT_INUSE")

    def bridged_hangup(self, leg: Leg, *, from_caller1: bool = False, cause: int = 16) -> None:
        """AMI Hangup of ;2 (or the caller hanging up) while bridged (e_record_hangup)."""
        pbx, c1, c2, a1, a2 = self.pbx, leg.c1, leg.c2, leg.a1, leg.a2
        assert a1 is not None and a2 is not None
        leg.where = "gone"
        for ch in (c1, c2, a2):
            self._cancel(ch)
        if c2.mixmonitor is not None:
            c2.mixmonitor.bridged(False)
        if from_caller1:
            pbx.soft_hangup(c1, cause)
            pbx.hangup_request(c2, cause)
        pbx.varset(c2, "BRIDGEPEER", "")
        pbx.varset(a1, "BRIDGEPEER", "")
        pbx.bridge_leave(c2)
        self._elapsed_vars(leg)
        if from_caller1:
            pbx.hangup(c1, cause)
        pbx.soft_hangup(c2, cause)
        if not from_caller1:
            pbx.varset(c1, "CHANLOCALSTATUS", "ANSWER")
            pbx.hangup_request(c1, cause)
        pbx.bridge_leave(a1)
        if leg.bridge is not None:
            pbx.bridge_destroy(leg.bridge)
            leg.bridge = None
        pbx.hangup_request(a2, cause)
        pbx.hangup(a1, cause)
        pbx.hangup(c2, cause)
        if not from_caller1:
            pbx.soft_hangup(c1, cause)
            pbx.hangup(c1, cause)
        pbx.soft_hangup(a2, cause)
        pbx.hangup(a2, cause)
        for device in (f"Local/{leg.agent}@{leg.agent_ctx}", local_device(c2)):
            pbx.device_state(device, "NOT_INUSE")
            pbx.device_state(device, "NOT_INUSE")

    def ami_hangup(self, ch: Channel, cause: int) -> None:
        """AMI Hangup action on any channel of a call."""
        outbound = self.outbound.get(ch.name)
        if outbound is not None:
            return outbound.ami_hangup(ch, cause)
        leg = self.legs.get(ch.name)
        pbx = self.pbx
        if leg is None:
            pbx.soft_hangup(ch, cause)
            pbx.hangup(ch, cause)
            return
        if leg.where == "bridged":
            return self.bridged_hangup(leg, cause=cause)
        if leg.where == "queue" and self.queues is not None:
            return self.queues.caller_hangup(leg, cause)
        c1, c2 = leg.c1, leg.c2
        if leg.in_agi:
            pbx.soft_hangup(c2, cause)
            c1.hangup_requested.set()
            pbx.hangup_request(c1, 16)
            pbx.soft_hangup(c1, 16)
            self._cancel(c1)
            pbx.hangup(c1, 16)
            pbx.device_state(local_device(c1), "NOT_INUSE")
            c2.hangup_requested.set()
            return
        self._cancel(c1)
        self._cancel(c2)
        if leg.a2 is not None:
            self._cancel(leg.a2)
        pbx.soft_hangup(c2, cause)
        pbx.hangup_request(c1, 0)
        pbx.soft_hangup(c1, 16)
        pbx.hangup(c1, 0)
        if leg.a1 is not None and leg.a2 is not None:
            pbx.emit(ev.dial_event("DialEnd", c2, leg.a1, [("DialStatus", "CANCEL")]))
            pbx.hangup_request(leg.a2, 0)
            pbx.hangup(leg.a1, 0)
            pbx.soft_hangup(leg.a2, 0)
            pbx.hangup(leg.a2, 0)
        pbx.hangup(c2, 0)
        pbx.device_state(local_device(c2), "NOT_INUSE")
        pbx.device_state(local_device(c2), "NOT_INUSE")
        leg.where = "gone"

    def _cancel(self, ch: Channel) -> None:
        task = ch.task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
