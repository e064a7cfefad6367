"""Every ended call becomes exactly one interaction row.

The bus hands ``CallEnded`` to :meth:`InteractionWriter.on_call_ended`, which journals
it synchronously (so a crash right after cannot lose it) and queues it. The writer task
drains the queue into the CRM store, retrying with backoff while the database is away,
and acknowledges each record in the journal once it landed. The store's write is
idempotent by call id, so a replay never doubles a row.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from cti.ami.session import backoff
from cti.events import CallEnded
from cti.journal import Journal

log = logging.getLogger(__name__)


class InteractionSink(Protocol):
    def record(self, record: dict[str, Any]) -> bool:
        """Write one interaction; True if new, False if the call id was already there.
        Blocking (it is run in a thread); raises on database failure."""
        ...


def record_from_event(event: CallEnded) -> dict[str, Any]:
    record = dict(event.summary)
    record.update(
        call_id=event.call_id,
        end_reason=event.reason,
        hangup_cause=event.cause,
        answered_by=event.answered_by,
        timeline=[list(step) for step in event.timeline],
    )
    return record


class InteractionWriter:
    def __init__(
        self,
        sink: InteractionSink,
        journal: Journal,
        *,
        backoff_factory: Callable[[], Iterator[float]] = lambda: backoff(0.2, 2.0, 10.0),
    ) -> None:
        self._sink = sink
        self._journal = journal
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._backoff_factory = backoff_factory
        self.written = 0
        self.duplicates = 0
        self.failures = 0
        self.errors = 0
        self._idle = asyncio.Event()
        self._idle.set()
        for rid, rec in journal.pending():
            self._queue.put_nowait((rid, rec))
            self._idle.clear()

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def on_call_ended(self, event: CallEnded) -> None:
        record = record_from_event(event)
        self._journal.append(event.call_id, record)
        self._idle.clear()
        self._queue.put_nowait((event.call_id, record))

    async def run(self) -> None:
        while True:
            rid, record = await self._queue.get()
            try:
                await self._write_one(rid, record)
            except Exception:
                # A step outside the database retry (the journal's disk, a bug): the record
                # stays in the journal for the next start's replay; the writer goes on.
                self.errors += 1
                log.exception("interaction write step failed", extra={"call_id": rid})
            if self._queue.empty():
                self._idle.set()

    async def _write_one(self, rid: str, record: dict[str, Any]) -> None:
        await asyncio.to_thread(self._journal.sync)  # durable before the database sees it
        delays = self._backoff_factory()
        while True:
            try:
                new = await asyncio.to_thread(self._sink.record, record)
                break
            except Exception as exc:  # the database is away: keep the record, retry
                self.failures += 1
                delay = next(delays)
                log.warning(
                    "interaction write failed; will retry",
                    extra={"call_id": rid, "error": repr(exc), "retry_in": round(delay, 2)},
                )
                await asyncio.sleep(delay)
        if new:
            self.written += 1
        else:
            self.duplicates += 1
        self._journal.ack(rid)

    async def drain(self, timeout: float) -> bool:
        """Wait until everything queued has landed; False if it did not in time."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
