"""Call reports from the interactions table: by hour, by day, by service or end reason."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, case, func, select

from crm.reports.export import Row
from crm.schema import interactions

CALL_GROUPS = ("service", "end_reason", "queue", "direction", "disposition")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def zone(name: str | None) -> tzinfo:
    """A time zone by IANA name (Asia/Shanghai) or fixed offset (+08:00); UTC if None."""
    if not name:
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _window(since: datetime, until: datetime) -> list[Any]:
    return [interactions.c.started_at >= since, interactions.c.started_at < until]


def calls_by_hour(conn: Connection, since: datetime, until: datetime) -> list[Row]:
    # Bucketed here, not in SQL: hour extraction differs between SQLite and PostgreSQL.
    starts = conn.execute(select(interactions.c.started_at).where(*_window(since, until)))
    counts = Counter(s.replace(minute=0, second=0, microsecond=0) for (s,) in starts)
    return [{"hour": h, "calls": n} for h, n in sorted(counts.items())]


def calls_by_day(conn: Connection, since: datetime, until: datetime, tz: tzinfo = UTC) -> list[Row]:
    """Calls per calendar day in ``tz`` (a call centre's day is local, not UTC): how many,
    how many an agent answered, mean wait of all and mean talk of the answered, in seconds."""
    rows = conn.execute(
        select(
            interactions.c.started_at,
            interactions.c.agent_answered,
            interactions.c.wait_seconds,
            interactions.c.talk_seconds,
        ).where(*_window(since, until))
    )
    days: dict[str, list[float]] = {}
    for started, agent, wait, talk in rows:
        day = started.astimezone(tz).date().isoformat()
        figures = days.setdefault(day, [0, 0, 0.0, 0.0])
        figures[0] += 1
        figures[2] += wait or 0.0
        if agent is not None:
            figures[1] += 1
            figures[3] += talk or 0.0
    return [
        {"day": day, **_shape(calls, answered, wait, talk)}
        for day, (calls, answered, wait, talk) in sorted(days.items())
    ]


def calls_by(conn: Connection, field: str, since: datetime, until: datetime) -> list[Row]:
    """Calls grouped by service, end reason, queue, direction or disposition."""
    if field not in CALL_GROUPS:
        raise ValueError(f"calls can be grouped by {list(CALL_GROUPS)}, not {field!r}")
    column = interactions.c[field]
    answered = interactions.c.agent_answered.is_not(None)
    rows = conn.execute(
        select(
            column,
            func.count(),
            func.coalesce(func.sum(case((answered, 1), else_=0)), 0),
            func.coalesce(func.sum(interactions.c.wait_seconds), 0.0),
            func.coalesce(func.sum(case((answered, interactions.c.talk_seconds), else_=0.0)), 0.0),
        )
        .where(*_window(since, until))
        .group_by(column)
        .order_by(func.count().desc(), column)
    ).all()
    return [{field: r[0], **_shape(r[1], r[2], r[3], r[4])} for r in rows]


def _shape(calls: float, answered: float, wait: float, talk: float) -> Row:
    return {
        "calls": int(calls),
        "answered": int(answered),
        "mean_wait_seconds": round(wait / calls, 1) if calls else None,
        "mean_talk_seconds": round(talk / answered, 1) if answered else None,
    }


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
