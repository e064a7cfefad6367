"""Interactions: one row per call, written idempotently by call id."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, func, select, update

from crm.model.interaction import INTERACTION_FIELDS, InteractionRecord, UnknownInteractionField
from crm.repository.dialect import insert_for
from crm.schema import interaction_tickets, interactions

_COLUMNS = sorted(INTERACTION_FIELDS)


class InteractionRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, record: InteractionRecord, caller_key: str | None) -> bool:
        """Insert the call unless it is already complete; True if this call wrote it.

        A stub row left by an early ``update`` is completed, keeping the late fields it has.
        """
        values = {k: v for k, v in asdict(record).items() if k != "ticket_ids"}
        values.update(complete=True, caller_key=caller_key)
        stmt = insert_for(self._conn, interactions).values(**values)
        table = interactions
        fill = {c: func.coalesce(table.c[c], stmt.excluded[c]) for c in [*_COLUMNS, "caller_key"]}
        fill["complete"] = True
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.call_id], set_=fill, where=table.c.complete.is_(False)
        )
        # RETURNING rather than rowcount: drivers disagree on rowcount for upserts.
        written = self._conn.execute(stmt.returning(table.c.call_id)).first() is not None
        if written:
            self.link_tickets(record.call_id, record.ticket_ids)
        return written

    def update(self, call_id: str, fields: dict[str, Any]) -> bool:
        """Set ``fields`` on the call; True if it existed, else a stub row holds them."""
        unknown = set(fields) - INTERACTION_FIELDS
        if unknown:
            raise UnknownInteractionField(call_id, unknown)
        if not fields:
            return self.get(call_id) is not None
        result = self._conn.execute(
            update(interactions).where(interactions.c.call_id == call_id).values(**fields)
        )
        if result.rowcount:
            return True
        stmt = insert_for(self._conn, interactions).values(
            call_id=call_id, complete=False, **fields
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[interactions.c.call_id], set_={k: stmt.excluded[k] for k in fields}
        )
        self._conn.execute(stmt)
        return False

    def current(self, call_id: str, names: Any) -> dict[str, Any]:
        """The stored values of the columns ``names`` ({} if the call has no row)."""
        columns = [interactions.c[n] for n in sorted(names) if n in INTERACTION_FIELDS]
        if not columns:
            return {}
        row = (
            self._conn.execute(select(*columns).where(interactions.c.call_id == call_id))
            .mappings()
            .first()
        )
        return dict(row) if row is not None else {}

    def set_caller_key(self, call_id: str, caller_key: str | None) -> None:
        self._conn.execute(
            update(interactions)
            .where(interactions.c.call_id == call_id)
            .values(caller_key=caller_key)
        )

    def ensure(self, call_id: str) -> None:
        stmt = insert_for(self._conn, interactions).values(call_id=call_id, complete=False)
        self._conn.execute(stmt.on_conflict_do_nothing())

    def link_tickets(self, call_id: str, ticket_ids: tuple[int, ...] | list[int]) -> None:
        for ticket_id in ticket_ids:
            stmt = insert_for(self._conn, interaction_tickets).values(
                call_id=call_id, ticket_id=ticket_id
            )
            self._conn.execute(stmt.on_conflict_do_nothing())

    def get(self, call_id: str) -> InteractionRecord | None:
        row = (
            self._conn.execute(select(interactions).where(interactions.c.call_id == call_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        ticket_ids = tuple(
            self._conn.execute(
                select(interaction_tickets.c.ticket_id)
                .where(interaction_tickets.c.call_id == call_id)
                .order_by(interaction_tickets.c.ticket_id)
            ).scalars()
        )
        return to_record(row, ticket_ids)

    def count(self) -> int:
        return self._conn.execute(select(func.count()).select_from(interactions)).scalar_one()

    def for_customer(self, customer_id: int, limit: int = 20) -> list[InteractionRecord]:
        rows = self._conn.execute(
            select(interactions)
            .where(interactions.c.customer_id == customer_id)
            .order_by(interactions.c.started_at.desc())
            .limit(limit)
        ).mappings()
        return [to_record(row, ()) for row in rows]


def to_record(row: Any, ticket_ids: tuple[int, ...]) -> InteractionRecord:
    defaults = InteractionRecord(call_id="", started_at=row["started_at"] or _epoch())
    values: dict[str, Any] = {}
    for name in _COLUMNS:
        value = row[name]
        values[name] = getattr(defaults, name) if value is None else value
    return InteractionRecord(call_id=row["call_id"], ticket_ids=ticket_ids, **values)


def _epoch() -> Any:
    from datetime import UTC, datetime

    return datetime(1970, 1, 1, tzinfo=UTC)
