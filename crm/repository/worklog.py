"""Work-log entries of tickets."""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from crm.model.worklog import WorkLogEntry
from crm.schema import ticket_work_log as log


class WorkLogRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, entry: WorkLogEntry) -> int:
        entry.id = self._conn.execute(
            insert(log)
            .values(
                ticket_id=entry.ticket_id,
                at=entry.at,
                actor=entry.actor,
                minutes=entry.minutes,
                note=entry.note,
            )
            .returning(log.c.id)
        ).scalar_one()
        return entry.id

    def for_ticket(self, ticket_id: int) -> list[WorkLogEntry]:
        rows = self._conn.execute(
            select(log).where(log.c.ticket_id == ticket_id).order_by(log.c.id)
        ).mappings()
        return [
            WorkLogEntry(
                id=r["id"],
                ticket_id=r["ticket_id"],
                at=r["at"],
                actor=r["actor"],
                minutes=r["minutes"],
                note=r["note"],
            )
            for r in rows
        ]

    def total_minutes(self, ticket_id: int) -> int:
        return int(
            self._conn.execute(
                select(func.coalesce(func.sum(log.c.minutes), 0)).where(
                    log.c.ticket_id == ticket_id
                )
            ).scalar_one()
        )
