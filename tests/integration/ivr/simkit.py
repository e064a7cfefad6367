"""The engine with its flow runner, the simulator as Asterisk and SQLite as the CRM."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm.db import create_schema, make_engine
from crm.model.customer import Customer
from crm.services.customers import add_customer, make_phone
from crm.services.incidents import open_incident
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from cti import events as ev
from cti.ami.session import backoff
from cti.crm_sink import CrmSink
from cti.engine import Engine
from cti.settings import Settings
from cti.simulator import AgentPhone, SimConfig, Simulator
from ivr.flow import FlowSet
from tests.integration.enginekit import Rig, settings_for
from tests.unit.ivr.helpers import OPEN_AT

PROMPT_SAMPLES = 8000  # every simulated prompt lasts 1 s of model time


def sounds_for(flows: FlowSet) -> dict[str, int]:
    return {flow.sound(p, lang): PROMPT_SAMPLES
            for flow in flows.flows for p in flow.prompts() for lang in flow.languages}


def add_people(sql: Any, people: Iterable[dict[str, Any]],
               incidents: Iterable[dict[str, Any]] = ()) -> list[int]:
    ids = []
    with UnitOfWork(sql) as uow:
        for p in people:
            phone = p.pop("phone")
            ids.append(add_customer(uow, Customer(**p, phones=[make_phone(phone)]), "test"))
        for i in incidents:
            open_incident(uow, actor="test", **i)
        uow.commit()
    return ids


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@contextlib.asynccontextmanager
async def ivr_rig(tmp: Path, *, settings: Settings | None = None, time_scale: float = 0.03,
                  people: Iterable[dict[str, Any]] = (), incidents: Iterable[dict[str, Any]] = (),
                  crm: bool = True, agent_talk: float = 5.0) -> AsyncIterator[Rig]:
    settings = settings or settings_for(tmp)
    sql = make_engine(settings.database_url)
    create_schema(sql)
    add_people(sql, [dict(p) for p in people], incidents)
    store = InteractionStore(sql)
    phones = [AgentPhone(a.extension, answer_after=1.0, talk_time=agent_talk)
              for a in settings.agents]
    cfg = SimConfig(agents=phones, time_scale=time_scale, recordings_dir=tmp / "rec",
                    noanswer_to_hold=True, auth_failure_delay=0.05)
    # Weekday office hours in Shanghai, whatever the wall clock says: the flows' calendars
    # must not make the tests depend on when they run.
    offset = OPEN_AT - time.time()
    try:
        async with Simulator(cfg) as sim:
            settings = dataclasses.replace(settings, asterisk=(dataclasses.replace(
                settings.asterisk[0], port=sim.ami_port),))
            engine = Engine(settings, CrmSink(store), clock=lambda: time.time() + offset,
                            crm_store=store if crm else None)
            sim.install_sounds(sounds_for(engine.ivr.flows))
            for s in engine.sessions.values():
                s._backoff_factory = lambda: backoff(0.02, 2.0, 0.2)
            ended: list[ev.CallEnded] = []
            seen: list[Any] = []
            engine.bus.subscribe(ended.append, ev.CallEnded)
            engine.bus.subscribe(seen.append)
            async with engine:
                sim.set_agi_target(sim.config.agi_host, engine.agi_port)
                await engine.wait_ready(timeout=10)
                yield Rig(engine, sim, store, ended, seen)
    finally:
        sql.dispose()
