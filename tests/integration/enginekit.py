"""Helpers that start the engine against the simulator over real TCP, on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from crm.db import create_schema, make_engine
from crm.store import InteractionStore
from cti import events as ev
from cti.ami.session import AmiSettings, backoff
from cti.crm_sink import CrmSink
from cti.demo import DEMO_AGENTS, DEMO_PROMPTS, DEMO_SERVICES
from cti.engine import Engine
from cti.settings import DialplanConfig, Settings
from cti.simulator import AgentPhone, CallerSpec, SimConfig, Simulator


async def until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition (cheap, in-memory) until it holds; fail with ``what``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {what}")
        await asyncio.sleep(0.01)


@dataclasses.dataclass
class Rig:
    engine: Engine
    sim: Simulator
    store: InteractionStore
    ended: list[ev.CallEnded]
    events: list[Any]
    sql: Any = None

    def ended_ids(self) -> list[str]:
        return [e.call_id for e in self.ended]


def settings_for(
    tmp: Path, *, ping_interval: float = 5.0, wrap_up: float = 0.0, agents: tuple = DEMO_AGENTS
) -> Settings:
    return Settings(
        source="<test>",
        asterisk=(
            AmiSettings(
                name="sim",
                host="127.0.0.1",
                port=0,
                username="cti",
                secret="ctisecret",
                md5_auth=True,
                ping_interval=ping_interval,
                ping_timeout=1.0,
                action_timeout=5.0,
            ),
        ),
        fastagi_host="127.0.0.1",
        fastagi_port=0,
        database_url=f"sqlite:///{tmp / 'crm.sqlite3'}",
        journal_path=str(tmp / "journal.jsonl"),
        recordings_dir=str(tmp / "recordings"),
        wrap_up_seconds=wrap_up,
        # The shipped dialplan's contexts (the simulator runs them); its agents are Local
        # channels, the way the simulated phones are reached.
        dialplan=DialplanConfig(agent_dial="Local/{extension}@cti-agents"),
        skills=("billing", "repair", "installation", "complaint", "english"),
        services=DEMO_SERVICES,
        agents=agents,
    )


@contextlib.asynccontextmanager
async def rig(
    tmp: Path,
    *,
    time_scale: float = 0.01,
    phones: list[AgentPhone] | None = None,
    settings: Settings | None = None,
    prepare: Callable[[Any], None] | None = None,
    engine_options: Callable[[Any, InteractionStore], dict[str, Any]] | None = None,
    sounds: Callable[[Engine], dict[str, int]] | None = None,
    sim_options: dict[str, Any] | None = None,
) -> AsyncIterator[Rig]:
    """Simulator + engine + SQLite CRM over real TCP. ``prepare(sql)`` seeds the CRM before
    the engine starts, ``engine_options(sql, store)`` adds Engine keyword arguments (web
    app, login, clock...), ``sounds(engine)`` installs extra prompts on the PBX."""
    settings = settings or settings_for(tmp)
    sql = make_engine(settings.database_url)
    create_schema(sql)
    if prepare is not None:
        prepare(sql)
    store = InteractionStore(sql)
    phones = phones or [
        AgentPhone(a.extension, answer_after=1.0, talk_time=5.0) for a in settings.agents
    ]
    sim_cfg = SimConfig(
        agents=phones,
        time_scale=time_scale,
        recordings_dir=tmp / "rec",
        noanswer_to_hold=True,
        auth_failure_delay=0.05,
        **(sim_options or {}),
    )
    # The PBX must have the engine's prompts installed, as a real one would after
    # `cti prompts build`; without them GET DATA fails at once and no key is read.
    sim_cfg.sounds.update(DEMO_PROMPTS)
    try:
        async with Simulator(sim_cfg) as sim:
            settings = dataclasses.replace(
                settings, asterisk=(dataclasses.replace(settings.asterisk[0], port=sim.ami_port),)
            )
            options = engine_options(sql, store) if engine_options is not None else {}
            engine = Engine(settings, CrmSink(store), **options)
            if sounds is not None:
                sim.install_sounds(sounds(engine))
            # Short, still jittered backoff: tests must not wait out production delays.
            for s in engine.sessions.values():
                s._backoff_factory = lambda: backoff(0.02, 2.0, 0.2)
            ended: list[ev.CallEnded] = []
            seen: list[Any] = []
            engine.bus.subscribe(ended.append, ev.CallEnded)
            engine.bus.subscribe(seen.append)
            async with engine:
                sim.set_agi_target(sim.config.agi_host, engine.agi_port)
                await engine.wait_ready(timeout=10)
                yield Rig(engine, sim, store, ended, seen, sql)
    finally:
        sql.dispose()


def caller(i: int, key: str = "1") -> CallerSpec:
    return CallerSpec(number=f"1380000{i:04d}", name=f"测试用户{i}", entry="ivr", dtmf=[key])
