"""The Asterisk model: channels, Local pairs, bridges, ids, and the event fan-out.

Everything here is synchronous; the dialplan coroutines in ``dialplan.py`` drive it. An
event is emitted the moment the model changes, so the order on the wire is the order of
the calls below, which the dialplan code arranges to match the real Asterisk traces.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from cti.simulator import events as ev
from cti.simulator.events import ChannelInfo, Pairs

Listener = Callable[[Pairs], None]
_CHANNEL_KEYS = frozenset({"Channel", "DestChannel", "LocalOneChannel", "LocalTwoChannel"})


@dataclass(eq=False)
class Channel(ChannelInfo):
    half: int = 0
    peer: Channel | None = None
    call: CallRecord | None = None
    app: str = ""
    appdata: str = ""
    created: float = 0.0
    bridge: Bridge | None = None
    hungup: bool = False
    task: asyncio.Task[None] | None = None
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    # Keys count only while an application reads them (GET DATA, WAIT FOR DIGIT, STREAM
    # FILE with escape digits); between AGI commands res_agi reads and drops them.
    reading_dtmf: bool = False
    dtmf_wanted: asyncio.Event = field(default_factory=asyncio.Event)  # set while reading
    # A simulated caller is pressing a key in answer to the current read. Model time is
    # compressed but the event loop's lag is not: the read waits for that key rather
    # than time out under it (at real speed a read outlasts a key press by far).
    dtmf_pending: int = 0
    # Set when a hangup was requested; the coroutine owning the channel notices it.
    hangup_requested: asyncio.Event = field(default_factory=asyncio.Event)
    hangup_cause: int = 16
    mixmonitor: Any = None
    role: str = ""  # "caller" (;1 caller script), "dialplan", "agent"


@dataclass(eq=False)
class Bridge:
    uid: str
    members: list[Channel] = field(default_factory=list)


@dataclass
class CallRecord:
    linkedid: str
    number: str
    phase: str = "ivr"
    started: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    agent: str | None = None
    cause: int | None = None
    ended: float | None = None
    channels: set[str] = field(default_factory=set)


class Pbx:
    """Channel registry, id counters and event listeners."""

    def __init__(self, *, time_scale: float = 1.0, seed: int = 0, pjsip: bool = False) -> None:
        self.time_scale = time_scale
        # PJSIP-style channels (SimConfig.channels == "pjsip"): a caller or an agent leg is
        # one channel PJSIP/<endpoint>-<8 hex>; the other half of the internal pair plays
        # the phone and is never seen on AMI (no LocalBridge, no ;1/;2).
        self.pjsip = pjsip
        self.hidden: set[str] = set()
        self.rng = random.Random(seed)
        self.listeners: list[Listener] = []
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, CallRecord] = {}
        self.ended: dict[str, CallRecord] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        self.processed_calls = 0
        self.reset_counters()

    def reset_counters(self) -> None:
        self.uid_counter = 0
        self.local_counter = 0
        self.boot_wall = time.time()
        self.boot_mono = asyncio.get_running_loop().time()

    # -- time -------------------------------------------------------------------------
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.time_scale)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def cancel_all(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- events -----------------------------------------------------------------------
    def emit(self, pairs: Pairs) -> None:
        if self.hidden or self.pjsip:
            if pairs and pairs[0][1] == "LocalBridge" and self.pjsip:
                return
            for key, value in pairs:
                if key in _CHANNEL_KEYS and value in self.hidden:
                    return
        for listener in list(self.listeners):
            listener(pairs)

    def chan_event(self, name: str, ch: Channel, extra: Iterable[tuple[str, str]] = ()) -> None:
        self.emit(ev.channel_event(name, ch, extra))

    def newexten(
        self,
        ch: Channel,
        app: str,
        data: str = "",
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int | None = None,
    ) -> None:
        if context is not None:
            ch.context = context
        if exten is not None:
            ch.exten = exten
        if priority is not None:
            ch.priority = priority
        ch.app, ch.appdata = app, data
        self.chan_event(
            "Newexten", ch, [("Extension", ch.exten), ("Application", app), ("AppData", data)]
        )

    def varset(self, ch: Channel, name: str, value: str = "") -> None:
        ch.variables[name] = value
        self.chan_event("VarSet", ch, [("Variable", name), ("Value", value)])

    def newstate(self, ch: Channel, state: int) -> None:
        ch.state = state
        self.chan_event("Newstate", ch)

    def device_state(self, device: str, state: str) -> None:
        if self.pjsip and device.startswith("Local/"):
            ext, _, ctx = device.removeprefix("Local/").partition("@")
            if ctx.endswith("agents"):
                device = f"PJSIP/{ext}"  # an agent's endpoint
            else:
                return  # the caller's side: a trunk call has no device state of its own
        self.emit([*ev.head("DeviceStateChange"), ("Device", device), ("State", state)])

    def newcallerid(self, ch: Channel) -> None:
        self.chan_event(
            "NewCallerid", ch, [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")]
        )

    # -- channels ---------------------------------------------------------------------
    def next_uniqueid(self) -> str:
        uid = f"{int(time.time())}.{self.uid_counter}"
        self.uid_counter += 1
        return uid

    def new_local_pair(
        self, exten: str, context: str, linkedid: str | None, call: CallRecord | None = None
    ) -> tuple[Channel, Channel]:
        """Both halves, registered, no events yet (callers emit Newchannel in order)."""
        base = f"Local/{exten}@{context}-{self.local_counter:08x}"
        self.local_counter += 1
        uid1 = self.next_uniqueid()
        link = linkedid or uid1
        now = self.now()
        one = Channel(
            name=base + ";1",
            uniqueid=uid1,
            linkedid=link,
            state=0,
            context=context,
            exten=exten,
            half=1,
            created=now,
            call=call,
        )
        two = Channel(
            name=base + ";2",
            uniqueid=self.next_uniqueid(),
            linkedid=link,
            state=4,
            context=context,
            exten=exten,
            half=2,
            created=now,
            call=call,
        )
        one.peer, two.peer = two, one
        for ch in (one, two):
            self.channels[ch.name] = ch
            if call is not None:
                call.channels.add(ch.name)
        self.idle.clear()
        return one, two

    def as_pjsip(self, visible: Channel, hidden: Channel, endpoint: str) -> None:
        """Show a pair as one PJSIP channel (``visible``); ``hidden`` plays the phone."""
        self.channels.pop(visible.name, None)
        call = visible.call
        if call is not None:
            call.channels.discard(visible.name)
        visible.name = f"PJSIP/{endpoint}-{self.local_counter:08x}"
        self.local_counter += 1
        self.channels[visible.name] = visible
        if call is not None:
            call.channels.add(visible.name)
        self.hidden.add(hidden.name)
        if visible.half == 2 and hidden.uniqueid == visible.linkedid:
            # The caller's one channel is the call's first: its uniqueid is the Linkedid.
            visible.uniqueid, hidden.uniqueid = hidden.uniqueid, visible.uniqueid

    def visible(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.name not in self.hidden]

    def find(self, name: str) -> Channel | None:
        ch = self.channels.get(name)
        return ch if ch is not None and not ch.hungup else None

    def hangup(self, ch: Channel, cause: int = 16) -> None:
        """The final Hangup event; removes the channel."""
        if ch.hungup:
            return
        ch.hungup = True
        self.chan_event(
            "Hangup", ch, [("Cause", str(cause)), ("Cause-txt", ev.hangup_cause_text(cause))]
        )
        self.hidden.discard(ch.name)
        self.channels.pop(ch.name, None)
        if ch.mixmonitor is not None:
            ch.mixmonitor.close()
            ch.mixmonitor = None
        call = ch.call
        if call is not None:
            call.channels.discard(ch.name)
            if not call.channels and call.ended is None:
                call.ended = self.now()
                call.cause = cause if call.cause is None else call.cause
                self.calls.pop(call.linkedid, None)
                self.ended[call.linkedid] = call
        if not self.channels:
            self.idle.set()

    def soft_hangup(self, ch: Channel, cause: int = 16) -> None:
        self.chan_event("SoftHangupRequest", ch, [("Cause", str(cause))])

    def hangup_request(self, ch: Channel, cause: int = 16) -> None:
        self.chan_event("HangupRequest", ch, [("Cause", str(cause))])

    # -- bridges ----------------------------------------------------------------------
    def new_bridge(self) -> Bridge:
        bridge = Bridge(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.emit(ev.head("BridgeCreate") + ev.bridge_block(bridge.uid, 0))
        return bridge

    def bridge_enter(self, bridge: Bridge, ch: Channel) -> None:
        bridge.members.append(ch)
        ch.bridge = bridge
        if ch.mixmonitor is not None:  # option b: a recording runs only while bridged
            ch.mixmonitor.bridged(True)
        self.emit(
            ev.head("BridgeEnter")
            + ev.bridge_block(bridge.uid, len(bridge.members))
            + ev.channel_block(ch)
        )

    def bridge_leave(self, ch: Channel) -> None:
        bridge = ch.bridge
        if bridge is None:
            return
        bridge.members.remove(ch)
        ch.bridge = None
        if ch.mixmonitor is not None:
            ch.mixmonitor.bridged(False)
        self.emit(
            ev.head("BridgeLeave")
            + ev.bridge_block(bridge.uid, len(bridge.members))
            + ev.channel_block(ch)
        )

    def bridge_destroy(self, bridge: Bridge) -> None:
        self.emit(ev.head("BridgeDestroy") + ev.bridge_block(bridge.uid, len(bridge.members)))

    def set_phase(self, ch: Channel, phase: str) -> None:
        call = ch.call
        if call is not None and call.ended is None:
            call.phase = phase
            call.phases.setdefault(phase, self.now())
