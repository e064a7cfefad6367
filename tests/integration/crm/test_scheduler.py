"""The announcement scheduler, driven tick by tick through an injected clock and sleep."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crm.db import make_engine
from crm.model.announcement import AnnouncementState
from crm.scheduler import AnnouncementScheduler
from crm.services.announcements import change_announcement, create_announcement
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


class SteppedSleep:
    """Stands in for asyncio.sleep: hands each requested delay to the test and returns only
    when the test lets that much (fake) time pass."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def __call__(self, seconds: float) -> None:
        passed = asyncio.get_running_loop().create_future()
        await self.requests.put((seconds, passed))
        await passed
        self.clock.advance(seconds=seconds)

    async def next_delay(self) -> tuple[float, asyncio.Future[None]]:
        async with asyncio.timeout(10):  # a guard against a hung scheduler, not a wait
            return await self.requests.get()


def _announcements(engine: Engine, clock: FakeClock) -> tuple[int, int, int]:
    with UnitOfWork(engine, clock=clock) as uow:
        made = []
        for title, delay in (("停电通知", 45), ("系统升级", 600), ("草稿", None)):
            a = create_announcement(uow, actor="sup", title=title, body="…")
            if delay is not None:
                at = clock() + timedelta(seconds=delay)
                change_announcement(uow, a.id or 0, "schedule", "sup", publish_at=at)
            made.append(a.id or 0)
        uow.commit()
    return made[0], made[1], made[2]


async def test_scheduler_publishes_each_announcement_when_due(
    engine: Engine, clock: FakeClock
) -> None:
    start = clock()
    soon, later, draft = _announcements(engine, clock)
    sleep = SteppedSleep(clock)
    seen: list[list[int]] = []

    async def on_published(ids: list[int]) -> None:
        seen.append(ids)

    scheduler = AnnouncementScheduler(
        engine, interval=60, clock=clock, sleep=sleep, on_published=on_published
    )
    task = asyncio.create_task(scheduler.run())
    delays: list[float] = []
    try:
        while True:
            # A delay is requested only after the tick before it finished (and reported).
            delay, passed = await sleep.next_delay()
            delays.append(delay)
            if [later] in seen:
                break  # nothing is left scheduled: that last delay is the plain interval
            passed.set_result(None)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # Wakes exactly when the first is due (45 s), then every minute, and lands on 600 s.
    assert delays == [45, *[60] * 9, 15, 60]
    assert seen == [[soon], [later]]
    with UnitOfWork(engine, write=False) as uow:
        published = {a.id: a for a in uow.announcements.find(state=AnnouncementState.PUBLISHED)}
        audit = uow.audit_log.query(action="announcement.publish")
        draft_state = uow.announcements.get(draft)
    assert (published[soon].published_at - start).total_seconds() == 45  # type: ignore[operator]
    assert (published[later].published_at - start).total_seconds() == 600  # type: ignore[operator]
    assert {(a.actor, a.object_id) for a in audit} == {
        ("system:scheduler", str(soon)),
        ("system:scheduler", str(later)),
    }
    assert draft_state is not None and draft_state.state is AnnouncementState.DRAFT


async def test_a_database_outage_is_retried_next_tick(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    missing = make_engine(f"sqlite:///{tmp_path}/no/such/dir/crm.db")
    sleep = SteppedSleep(clock)
    task = asyncio.create_task(
        AnnouncementScheduler(missing, interval=30, clock=clock, sleep=sleep).run()
    )
    try:
        with caplog.at_level(logging.WARNING, logger="crm.scheduler"):
            for _ in range(2):
                delay, passed = await sleep.next_delay()
                assert delay == 30
                passed.set_result(None)
            await sleep.next_delay()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        missing.dispose()
    assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 3


def test_the_interval_must_be_positive(engine: Engine) -> None:
    with pytest.raises(ValueError, match="positive"):
        AnnouncementScheduler(engine, interval=0)
