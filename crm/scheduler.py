"""Publish scheduled announcements on time: a task the engine runs in its TaskGroup.

::

    scheduler = AnnouncementScheduler(engine, interval=30.0)
    task_group.create_task(scheduler.run())      # cancel it (or the group) to stop

Each tick runs ``publish_due`` in a worker thread (SQLAlchemy is synchronous), then waits
until the next scheduled announcement is due, but never longer than ``interval`` so that
announcements scheduled meanwhile are not missed by more than that. Time is injected: the
``clock`` decides what is due and ``sleep`` does the waiting, so tests drive ticks by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from crm.model.announcement import AnnouncementState
from crm.services.announcements import publish_due
from crm.uow import Clock, UnitOfWork, utc_now

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
OnPublished = Callable[[list[int]], Awaitable[None] | None]


class AnnouncementScheduler:
    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 30.0,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        on_published: OnPublished | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._engine = engine
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._on_published = on_published

    def tick(self) -> tuple[list[int], datetime | None]:
        """Publish what is due now; return those ids and when the next one falls due."""
        with UnitOfWork(self._engine, clock=self._clock) as uow:
            published = publish_due(uow)
            uow.commit()
            waiting = [
                a.publish_at
                for a in uow.announcements.find(state=AnnouncementState.SCHEDULED)
                if a.publish_at is not None
            ]
        return published, min(waiting, default=None)

    def delay(self, next_due: datetime | None) -> float:
        if next_due is None:
            return self._interval
        return min(self._interval, max(0.0, (next_due - self._clock()).total_seconds()))

    async def run(self) -> None:
        """Tick until cancelled. A database that is down is retried next tick: nothing is
        lost, the announcements stay scheduled. Any other error ends the task loudly."""
        while True:
            next_due: datetime | None = None
            try:
                published, next_due = await asyncio.to_thread(self.tick)
            except OperationalError as error:
                log.warning("announcements not published, retrying: %s", error)
            else:
                if published:
                    log.info("published announcements %s", published)
                    if self._on_published is not None:
                        result = self._on_published(published)
                        if result is not None:
                            await result
            await self._sleep(self.delay(next_due))
