"""The scheduled deletion of expired recordings, each deletion audited.

A legal hold is checked again inside the deleting transaction, so a hold placed while
the job runs still wins.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from crm.uow import UnitOfWork
from recordings.config import RecordingsConfig
from recordings.names import UnsafeName, resolve
from recordings.registry import Registry
from recordings.retention import Candidate, due
from recordings.schema import rec_calls, rec_segments

log = logging.getLogger(__name__)
ACTOR = "system:retention"


def sweep(config: RecordingsConfig, registry: Registry, now: float) -> list[str]:
    """Blocking: delete what the policy says is due; the call ids deleted."""
    with registry.sql.connect() as conn:
        rows = conn.execute(select(rec_calls.c.call_id, rec_calls.c.service,
                                   rec_calls.c.ended_at, rec_calls.c.legal_hold)
                            .where(rec_calls.c.deleted_at.is_(None),
                                   rec_calls.c.ended_at.is_not(None)))
        candidates = [Candidate(r.call_id, r.service, r.ended_at, r.legal_hold) for r in rows]
    deleted = []
    for call_id in due(config.retention, candidates, now):
        if delete_call(config, registry, call_id, now, reason="retention"):
            deleted.append(call_id)
    return deleted


def delete_call(config: RecordingsConfig, registry: Registry, call_id: str, now: float, *,
                reason: str, actor: str = ACTOR) -> bool:
    with registry.write() as conn:
        call = conn.execute(select(rec_calls).where(rec_calls.c.call_id == call_id)).first()
        if call is None or call.legal_hold or call.deleted_at is not None:
            return False
        segs = conn.execute(select(rec_segments).where(rec_segments.c.call_id == call_id)).all()
        removed = []
        for seg in segs:
            try:
                path = resolve(Path(config.directory), seg.name)
            except UnsafeName:
                continue
            path.unlink(missing_ok=True)
            removed.append({"name": seg.name, "sha256": seg.sha256, "size": seg.size})
        conn.execute(update(rec_segments).where(rec_segments.c.call_id == call_id)
                     .values(status="deleted"))
        conn.execute(update(rec_calls).where(rec_calls.c.call_id == call_id)
                     .values(deleted_at=now, transcript_text=None))
    # The files are gone: the audit row must not be lost with a failed commit of its own,
    # so it is written right after (and a failure here is loud).
    with UnitOfWork(registry.sql) as uow:
        uow.audit(actor, "recording.delete", "interaction", call_id,
                  {"reason": reason, "service": call.service, "files": removed})
        uow.commit()
    log.info("recordings deleted", extra={"call_id": call_id, "reason": reason})
    return True


def set_legal_hold(registry: Registry, call_id: str, hold: bool, actor: str) -> None:
    registry.update_call(call_id, legal_hold=hold)
    with UnitOfWork(registry.sql) as uow:
        uow.audit(actor, "recording.legal_hold", "interaction", call_id, {"hold": hold})
        uow.commit()


async def run_retention(config: RecordingsConfig, registry: Registry,
                        clock: Callable[[], float] = time.time) -> None:
    while True:
        try:
            deleted = await asyncio.to_thread(sweep, config, registry, clock())
            if deleted:
                log.info("retention sweep", extra={"deleted": len(deleted)})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention sweep failed; next one at the usual interval")
        await asyncio.sleep(config.retention_interval)
