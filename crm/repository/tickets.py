"""Tickets and their history: every recorded event becomes one history row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from crm.model.ticket import (
    Ticket,
    TicketCategory,
    TicketError,
    TicketEvent,
    TicketPriority,
    TicketState,
)
from crm.schema import ticket_history, tickets


class StaleTicket(TicketError):
    def __init__(self, ticket_id: int | None) -> None:
        super().__init__(ticket_id, "changed by someone else meanwhile; reload and retry")


class TicketRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, ticket: Ticket) -> int:
        ticket.id = self._conn.execute(
            insert(tickets)
            .values(**_row(ticket), created_at=ticket.opened_at)
            .returning(tickets.c.id)
        ).scalar_one()
        self._flush_events(ticket)
        return ticket.id

    def save(self, ticket: Ticket) -> None:
        """Write the ticket if nobody else changed it since it was read (version check)."""
        result = self._conn.execute(
            update(tickets)
            .where(tickets.c.id == ticket.id, tickets.c.version == ticket.version)
            .values(**_row(ticket), version=ticket.version + 1)
        )
        if result.rowcount != 1:
            raise StaleTicket(ticket.id)
        ticket.version += 1
        self._flush_events(ticket)

    def _flush_events(self, ticket: Ticket) -> None:
        if ticket.events:
            self._conn.execute(
                insert(ticket_history),
                [_history_row(ticket.id, e) for e in ticket.events],
            )
        ticket.events.clear()

    def get(self, ticket_id: int) -> Ticket | None:
        row = (
            self._conn.execute(select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        )
        return None if row is None else _ticket(row)

    def find(
        self,
        *,
        state: TicketState | None = None,
        customer_id: int | None = None,
        department_ids: list[int] | None = None,
        incident_id: int | None = None,
        open_only: bool = False,
        limit: int = 200,
    ) -> list[Ticket]:
        filters: list[Any] = []
        if state is not None:
            filters.append(tickets.c.state == state.value)
        if open_only:
            filters.append(tickets.c.state.notin_([TicketState.RESOLVED, TicketState.CLOSED]))
        if customer_id is not None:
            filters.append(tickets.c.customer_id == customer_id)
        if department_ids is not None:
            filters.append(tickets.c.department_id.in_(department_ids))
        if incident_id is not None:
            filters.append(tickets.c.incident_id == incident_id)
        rows = self._conn.execute(
            select(tickets).where(*filters).order_by(tickets.c.id).limit(limit)
        ).mappings()
        return [_ticket(r) for r in rows]

    def history(self, ticket_id: int) -> list[TicketEvent]:
        rows = self._conn.execute(
            select(ticket_history)
            .where(ticket_history.c.ticket_id == ticket_id)
            .order_by(ticket_history.c.id)
        ).mappings()
        return [
            TicketEvent(
                name=r["event"],
                ticket_id=r["ticket_id"],
                at=r["at"],
                actor=r["actor"],
                from_state=TicketState(r["from_state"]) if r["from_state"] else None,
                to_state=TicketState(r["to_state"]) if r["to_state"] else None,
                detail=r["detail"] or {},
            )
            for r in rows
        ]


def _row(t: Ticket) -> dict[str, Any]:
    return {
        "customer_id": t.customer_id,
        "category": t.category.value,
        "priority": int(t.priority),
        "state": t.state.value,
        "title": t.title,
        "description": t.description,
        "department_id": t.department_id,
        "assignee": t.assignee,
        "incident_id": t.incident_id,
        "suspend_reason": t.suspend_reason,
        "resolution": t.resolution,
        "due_at": t.due,
        "updated_at": t.updated_at,
        "resolved_at": t.resolved_at,
        "closed_at": t.closed_at,
    }


def _history_row(ticket_id: int | None, e: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "at": e.at,
        "actor": e.actor,
        "event": e.name,
        "from_state": e.from_state.value if e.from_state else None,
        "to_state": e.to_state.value if e.to_state else None,
        "detail": e.detail or None,
    }


def _ticket(r: Any) -> Ticket:
    return Ticket(
        id=r["id"],
        title=r["title"],
        category=TicketCategory(r["category"]),
        opened_at=r["created_at"],
        priority=TicketPriority(r["priority"]),
        description=r["description"],
        customer_id=r["customer_id"],
        state=TicketState(r["state"]),
        department_id=r["department_id"],
        assignee=r["assignee"],
        incident_id=r["incident_id"],
        suspend_reason=r["suspend_reason"],
        resolution=r["resolution"],
        due=r["due_at"],
        updated_at=r["updated_at"],
        resolved_at=r["resolved_at"],
        closed_at=r["closed_at"],
        version=r["version"],
    )
