"""The administrator's site settings: categories, priorities, reasons, alarm limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from crm.model.settings import AlarmLimit, Category, Priority, Reason, ReasonKind
from crm.schema import alarm_thresholds, reason_codes, ticket_categories, ticket_priorities


class SettingsRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def categories(self) -> list[Category]:
        rows = self._conn.execute(select(ticket_categories).order_by(ticket_categories.c.code))
        return [Category(**r) for r in rows.mappings()]

    def category(self, code: str) -> Category | None:
        row = (
            self._conn.execute(select(ticket_categories).where(ticket_categories.c.code == code))
            .mappings()
            .first()
        )
        return None if row is None else Category(**row)

    def put_category(self, c: Category) -> None:
        self._put(ticket_categories, ticket_categories.c.code == c.code, vars(c))

    def priorities(self) -> list[Priority]:
        rows = self._conn.execute(select(ticket_priorities).order_by(ticket_priorities.c.level))
        return [Priority(**r) for r in rows.mappings()]

    def priority(self, level: int) -> Priority | None:
        row = (
            self._conn.execute(select(ticket_priorities).where(ticket_priorities.c.level == level))
            .mappings()
            .first()
        )
        return None if row is None else Priority(**row)

    def put_priority(self, p: Priority) -> None:
        self._put(ticket_priorities, ticket_priorities.c.level == p.level, vars(p))

    def reasons(self, kind: ReasonKind) -> list[Reason]:
        rows = self._conn.execute(
            select(reason_codes)
            .where(reason_codes.c.kind == kind.value)
            .order_by(reason_codes.c.position, reason_codes.c.code)
        ).mappings()
        return [Reason(**{**r, "kind": ReasonKind(r["kind"])}) for r in rows]

    def put_reason(self, r: Reason) -> None:
        where = (reason_codes.c.kind == r.kind.value) & (reason_codes.c.code == r.code)
        self._put(reason_codes, where, {**vars(r), "kind": r.kind.value})

    def alarm_limits(self) -> list[AlarmLimit]:
        rows = self._conn.execute(
            select(alarm_thresholds).order_by(alarm_thresholds.c.service, alarm_thresholds.c.metric)
        )
        return [AlarmLimit(**r) for r in rows.mappings()]

    def put_alarm_limit(self, a: AlarmLimit) -> None:
        where = (alarm_thresholds.c.service == a.service) & (alarm_thresholds.c.metric == a.metric)
        self._put(alarm_thresholds, where, vars(a))

    def drop_alarm_limit(self, service: str, metric: str) -> bool:
        done = self._conn.execute(
            delete(alarm_thresholds).where(
                alarm_thresholds.c.service == service, alarm_thresholds.c.metric == metric
            )
        )
        return done.rowcount == 1

    def _put(self, table: Any, where: Any, values: dict[str, Any]) -> None:
        if self._conn.execute(update(table).where(where).values(**values)).rowcount == 0:
            self._conn.execute(insert(table).values(**values))
