"""Recording playback is audited, and the audit log answers by actor, object and time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from crm.model.organization import Role
from crm.services.playback import record_playback
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock
from tests.integration.crm.test_api import Api, open_api


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    async with open_api(engine) as opened:
        yield opened


def _plays(engine: Engine, clock: FakeClock) -> None:
    """09:00 qa1 plays call 1740.7; 10:00 qa2 plays it; 11:00 qa1 plays recording R-9 alone."""
    with UnitOfWork(engine, clock=clock) as uow:
        record_playback(uow, "qa1", call_id="1740.7", recording_id="R-7", detail={"from": "qa"})
        uow.commit()
    clock.advance(hours=1)
    InteractionStore(engine, clock=clock).record_playback("qa2", call_id="1740.7")
    clock.advance(hours=1)
    with UnitOfWork(engine, clock=clock) as uow:
        record_playback(uow, "qa1", recording_id=9)
        uow.commit()


def test_playback_writes_one_audit_row_per_play(engine: Engine, clock: FakeClock) -> None:
    _plays(engine, clock)
    with UnitOfWork(engine, write=False) as uow:
        rows = uow.audit_log.query(action="recording.play")
    assert [(r.actor, r.object_type, r.object_id, r.detail) for r in rows] == [
        ("qa1", "recording", "9", {"call_id": None, "recording_id": "9"}),
        ("qa2", "interaction", "1740.7", {"call_id": "1740.7", "recording_id": None}),
        (
            "qa1",
            "interaction",
            "1740.7",
            {"from": "qa", "call_id": "1740.7", "recording_id": "R-7"},
        ),
    ]
    with UnitOfWork(engine) as uow:
        with pytest.raises(ValueError, match="call id or a recording id"):
            record_playback(uow, "qa1")
        with pytest.raises(ValueError, match="user"):
            record_playback(uow, "", call_id="x")


async def test_audit_log_by_actor_object_and_time_through_the_api(
    api: Api, engine: Engine, clock: FakeClock
) -> None:
    start = clock()
    _plays(engine, clock)

    async def ask(query: str, role: Role = Role.ADMIN) -> list[tuple[str, str | None]]:
        rows = await api.call("GET", "/audit?" + query, role)
        return [(r["actor"], r["object_id"]) for r in rows]

    plays = "action=recording.play"
    assert await ask(f"{plays}&actor=qa1") == [("qa1", "9"), ("qa1", "1740.7")]
    assert await ask(f"{plays}&object_type=interaction&object_id=1740.7") == [
        ("qa2", "1740.7"),
        ("qa1", "1740.7"),
    ]
    since = (start + timedelta(minutes=30)).isoformat().replace("+", "%2B")
    until = (start + timedelta(hours=2)).isoformat().replace("+", "%2B")
    # [since, until): the 10:00 play only; the 11:00 one is at the excluded upper bound.
    assert await ask(f"{plays}&since={since}&until={until}") == [("qa2", "1740.7")]
    assert await ask(f"{plays}&limit=1") == [("qa1", "9")]
    naive = await api.call("GET", "/audit?since=2026-03-02T09:00:00", expect=400)
    assert "timezone" in naive["detail"]
    await api.call("GET", "/audit?limit=many", expect=400)
    await api.call("GET", "/audit?limit=-5", expect=400)
    for role in (Role.AGENT, Role.QA, Role.SUPERVISOR, Role.DEPARTMENT_STAFF):
        await api.call("GET", "/audit", role, expect=403)  # only administrators read it
