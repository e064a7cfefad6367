"""Ticket reports: counts, SLA breaches, satisfaction, repair statistics, department roll-ups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from crm.model.rollup import preorder, roll_up
from crm.model.ticket import TicketCategory, TicketState
from crm.reports.export import Row
from crm.schema import departments, followups, ticket_history, tickets

TICKET_GROUPS = {"category", "state", "department_id", "priority"}
_DONE = (TicketState.RESOLVED.value, TicketState.CLOSED.value)


def _scope(
    department_ids: Iterable[int] | None, since: datetime | None, until: datetime | None
) -> list[Any]:
    filters: list[Any] = []
    if department_ids is not None:
        filters.append(tickets.c.department_id.in_(list(department_ids)))
    if since is not None:
        filters.append(tickets.c.created_at >= since)
    if until is not None:
        filters.append(tickets.c.created_at < until)
    return filters


def tickets_by(
    conn: Connection,
    field: str,
    *,
    department_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Row]:
    """Ticket counts grouped by ``field``; ``department_ids`` (a subtree) narrows them."""
    if field not in TICKET_GROUPS:
        raise ValueError(f"tickets can be grouped by {sorted(TICKET_GROUPS)}, not {field!r}")
    column = tickets.c[field]
    rows = conn.execute(
        select(column, func.count().label("tickets"))
        .where(*_scope(department_ids, since, until))
        .group_by(column)
        .order_by(column)
    ).all()
    return [{field: r[0], "tickets": r[1]} for r in rows]


def sla_breaches(
    conn: Connection, now: datetime, *, department_ids: Iterable[int] | None = None
) -> list[Row]:
    late = or_(
        and_(tickets.c.resolved_at.is_(None), tickets.c.due_at < now),
        tickets.c.resolved_at > tickets.c.due_at,
    )
    rows = conn.execute(
        select(
            tickets.c.id,
            tickets.c.category,
            tickets.c.state,
            tickets.c.department_id,
            tickets.c.due_at,
            tickets.c.resolved_at,
        )
        .where(late, *_scope(department_ids, None, None))
        .order_by(tickets.c.due_at)
    ).mappings()
    return [dict(r) for r in rows]


def followup_satisfaction(conn: Connection) -> list[Row]:
    rows = conn.execute(
        select(followups.c.satisfaction, func.count().label("followups"))
        .where(followups.c.satisfaction.is_not(None))
        .group_by(followups.c.satisfaction)
        .order_by(followups.c.satisfaction)
    ).all()
    return [{"satisfaction": r[0], "followups": r[1]} for r in rows]


def _tree(conn: Connection) -> tuple[dict[int, int | None], dict[int, Any]]:
    rows = conn.execute(select(departments).order_by(departments.c.id)).mappings().all()
    return {r["id"]: r["parent_id"] for r in rows}, {r["id"]: r for r in rows}


def _department_rows(
    conn: Connection,
    own: dict[int | None, dict[str, float]],
    root: int | None,
    shape: Any,
) -> list[Row]:
    """One row per department in tree order, its figures summed over its subtree; tickets
    with no department make a last row of their own."""
    parents, info = _tree(conn)
    if root is not None and root not in parents:
        raise LookupError(f"department {root}: no such department")
    totals = roll_up(parents, own)
    out = []
    for department, depth in preorder(parents, root):
        d = info[department]
        head = {"department_id": department, "code": d["code"], "name": d["name"], "depth": depth}
        out.append({**head, **shape(totals[department], own.get(department, {}))})
    if root is None and None in own:
        head = {"department_id": None, "code": None, "name": "(no department)", "depth": 0}
        out.append({**head, **shape(own[None], own[None])})
    return out


def repair_stats(
    conn: Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    root: int | None = None,
) -> list[Row]:
    """Repair tickets opened in [since, until) by department, each rolled up over its
    subtree: how many, how many resolved, the mean hours from opening to (final)
    resolution, and the first-time-fix rate: of the tickets resolved at least once, the
    share never reopened."""
    repairs = conn.execute(
        select(tickets.c.id, tickets.c.department_id, tickets.c.created_at, tickets.c.resolved_at)
        .where(tickets.c.category == TicketCategory.REPAIR.value, *_scope(None, since, until))
        .order_by(tickets.c.id)
    ).all()
    events: dict[int, set[str]] = {}
    ids = [r.id for r in repairs]
    for start in range(0, len(ids), 500):
        for ticket_id, event in conn.execute(
            select(ticket_history.c.ticket_id, ticket_history.c.event)
            .where(
                ticket_history.c.ticket_id.in_(ids[start : start + 500]),
                ticket_history.c.event.in_(("resolved", "reopened")),
            )
            .distinct()
        ):
            events.setdefault(ticket_id, set()).add(event)
    own: dict[int | None, dict[str, float]] = {}
    for r in repairs:
        figures = own.setdefault(r.department_id, {})
        seen = events.get(r.id, set())
        tried = "resolved" in seen
        add = {
            "tickets": 1,
            "resolved": r.resolved_at is not None,
            "resolve_seconds": (r.resolved_at - r.created_at).total_seconds()
            if r.resolved_at is not None
            else 0.0,
            "fix_attempts": tried,
            "first_time_fixes": tried and "reopened" not in seen,
        }
        for name, value in add.items():
            figures[name] = figures.get(name, 0) + float(value)
    return _department_rows(conn, own, root, _repair_shape)


def _repair_shape(total: dict[str, float], own: dict[str, float]) -> Row:
    resolved, attempts = total.get("resolved", 0), total.get("fix_attempts", 0)
    return {
        "tickets": int(total.get("tickets", 0)),
        "own_tickets": int(own.get("tickets", 0)),
        "resolved": int(resolved),
        "mean_hours_to_resolve": round(total["resolve_seconds"] / resolved / 3600, 2)
        if resolved
        else None,
        "first_time_fix_rate": round(total["first_time_fixes"] / attempts, 3) if attempts else None,
    }


def tickets_rollup(
    conn: Connection,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    root: int | None = None,
) -> list[Row]:
    """Every department with the tickets of its whole subtree: all, open, resolved or
    closed, and in breach of their due time (open past it, or resolved after it)."""
    late = or_(
        and_(tickets.c.resolved_at.is_(None), tickets.c.due_at < now),
        tickets.c.resolved_at > tickets.c.due_at,
    )
    rows = conn.execute(
        select(
            tickets.c.department_id,
            func.count().label("tickets"),
            _count_if(tickets.c.state.notin_(_DONE)).label("open"),
            _count_if(tickets.c.state.in_(_DONE)).label("resolved"),
            _count_if(late).label("breached"),
        )
        .where(*_scope(None, since, until))
        .group_by(tickets.c.department_id)
    ).mappings()
    own: dict[int | None, dict[str, float]] = {
        r["department_id"]: {k: r[k] for k in ("tickets", "open", "resolved", "breached")}
        for r in rows
    }
    return _department_rows(conn, own, root, _count_shape)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_shape(total: dict[str, float], own: dict[str, float]) -> Row:
    return {
        "tickets": int(total.get("tickets", 0)),
        "own_tickets": int(own.get("tickets", 0)),
        "open": int(total.get("open", 0)),
        "resolved": int(total.get("resolved", 0)),
        "breached": int(total.get("breached", 0)),
    }
