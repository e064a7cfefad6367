"""The ticket-work pages' lists, paged on the server (offset + one extra row to know
whether a next page exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from crm.model.followup import FollowUp, FollowUpState
from crm.model.ticket import OPEN_STATES, Ticket, TicketState
from crm.repository.followups import _followup
from crm.repository.tickets import _ticket
from crm.schema import followups, interaction_tickets, interactions, ticket_history, tickets

PAGE = 50


@dataclass
class Page:
    rows: list[Any]
    page: int
    more: bool


def _paged(conn: Connection, query: Any, page: int, convert: Any) -> Page:
    page = max(page, 1)
    rows = list(conn.execute(query.limit(PAGE + 1).offset((page - 1) * PAGE)).mappings())
    return Page([convert(r) for r in rows[:PAGE]], page, len(rows) > PAGE)


def _open() -> Any:
    return tickets.c.state.in_([s.value for s in OPEN_STATES])


def queue(
    conn: Connection,
    *,
    department_ids: list[int] | None,
    state: TicketState | None = None,
    text: str = "",
    overdue_at: datetime | None = None,
    page: int = 1,
) -> Page:
    """A department's work orders (None: every department), most urgent due first."""
    filters: list[Any] = [tickets.c.state == state.value] if state else [_open()]
    if department_ids is not None:
        filters.append(tickets.c.department_id.in_(department_ids))
    if text:
        filters.append(tickets.c.title.contains(text, autoescape=True))
    if overdue_at is not None:
        filters.append(tickets.c.due_at < overdue_at)
    query = select(tickets).where(*filters).order_by(tickets.c.due_at, tickets.c.id)
    return _paged(conn, query, page, _ticket)


def unassigned(conn: Connection, *, page: int = 1) -> Page:
    query = (
        select(tickets)
        .where(tickets.c.state.in_([TicketState.NEW.value, TicketState.REOPENED.value]))
        .order_by(tickets.c.due_at, tickets.c.id)
    )
    return _paged(conn, query, page, _ticket)


def overdue(conn: Connection, now: datetime, *, page: int = 1) -> Page:
    query = (
        select(tickets)
        .where(_open(), tickets.c.due_at < now)
        .order_by(tickets.c.due_at, tickets.c.id)
    )
    return _paged(conn, query, page, _ticket)


def _opened_by(username: str) -> Any:
    return select(ticket_history.c.ticket_id).where(
        ticket_history.c.event == "opened", ticket_history.c.actor == username
    )


def mine(conn: Connection, username: str, *, page: int = 1) -> Page:
    """An agent's tickets: those they opened or that are assigned to them."""
    query = (
        select(tickets)
        .where(or_(tickets.c.assignee == username, tickets.c.id.in_(_opened_by(username))))
        .order_by(tickets.c.id.desc())
    )
    return _paged(conn, query, page, _ticket)


def my_followups(conn: Connection, username: str, *, page: int = 1) -> Page:
    """Follow-ups of the tickets an agent opened."""
    query = (
        select(followups)
        .where(followups.c.ticket_id.in_(_opened_by(username)))
        .order_by(followups.c.id.desc())
    )
    return _paged(conn, query, page, _followup)


def due_followups(conn: Connection, *, page: int = 1) -> list[tuple[FollowUp, Ticket]]:
    query = (
        select(followups, *[c.label(f"t_{c.name}") for c in tickets.c])
        .join(tickets, tickets.c.id == followups.c.ticket_id)
        .where(followups.c.state == FollowUpState.PENDING.value)
        .order_by(followups.c.due_at, followups.c.id)
        .limit(PAGE)
        .offset((max(page, 1) - 1) * PAGE)
    )
    out = []
    for r in conn.execute(query).mappings():
        t = {k[2:]: v for k, v in r.items() if k.startswith("t_")}
        out.append((_followup(r), _ticket(t)))
    return out


def linked_calls(conn: Connection, ticket_id: int) -> list[dict[str, Any]]:
    query = (
        select(
            interactions.c.call_id,
            interactions.c.started_at,
            interactions.c.direction,
            interactions.c.caller_number,
            interactions.c.agent_answered,
            interactions.c.talk_seconds,
        )
        .join(interaction_tickets, interaction_tickets.c.call_id == interactions.c.call_id)
        .where(interaction_tickets.c.ticket_id == ticket_id)
        .order_by(interactions.c.started_at)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def affected_callers(
    conn: Connection, areas: list[str], since: datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """Calls since an incident began from customers in its areas (an area covers its
    sub-areas: ``北京/朝阳区`` covers ``北京/朝阳区/望京``)."""
    from crm.schema import customers

    if not areas:
        return []
    covered = or_(
        *[
            or_(customers.c.area == a, customers.c.area.startswith(a + "/", autoescape=True))
            for a in areas
        ]
    )
    query = (
        select(
            interactions.c.call_id,
            interactions.c.started_at,
            interactions.c.caller_number,
            customers.c.id.label("customer_id"),
            customers.c.name,
            customers.c.area,
        )
        .join(customers, customers.c.id == interactions.c.customer_id)
        .where(covered, interactions.c.started_at >= since)
        .order_by(interactions.c.started_at.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
