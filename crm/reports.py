"""Report queries (rows of plain dicts) and their CSV/XLSX export."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from crm.schema import followups, interactions, tickets

Row = dict[str, Any]
TICKET_GROUPS = {"category", "state", "department_id", "priority"}


def tickets_by(conn: Connection, field: str) -> list[Row]:
    if field not in TICKET_GROUPS:
        raise ValueError(f"tickets can be grouped by {sorted(TICKET_GROUPS)}, not {field!r}")
    column = tickets.c[field]
    rows = conn.execute(
        select(column, func.count().label("tickets")).group_by(column).order_by(column)
    ).all()
    return [{field: r[0], "tickets": r[1]} for r in rows]


def sla_breaches(conn: Connection, now: datetime) -> list[Row]:
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
        .where(late)
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


def calls_by_hour(conn: Connection, since: datetime, until: datetime) -> list[Row]:
    # Bucketed here, not in SQL: hour extraction differs between SQLite and PostgreSQL.
    starts = conn.execute(
        select(interactions.c.started_at).where(
            interactions.c.started_at >= since, interactions.c.started_at < until
        )
    ).scalars()
    counts = Counter(s.replace(minute=0, second=0, microsecond=0) for s in starts)
    return [{"hour": h, "calls": n} for h, n in sorted(counts.items())]


def repeat_callers(conn: Connection, now: datetime, min_calls: int = 3, days: int = 7) -> list[Row]:
    rows = conn.execute(
        select(interactions.c.customer_id, func.count().label("calls"))
        .where(
            interactions.c.customer_id.is_not(None),
            interactions.c.started_at >= now - timedelta(days=days),
        )
        .group_by(interactions.c.customer_id)
        .having(func.count() >= min_calls)
        .order_by(func.count().desc(), interactions.c.customer_id)
    ).all()
    return [{"customer_id": r[0], "calls": r[1]} for r in rows]


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
    return out.getvalue()


def to_xlsx(rows: list[Row], title: str = "report") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    if rows:
        sheet.append(list(rows[0]))
        for r in rows:
            sheet.append([_cell(v) for v in r.values()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
