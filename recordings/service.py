"""Wiring for the recordings part: one object the engine builds, subscribes and runs.

It opens its own SQLAlchemy engine on the CRM's database URL (tables created with
``create_all``), so nothing in crm/ changes; ``run()`` owns the recorder, the
transcription worker and the retention job, and disposes of the engine when cancelled.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crm.db import make_engine
from crm.store import InteractionStore
from ivr.speech import ModelCache
from recordings.config import RecordingsConfig, load_config
from recordings.events import RecordingStored
from recordings.qa import QaStore
from recordings.recorder import WATCHED, Recorder
from recordings.registry import Registry
from recordings.retention_job import run_retention
from recordings.schema import create_tables
from recordings.worker import TranscriptionWorker


class RecordingsService:
    def __init__(self, config: RecordingsConfig, sql: Any, model: Any,
                 ami: Callable[[], Any], bus: Any, *, agents: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.time, cache: ModelCache | None = None,
                 own_sql: bool = False) -> None:
        self.config = config
        self.sql = sql
        self.clock = clock
        Path(config.directory).mkdir(parents=True, exist_ok=True)
        create_tables(sql)
        self.registry = Registry(sql)
        self.qa = QaStore(sql)
        self.qa.ensure_forms(config.scorecards, clock())
        self.crm = InteractionStore(sql)
        self.recorder = Recorder(config, self.registry, model, ami, bus.publish, clock=clock,
                                 crm=self.crm)
        self.cache = cache or ModelCache()
        self.worker = TranscriptionWorker(config, self.registry, self.cache, clock=clock,
                                          on_call_done=self._transcript_ref)
        # username or agent id -> extension (what the call model calls the agent)
        self.agents = dict(agents or {})
        self._own_sql = own_sql
        bus.subscribe(self.recorder.on_event, *WATCHED)
        bus.subscribe(self._stored, RecordingStored)

    @classmethod
    def for_engine(cls, engine: Any) -> RecordingsService:
        settings = engine.settings
        config = load_config(settings.source, settings.recordings_dir)
        agents: dict[str, str] = {}
        for a in settings.agents:
            agents[a.id] = a.extension
            agents[a.extension] = a.extension
        return cls(config, make_engine(settings.database_url), engine.model,
                   engine._primary_ami, engine.bus, agents=agents, clock=engine.clock,
                   own_sql=True)

    def agent_of(self, username: str) -> str:
        return self.agents.get(username, username)

    def _stored(self, event: RecordingStored) -> None:
        if self.config.transcribe:
            self.worker.on_stored(event)

    def _transcript_ref(self, call_id: str) -> None:
        self.crm.update_interaction(call_id, transcript_ref=f"recordings:{call_id}")

    async def pause(self, call_id: str, reason: str = "agent") -> None:
        """For the agent desktop: mute the call's recording (card numbers and the like)."""
        await self.recorder.pause(call_id, reason)

    async def resume(self, call_id: str) -> None:
        await self.recorder.resume(call_id)

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.recorder.run(), name="recorder")
                if self.config.transcribe and self.config.models:
                    group.create_task(self.worker.run(), name="transcriber")
                if self.config.retention.default_days or self.config.retention.per_service:
                    group.create_task(run_retention(self.config, self.registry, self.clock),
                                      name="retention")
        finally:
            if self._own_sql:
                self.sql.dispose()

