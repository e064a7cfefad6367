"""The control API: a simulated Asterisk 22 for tests and the demo."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cti.simulator.actions import ActionHandler
from cti.simulator.agi_client import run_agi
from cti.simulator.contexts import SHIPPED, Contexts
from cti.simulator.dialplan import Dialplan, Leg
from cti.simulator.events import head
from cti.simulator.model import Pbx
from cti.simulator.parties import AgentPhone, CallerSpec, EndedCall
from cti.simulator.queues import QueueConfig, QueueEngine
from cti.simulator.server import AmiServer


def _default_agents() -> list[AgentPhone]:
    return [
        *(AgentPhone(f"100{i}", 0.0, 30.0) for i in (1, 2, 3)),
        AgentPhone("1009", None),
        *(AgentPhone(f"200{i}", 0.0, 3.0, tones=False) for i in (1, 2, 3)),
    ]


@dataclass
class SimConfig:
    ami_host: str = "127.0.0.1"
    ami_port: int = 0
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    users: dict[str, str] = field(default_factory=lambda: {"cti": "ctisecret"})
    queues: list[QueueConfig] = field(default_factory=lambda: [QueueConfig()])
    agents: list[AgentPhone] = field(default_factory=_default_agents)
    time_scale: float = 1.0
    recordings_dir: Path = field(default_factory=lambda: Path("recordings-sim"))
    auth_failure_delay: float = 1.0
    seed: int = 0
    # extensions.conf hangs up after an unanswered Dial; the engine re-routes instead.
    noanswer_to_hold: bool = False
    restart_refuse: float = 0.5
    # Installed prompts: name -> samples at 8 kHz (the lab had only a 1 s silence/1).
    sounds: dict[str, int] = field(default_factory=lambda: {"silence/1": 8000})
    # The dialplan it runs: the shipped cti-* contexts, or LAB (the recorded traces').
    contexts: Contexts = SHIPPED
    # Originate of Local/<number>@<contexts.callback> reaches a simulated customer (see
    # callbacks.py); customers answer after ``customers[number]`` model seconds (None:
    # never), or after ``customer_answer_after`` when not listed.
    customers: dict[str, float | None] = field(default_factory=dict)
    customer_answer_after: float = 1.0
    # Click-to-call (outbound.py): Originate Local/<ext>@<contexts.agents> with Context
    # <contexts.outbound> dials Local/<number>@customers; the customer answers as above
    # and talks this long.
    customer_talk_time: float = 30.0
    # Real seconds between DialEnd CANCEL and the caller's hang-up when a caller hangs up
    # while an agent rings (Asterisk: 0-0.8 ms, often separate reads).
    cancel_hangup_gap: float = 0.0005
    # Recordings last as long as the talk really did (the engine's talk time), at any
    # time_scale; False writes model seconds (a 30 s talk at scale 0.25 gives 30 s).
    real_time_recordings: bool = True
    # "local": every party is a Local channel pair, as in the lab's traces; "pjsip": a
    # caller from the trunk and an agent's phone are one PJSIP/<endpoint>-<hex> channel
    # each, with real ringing (Newstate Ringing, DeviceStateChange RINGING). The pjsip
    # option covers the engine's own routing (IVR, hold, connect); app_queue members,
    # click-to-call and callbacks stay Local channels.
    channels: str = "local"


class Simulator:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.globals: dict[str, str] = {}
        self._agents = {a.extension: a for a in config.agents}
        self.ami_port = 0
        self._started = False

    async def start(self) -> None:
        cfg = self.config
        self.pbx = Pbx(time_scale=cfg.time_scale, seed=cfg.seed, pjsip=cfg.channels == "pjsip")
        self.dialplan = Dialplan(
            self.pbx,
            agi_host=cfg.agi_host,
            agi_port=cfg.agi_port,
            recordings_dir=cfg.recordings_dir,
            agents=self._agents,
            agi_runner=self._agi,
            noanswer_to_hold=cfg.noanswer_to_hold,
            contexts=cfg.contexts,
        )
        self.dialplan.cancel_gap = cfg.cancel_hangup_gap
        self.dialplan.real_time_recordings = cfg.real_time_recordings
        self.queues = QueueEngine(self.dialplan, cfg.queues)
        self.dialplan.queues = self.queues
        self.server = AmiServer(
            ActionHandler(self),
            host=cfg.ami_host,
            port=cfg.ami_port,
            users=cfg.users,
            auth_failure_delay=cfg.auth_failure_delay,
            uptime=lambda: self.pbx.now() - self.pbx.boot_mono,
        )
        self.pbx.listeners.append(self.server.broadcast)
        self.ami_port = await self.server.start()
        self.config.ami_port = self.ami_port
        self._started = True

    async def _agi(self, leg: Leg, script: str) -> str:
        return await run_agi(self.dialplan, leg, script, self.config.sounds)

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.pbx.cancel_all()
        for ch in list(self.pbx.channels.values()):
            if ch.mixmonitor is not None:
                ch.mixmonitor.close()
        await self.server.stop()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- control ----------------------------------------------------------------------
    def place_call(self, caller: CallerSpec) -> str:
        entry, ctx = caller.entry, self.config.contexts
        if entry == "ivr":
            context = ctx.ivr
        elif entry == "hotline":
            context = ctx.hotline
        elif entry.startswith("queue:"):
            context = ctx.queue
        elif entry == "hold":
            context = ctx.hold
        else:
            context = entry
        leg = self.dialplan.originate(caller, context)
        if caller.hangup_during_ivr_after is not None:
            self.pbx.spawn(self._hang_up_later(leg, caller.hangup_during_ivr_after))
        return leg.record.linkedid

    async def _hang_up_later(self, leg: Leg, seconds: float) -> None:
        await self.pbx.sleep(seconds)
        if not leg.c1.hungup and leg.where == "ivr":
            if leg.c1.task is not None:
                leg.c1.task.cancel()
            self.pbx.newexten(leg.c1, "Hangup", "", priority=leg.c1.priority + 1)
            await self.dialplan.c1_hangs_up(leg)

    def install_sounds(self, mapping: dict[str, int]) -> None:
        """Install prompts (name -> samples at 8 kHz), as ``cti prompts build`` would."""
        self.config.sounds.update(mapping)

    def set_agi_target(self, host: str, port: int) -> None:
        """Where ``AGI(agi://host:port/...)`` connects (known only once the engine runs)."""
        self.config.agi_host, self.config.agi_port = host, port
        if self._started:
            self.dialplan.agi_host, self.dialplan.agi_port = host, port

    def set_agent(self, phone: AgentPhone) -> None:
        self._agents[phone.extension] = phone

    def live_calls(self) -> dict[str, str]:
        return {k: v.phase for k, v in self.pbx.calls.items()}

    def ended_calls(self) -> dict[str, EndedCall]:
        return {
            k: EndedCall(k, r.number, r.started, r.ended or 0.0, dict(r.phases), r.agent, r.cause)
            for k, r in self.pbx.ended.items()
        }

    def drop_ami_connections(self) -> int:
        return self.server.drop_all()

    async def wait_until_idle(self, limit: float) -> None:
        """Until no channel is left; TimeoutError after ``limit`` real seconds."""
        async with asyncio.timeout(limit):
            await self.pbx.idle.wait()

    async def restart(self, *, boot: float = 0.0) -> None:
        """``core restart now``: hang up every channel (cause 4), Shutdown, EOF, refuse
        connections for ``restart_refuse`` model seconds, then start afresh (counters at 0,
        no dynamic members). Logins within ``boot`` model seconds after the port reopens
        get FullyBooted only when that boot time is over (as in f2_restart_live_call)."""
        pbx, scale = self.pbx, self.config.time_scale
        done: set[int] = set()
        for leg in list(self.dialplan.legs.values()):
            if id(leg) in done:
                continue
            done.add(id(leg))
            if leg.where == "bridged" and leg.queue is not None and leg.a1 is not None:
                self.queues.calls.restart_hangup(leg)
        for ch in list(pbx.channels.values()):
            pbx.soft_hangup(ch, 4)
        for ch in list(pbx.channels.values()):
            pbx.hangup(ch, 16)
        await pbx.cancel_all()
        for ch in list(pbx.channels.values()):
            if ch.mixmonitor is not None:
                ch.mixmonitor.close()
        pbx.emit([*head("Shutdown"), ("Shutdown", "Cleanly"), ("Restart", "True")])
        await self.server.shutdown()
        await asyncio.sleep(self.config.restart_refuse * scale)
        self.queues.reset()
        self.dialplan.legs.clear()
        self.dialplan.outbound.clear()
        self.globals.clear()
        pbx.reset_counters()
        self.server.port = self.ami_port
        await self.server.start()
        self.server.booting(boot * scale)
