"""The report route: JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from multidict import MultiMapping

from crm import reports
from crm.api import values
from crm.api.context import ctx, in_thread, query_id, reply, when
from crm.model.cadence import CadenceRule
from crm.tabular import XLSX_MIME
from crm.uow import UnitOfWork

REPORT_QUERY = (
    "format",
    "since",
    "until",
    "tz",
    "department_id",
    "min_calls",
    "min_contacts",
    "factor",
    "window_days",
    "complaints",
    "complaint_days",
    "target_seconds",
)

# Every report the API serves (GET /api/reports/{name}); the reports page offers these.
REPORT_NAMES = (
    "calls-by-hour",
    "calls-by-day",
    "calls-by-service",
    "calls-by-end-reason",
    "calls-by-queue",
    "calls-by-direction",
    "calls-by-disposition",
    "service-level",
    "handle-times",
    "abandons",
    "agent-performance",
    "tickets-by-category",
    "tickets-by-state",
    "tickets-by-department-id",
    "tickets-by-priority",
    "tickets-rollup",
    "sla-breaches",
    "repair-stats",
    "satisfaction",
    "repeat-callers",
    "churn-warnings",
    "incident-stats",
)


def _number(q: MultiMapping[str], name: str, default: float, kind: type = int) -> float:
    """A query number: a whole number 0..100000, or a finite decimal for ``float``
    (never ``inf`` from "1e309", nor a driver overflow from a 20-digit count)."""
    if name not in q:
        return default
    text = q[name]
    if kind is int:
        value = values.an_id(name, text)
        if value > 100_000:
            raise ValueError(f"{name} must be from 0 to 100000")
        return value
    try:
        return values.a_number(name, float(text), 0.0, 1e6)
    except ValueError:
        raise ValueError(f"{name} must be a finite number from 0 to 1000000") from None


def run_report(
    uow: UnitOfWork, name: str, q: MultiMapping[str], now: datetime
) -> list[reports.Row]:
    conn = uow.connection
    since, until = when(q.get("since")), when(q.get("until"))
    root = query_id(q, "department_id")
    subtree = None if root is None else uow.departments.subtree_ids(root)
    if name.startswith("tickets-by-"):
        field = name.removeprefix("tickets-by-").replace("-", "_")
        return reports.tickets_by(conn, field, department_ids=subtree, since=since, until=until)
    if name == "sla-breaches":
        return reports.sla_breaches(conn, now, department_ids=subtree)
    if name == "satisfaction":
        return reports.followup_satisfaction(conn)
    if name == "repair-stats":
        return reports.repair_stats(conn, since=since, until=until, root=root)
    if name == "tickets-rollup":
        return reports.tickets_rollup(conn, now, since=since, until=until, root=root)
    if name == "churn-warnings":
        rule = CadenceRule(
            min_contacts=int(_number(q, "min_contacts", 4)),
            factor=_number(q, "factor", 2.0, float),
        )
        return reports.churn_warnings(
            conn,
            now,
            rule=rule,
            window_days=int(_number(q, "window_days", 90)),
            complaints=int(_number(q, "complaints", 2)),
            complaint_days=int(_number(q, "complaint_days", 30)),
        )
    if name == "repeat-callers":
        return reports.repeat_callers(conn, now, int(_number(q, "min_calls", 3)))
    start, end = since or now - timedelta(days=30), until or now
    tz = reports.zone(q.get("tz"))
    if name == "service-level":
        target = _number(q, "target_seconds", 20.0, float)
        return reports.service_level(conn, start, end, default_target=target)
    if name == "handle-times":
        return reports.handle_times_by_day(conn, start, end, tz)
    if name == "abandons":
        return reports.abandons_by_day(conn, start, end, tz)
    if name == "agent-performance":
        return reports.agent_performance(conn, start, end)
    if name == "incident-stats":
        return reports.incident_stats(conn, since, until)
    if name.startswith("calls-by-"):
        by = name.removeprefix("calls-by-").replace("-", "_")
        if by == "hour":
            return reports.calls_by_hour(conn, since or now - timedelta(days=1), until or now)
        if by == "day":
            start = since or now - timedelta(days=30)
            return reports.calls_by_day(conn, start, until or now, reports.zone(q.get("tz")))
        return reports.calls_by(conn, by, since or now - timedelta(days=30), until or now)
    raise LookupError(f"report {name}: no such report")


async def get_report(request: web.Request) -> web.Response:
    name, q, context = request.match_info["name"], request.query, ctx(request)
    now = context.clock()
    fmt = q.get("format", "json")
    if fmt not in ("json", "csv", "xlsx"):
        raise ValueError(f"format must be json, csv or xlsx, not {fmt!r}")

    def work() -> list[reports.Row]:
        with context.uow(write=False) as uow:
            return run_report(uow, name, q, now)

    rows = await in_thread(work)
    if fmt == "json":
        return reply(rows)
    attachment = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return web.Response(
            body=reports.to_csv_bytes(rows),
            content_type="text/csv",
            charset="utf-8",
            headers=attachment,
        )
    return web.Response(
        body=reports.to_xlsx(rows, name), content_type=XLSX_MIME, headers=attachment
    )
