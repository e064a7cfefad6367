"""Service level, handle-time trends, abandons, agent performance and incident statistics.

A call is *offered* to agents when an agent answered it or the caller abandoned it in the
queue (``end_reason = 'abandoned'``); IVR-only calls and callbacks taken are not offered.
Service level is the share of offered calls answered within the service's target wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from crm.reports.export import Row
from crm.schema import incident_areas, incidents, interactions, tickets

ABANDONED = "abandoned"
_answered = interactions.c.agent_answered.is_not(None)
_abandoned = and_(interactions.c.agent_answered.is_(None), interactions.c.end_reason == ABANDONED)


def _window(since: datetime, until: datetime) -> list[Any]:
    return [interactions.c.started_at >= since, interactions.c.started_at < until]


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _ratio(part: float, whole: float, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


def service_level(
    conn: Connection,
    since: datetime,
    until: datetime,
    targets: Mapping[str, float] | None = None,
    default_target: float = 20.0,
) -> list[Row]:
    """Per service: offered, answered, answered within the target wait, abandoned, the
    service level and the abandon rate. ``targets`` maps a service to its target seconds."""
    targets = targets or {}
    service = func.coalesce(interactions.c.service, "")
    rows = conn.execute(
        select(
            service,
            interactions.c.wait_seconds,
            _answered.label("answered"),
        )
        .where(*_window(since, until), or_(_answered, _abandoned))
        .order_by(service)
    ).all()
    figures: dict[str, list[int]] = {}
    for name, wait, answered in rows:
        f = figures.setdefault(name, [0, 0, 0, 0])
        f[0] += 1
        if answered:
            f[1] += 1
            if (wait or 0.0) <= targets.get(name, default_target):
                f[2] += 1
        else:
            f[3] += 1
    return [
        {
            "service": name or None,
            "target_seconds": targets.get(name, default_target),
            "offered": offered,
            "answered": answered,
            "answered_in_target": in_target,
            "abandoned": abandoned,
            "service_level": _ratio(in_target, offered),
            "abandon_rate": _ratio(abandoned, offered),
        }
        for name, (offered, answered, in_target, abandoned) in sorted(figures.items())
    ]


def _local_day(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).date().isoformat()


def handle_times_by_day(
    conn: Connection, since: datetime, until: datetime, tz: tzinfo = UTC
) -> list[Row]:
    """Per local day, over the answered calls: ASA (mean wait before an agent answered) and
    AHT (mean talk + hold + wrap-up), in seconds."""
    rows = conn.execute(
        select(
            interactions.c.started_at,
            interactions.c.wait_seconds,
            interactions.c.talk_seconds,
            interactions.c.hold_seconds,
            interactions.c.wrapup_seconds,
        ).where(*_window(since, until), _answered)
    )
    days: dict[str, list[float]] = {}
    for started, wait, talk, hold, wrap in rows:
        f = days.setdefault(_local_day(started, tz), [0, 0.0, 0.0])
        f[0] += 1
        f[1] += wait or 0.0
        f[2] += (talk or 0.0) + (hold or 0.0) + (wrap or 0.0)
    return [
        {
            "day": day,
            "answered": int(n),
            "asa_seconds": round(wait / n, 1),
            "aht_seconds": round(handle / n, 1),
        }
        for day, (n, wait, handle) in sorted(days.items())
    ]


def abandons_by_day(
    conn: Connection, since: datetime, until: datetime, tz: tzinfo = UTC
) -> list[Row]:
    """Per local day: offered, abandoned, the abandon rate and the mean wait before hanging up."""
    rows = conn.execute(
        select(
            interactions.c.started_at,
            interactions.c.wait_seconds,
            _abandoned.label("abandoned"),
        ).where(*_window(since, until), or_(_answered, _abandoned))
    )
    days: dict[str, list[float]] = {}
    for started, wait, abandoned in rows:
        f = days.setdefault(_local_day(started, tz), [0, 0, 0.0])
        f[0] += 1
        if abandoned:
            f[1] += 1
            f[2] += wait or 0.0
    return [
        {
            "day": day,
            "offered": int(offered),
            "abandoned": int(lost),
            "abandon_rate": _ratio(lost, offered),
            "mean_wait_before_abandon_seconds": round(wait / lost, 1) if lost else None,
        }
        for day, (offered, lost, wait) in sorted(days.items())
    ]


def agent_performance(conn: Connection, since: datetime, until: datetime) -> list[Row]:
    """Per agent, over the calls they answered: how many, total and mean talk, mean hold,
    mean wrap-up and AHT, in seconds; the busiest agent first."""
    c = interactions.c
    rows = conn.execute(
        select(
            c.agent_answered,
            func.count(),
            func.coalesce(func.sum(c.talk_seconds), 0.0),
            func.coalesce(func.sum(c.hold_seconds), 0.0),
            func.coalesce(func.sum(c.wrapup_seconds), 0.0),
        )
        .where(*_window(since, until), _answered)
        .group_by(c.agent_answered)
        .order_by(func.count().desc(), c.agent_answered)
    ).all()
    return [
        {
            "agent": agent,
            "answered": int(n),
            "talk_seconds": round(float(talk), 1),
            "mean_talk_seconds": round(float(talk) / n, 1),
            "mean_hold_seconds": round(float(hold) / n, 1),
            "mean_wrapup_seconds": round(float(wrap) / n, 1),
            "aht_seconds": round((float(talk) + float(hold) + float(wrap)) / n, 1),
        }
        for agent, n, talk, hold, wrap in rows
    ]


def incident_stats(
    conn: Connection, since: datetime | None = None, until: datetime | None = None
) -> list[Row]:
    """Faults by area and type for incidents started in [since, until): how many, how many
    still open, the tickets linked to them, and the mean hours from start to close."""
    i = incidents.c
    filters: list[Any] = []
    if since is not None:
        filters.append(i.started_at >= since)
    if until is not None:
        filters.append(i.started_at < until)
    linked = (
        select(tickets.c.incident_id, func.count().label("n"))
        .where(tickets.c.incident_id.is_not(None))
        .group_by(tickets.c.incident_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            incident_areas.c.area,
            i.type,
            i.state,
            i.started_at,
            i.closed_at,
            func.coalesce(linked.c.n, 0),
        )
        .select_from(
            incidents.join(incident_areas, incident_areas.c.incident_id == i.id).outerjoin(
                linked, linked.c.incident_id == i.id
            )
        )
        .where(*filters)
    ).all()
    groups: dict[tuple[str, str], list[float]] = {}
    for area, kind, state, started, closed, n in rows:
        f = groups.setdefault((area, kind), [0, 0, 0, 0.0, 0])
        f[0] += 1
        f[1] += state == "open"
        f[2] += int(n)
        if closed is not None:
            f[3] += (closed - started).total_seconds()
            f[4] += 1
    return [
        {
            "area": area,
            "type": kind,
            "incidents": int(f[0]),
            "open": int(f[1]),
            "tickets": int(f[2]),
            "mean_hours_to_close": round(f[3] / f[4] / 3600, 2) if f[4] else None,
        }
        for (area, kind), f in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
