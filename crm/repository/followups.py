"""Follow-up tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from crm.model.followup import FollowUp, FollowUpState
from crm.schema import followups


class FollowUpRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, followup: FollowUp) -> int:
        followup.id = self._conn.execute(
            insert(followups).values(**_row(followup)).returning(followups.c.id)
        ).scalar_one()
        return followup.id

    def save(self, followup: FollowUp) -> None:
        self._conn.execute(
            update(followups).where(followups.c.id == followup.id).values(**_row(followup))
        )

    def get(self, followup_id: int) -> FollowUp | None:
        row = (
            self._conn.execute(select(followups).where(followups.c.id == followup_id))
            .mappings()
            .first()
        )
        return None if row is None else _followup(row)

    def find(
        self, *, ticket_id: int | None = None, pending_only: bool = False, limit: int = 500
    ) -> list[FollowUp]:
        filters: list[Any] = []
        if ticket_id is not None:
            filters.append(followups.c.ticket_id == ticket_id)
        if pending_only:
            filters.append(followups.c.state == FollowUpState.PENDING.value)
        rows = self._conn.execute(
            select(followups).where(*filters).order_by(followups.c.id).limit(limit)
        ).mappings()
        return [_followup(r) for r in rows]

    def for_tickets(self, ticket_ids: list[int], limit: int = 500) -> list[FollowUp]:
        """Follow-ups of these tickets (a customer's), newest first."""
        if not ticket_ids:
            return []
        rows = self._conn.execute(
            select(followups)
            .where(followups.c.ticket_id.in_(ticket_ids))
            .order_by(followups.c.id.desc())
            .limit(limit)
        ).mappings()
        return [_followup(r) for r in rows]


def _row(f: FollowUp) -> dict[str, Any]:
    return {
        "ticket_id": f.ticket_id,
        "state": f.state.value,
        "due_at": f.due_at,
        "created_at": f.created_at,
        "done_at": f.done_at,
        "satisfaction": f.satisfaction,
        "comment": f.comment,
        "done_by": f.done_by,
        "attitude": f.attitude,
        "timeliness": f.timeliness,
        "result_score": f.result_score,
    }


def _followup(r: Any) -> FollowUp:
    return FollowUp(
        id=r["id"],
        ticket_id=r["ticket_id"],
        state=FollowUpState(r["state"]),
        due_at=r["due_at"],
        created_at=r["created_at"],
        done_at=r["done_at"],
        satisfaction=r["satisfaction"],
        comment=r["comment"],
        done_by=r["done_by"],
        attitude=r["attitude"],
        timeliness=r["timeliness"],
        result_score=r["result_score"],
    )
