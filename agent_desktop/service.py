"""The desk: hub, notifier and wallboard wired to the engine's bus, with one lifecycle.

``Desk.run`` is the only long-lived task of this package: it runs the notifier's CRM
worker and the wallboard pusher. Wallboard figures are recomputed at most every
``push_interval`` when something changed and at least every second (the waits grow), once
per push for all viewers; nothing here reads the database per viewer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from agent_desktop import alarms, kpi
from agent_desktop.crmview import CrmDesk
from agent_desktop.hub import Hub
from agent_desktop.notifier import Notifier
from agent_desktop.occupancy import Occupancy
from agent_desktop.outbound import Outbound
from agent_desktop.seed import seed
from agent_desktop.telephony import DialConfig, Telephony
from agent_desktop.wallboard import ServiceInfo, WallboardState
from cti import events as ev

log = logging.getLogger(__name__)
WALLBOARD = "wallboard"
EVENTS = (
    ev.CallQueued,
    ev.AgentRinging,
    ev.AgentNoAnswer,
    ev.CallAnswered,
    ev.CallTransferred,
    ev.CallEnded,
    ev.WrapUpCompleted,
    ev.AmiResynced,
)


@dataclass(frozen=True, slots=True)
class DeskConfig:
    short_abandon: float = 5.0  # seconds: callers who hang up sooner are not counted
    push_interval: float = 0.25
    refresh_interval: float = 1.0
    queue_limit: int = 256  # messages a client may lag behind before it is dropped
    dial: DialConfig = field(default_factory=DialConfig)


class Desk:
    def __init__(self, engine: Any, crm: CrmDesk | None, config: DeskConfig | None = None) -> None:
        self.engine = engine
        self.crm = crm
        self.config = config or DeskConfig()
        self.hub = Hub(queue_limit=self.config.queue_limit)
        self._dirty = asyncio.Event()
        # Days (today's totals, the chart's quarter hours) begin in the site's time zone.
        offset = datetime.now(ZoneInfo(engine.settings.time_zone)).utcoffset()
        utc_offset = offset.total_seconds() if offset is not None else 0.0
        self.occupancy = Occupancy(utc_offset=utc_offset)
        self.notifier = Notifier(
            engine, self.hub, crm, on_change=self._dirty.set, on_agent=self.occupancy.observe
        )
        self.telephony = Telephony(engine, self.config.dial)
        self.outbound = Outbound(engine, self.notifier, crm, self.telephony)
        site = dict((m, (w, c)) for m, w, c in engine.settings.thresholds)
        self._alarm_overrides: list[tuple[str, str, float, float]] | None = None
        self.alarm_limit_errors = 0
        self.board = WallboardState(
            {
                s.name: ServiceInfo(
                    s.name,
                    s.label_zh,
                    s.label_en,
                    s.target_percent,
                    s.target_seconds,
                    alarms.from_limits({**site, **{m: (w, c) for m, w, c in s.thresholds}}),
                )
                for s in engine.settings.services
            },
            short_abandon=self.config.short_abandon,
            utc_offset=utc_offset,
            thresholds=alarms.from_limits(site),
        )
        self._wrapups: asyncio.Queue[list[tuple[str, float]]] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = None
        self.pushes = 0

    async def rebuild_today(self) -> int:
        """Once at start, before the bus: today's totals from the CRM's rows (one query)."""
        if self.crm is None:
            return 0
        now = self.engine.clock()
        start = datetime.fromtimestamp(kpi.day_start(now, self.board.utc_offset), UTC)
        rows = await asyncio.to_thread(self.crm.interactions_since, start)
        return seed(self.board, rows, now)

    # -- the bus -------------------------------------------------------------------------
    def subscribe(self) -> None:
        self._unsubscribe = self.engine.bus.subscribe(self.on_event, *EVENTS)

    def unsubscribe(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def on_event(self, event: Any) -> None:
        if self.board.apply(event):
            self._dirty.set()
        done = self.board.drain_wrapups()
        if done and self.crm is not None:
            self._wrapups.put_nowait(done)
        self.outbound.on_event(event)
        self.notifier.on_event(event)

    # -- wallboard -----------------------------------------------------------------------
    def wallboard(self) -> dict[str, Any]:
        now, agents = self.engine.clock(), self.notifier.agents()
        occupancy = self.occupancy.annotate(now, agents)
        snap = self.board.snapshot(now, agents)
        snap["overall"]["occupancy"] = occupancy
        return snap

    def push_wallboard(self) -> None:
        if self.hub.subscribers(WALLBOARD):
            self.hub.publish(WALLBOARD, self.wallboard())
            self.pushes += 1

    async def _pusher(self) -> None:
        cfg = self.config
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(cfg.refresh_interval):
                    await self._dirty.wait()
            self._dirty.clear()
            self.notifier.sync_agents()  # timer-driven changes (wrap-up over, reservations)
            self._dirty.clear()
            self.push_wallboard()
            await asyncio.sleep(cfg.push_interval)  # coalesce bursts: one push per interval

    def apply_alarm_limits(self, overrides: list[tuple[str, str, float, float]]) -> None:
        """The administrator's limits (service or "" for all, metric, warn, critical) over
        the site file's: a service's own override, then the site file's for that service,
        then the all-services override, then the site file's default."""
        settings = self.engine.settings
        site = {m: (w, c) for m, w, c in settings.thresholds}
        every = {m: (w, c) for s, m, w, c in overrides if s == ""}
        base = {**site, **every}
        self.board.thresholds = alarms.from_limits(base)
        for s in settings.services:
            info = self.board.services.get(s.name)
            if info is not None:
                own = {m: (w, c) for svc, m, w, c in overrides if svc == s.name}
                info.thresholds = alarms.from_limits(
                    {**base, **{m: (w, c) for m, w, c in s.thresholds}, **own}
                )
        self._alarm_overrides = overrides
        self._dirty.set()

    async def _alarm_limits(self, every: float = 10.0) -> None:
        """Pick up the admin page's alarm limits (stored in the CRM) within ``every`` s."""
        assert self.crm is not None
        while True:
            try:
                found = await asyncio.to_thread(self.crm.alarm_limits)
                if found != self._alarm_overrides:
                    self.apply_alarm_limits(found)
            except SQLAlchemyError as error:
                # The database is away: keep the limits in force, try again.
                self.alarm_limit_errors += 1
                log.warning("desk: alarm limits not read: %s", type(error).__name__)
            await asyncio.sleep(every)

    async def _wrapup_writer(self) -> None:
        assert self.crm is not None
        while True:
            done = await self._wrapups.get()
            while True:
                try:
                    await asyncio.to_thread(self.crm.record_wrapups, done)
                    break
                except SQLAlchemyError:
                    await asyncio.sleep(1.0)  # the database is away: keep the figure, retry

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self._pusher(), name="desk-wallboard")
            if self.crm is not None:
                tg.create_task(self.notifier.run(), name="desk-pops")
                tg.create_task(self._wrapup_writer(), name="desk-wrapups")
                tg.create_task(self._alarm_limits(), name="desk-alarm-limits")
