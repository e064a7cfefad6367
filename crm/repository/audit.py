"""The audit log: append-only, queried by actor, object and time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from crm.model.audit import AuditEntry
from crm.schema import audit_log


class AuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, entry: AuditEntry) -> None:
        self.add_many([entry])

    def add_many(self, entries: list[AuditEntry]) -> None:
        if entries:
            self._conn.execute(
                insert(audit_log),
                [
                    {
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "object_type": e.object_type,
                        "object_id": e.object_id,
                        "detail": e.detail,
                    }
                    for e in entries
                ],
            )

    def query(
        self,
        *,
        actor: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[AuditEntry]:
        stmt = select(audit_log)
        filters: list[Any] = []
        if actor is not None:
            filters.append(audit_log.c.actor == actor)
        if object_type is not None:
            filters.append(audit_log.c.object_type == object_type)
        if object_id is not None:
            filters.append(audit_log.c.object_id == object_id)
        if action is not None:
            filters.append(audit_log.c.action == action)
        if since is not None:
            filters.append(audit_log.c.at >= since)
        if until is not None:
            filters.append(audit_log.c.at < until)
        rows = self._conn.execute(
            stmt.where(*filters)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).mappings()
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                object_type=r["object_type"],
                object_id=r["object_id"],
                detail=r["detail"],
            )
            for r in rows
        ]
