"""Nothing lost: the database goes away, the engine restarts, a call is replayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm.db import create_schema, make_engine
from crm.store import InteractionStore
from cti import events as ev
from cti.ami.session import backoff
from cti.crm_sink import CrmSink
from cti.interactions import InteractionWriter
from cti.journal import Journal
from tests.integration.enginekit import until


def ended(i: int) -> ev.CallEnded:
    return ev.CallEnded(
        f"1795.{i}",
        1795499000.0 + i,
        "completed",
        "16",
        "1001",
        (("new", 1795499000.0), ("connected", 1795499001.0)),
        summary={
            "caller_number": "+86 138 0013 8000",
            "caller_name": "张三",
            "started_at": 1795499000.0,
            "ended_at": 1795499000.0 + i,
            "service": "billing",
            "talk_seconds": 12.5,
        },
    )


class FlakyDatabase:
    """The real CRM store behind a switch that makes it fail like a dropped database."""

    def __init__(self, sink: CrmSink) -> None:
        self.sink = sink
        self.down = True
        self.attempts = 0

    def record(self, record: dict[str, Any]) -> bool:
        self.attempts += 1
        if self.down:
            raise ConnectionError("database unreachable")
        return self.sink.record(record)


async def test_database_outage_then_engine_restart_loses_nothing(tmp_path: Path) -> None:
    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    create_schema(sql)
    store = InteractionStore(sql)
    db = FlakyDatabase(CrmSink(store))
    journal = Journal(tmp_path / "journal.jsonl")
    writer = InteractionWriter(db, journal, backoff_factory=lambda: backoff(0.01, 2, 0.05))
    task = asyncio.create_task(writer.run())
    try:
        for i in range(10):
            writer.on_call_ended(ended(i))
        await until(lambda: db.attempts >= 3, 5, "retries while the database is down")
        assert journal.depth == 10 and writer.written == 0
    finally:
        task.cancel()  # the engine dies with everything still unwritten
        await asyncio.gather(task, return_exceptions=True)
        journal.close()

    # Restart: a new writer finds the journal and replays it once the database is back.
    journal = Journal(tmp_path / "journal.jsonl")
    db.down = False
    writer = InteractionWriter(db, journal)
    task = asyncio.create_task(writer.run())
    try:
        writer.on_call_ended(ended(3))  # the same call reported again after the restart
        assert await writer.drain(timeout=10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        journal.close()
    assert store.count_interactions() == 10
    assert writer.written == 10 and writer.duplicates == 1
    row = store.get_interaction("1795.3")
    assert row is not None and row.caller_name == "张三" and row.talk_seconds == 12.5
    assert row.started_at == datetime.fromtimestamp(1795499000.0, UTC).replace(
        tzinfo=row.started_at.tzinfo
    )
    assert (tmp_path / "journal.jsonl").stat().st_size == 0
    sql.dispose()
