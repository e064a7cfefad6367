"""The engine with its flow runner, the simulator as Asterisk and SQLite as the CRM."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm.model.customer import Customer
from crm.services.customers import add_customer, make_phone
from crm.services.incidents import open_incident
from crm.uow import UnitOfWork
from cti.settings import Settings
from cti.simulator import AgentPhone
from ivr.flow import FlowSet
from tests.integration.enginekit import Rig, rig, settings_for
from tests.unit.ivr.helpers import OPEN_AT

PROMPT_SAMPLES = 8000  # every simulated prompt lasts 1 s of model time


def sounds_for(flows: FlowSet) -> dict[str, int]:
    return {
        flow.sound(p, lang): PROMPT_SAMPLES
        for flow in flows.flows
        for p in flow.prompts()
        for lang in flow.languages
    }


def add_people(
    sql: Any, people: Iterable[dict[str, Any]], incidents: Iterable[dict[str, Any]] = ()
) -> list[int]:
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
async def ivr_rig(
    tmp: Path,
    *,
    settings: Settings | None = None,
    time_scale: float = 0.03,
    people: Iterable[dict[str, Any]] = (),
    incidents: Iterable[dict[str, Any]] = (),
    crm: bool = True,
    agent_talk: float = 5.0,
) -> AsyncIterator[Rig]:
    # Weekday office hours in Shanghai, whatever the wall clock says: the flows' calendars
    # must not make the tests depend on when they run.
    offset = OPEN_AT - time.time()
    settings = settings or settings_for(tmp)

    def seed(sql: Any) -> None:
        add_people(sql, [dict(p) for p in people], incidents)

    phones = [
        AgentPhone(a.extension, answer_after=1.0, talk_time=agent_talk) for a in settings.agents
    ]
    async with rig(
        tmp,
        time_scale=time_scale,
        phones=phones,
        settings=settings,
        prepare=seed,
        engine_options=lambda sql, store: {
            "clock": lambda: time.time() + offset,
            "crm_store": store if crm else None,
        },
        sounds=lambda engine: sounds_for(engine.ivr.flows),
    ) as r:
        yield r
