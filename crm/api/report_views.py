"""The report route: JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from crm import reports
from crm.api.context import ctx, in_thread, reply, when

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def get_report(request: web.Request) -> web.Response:
    name, q, context = request.match_info["name"], request.query, ctx(request)
    now = context.clock()

    def work() -> list[reports.Row]:
        with context.engine.connect() as conn:
            if name.startswith("tickets-by-"):
                return reports.tickets_by(conn, name.removeprefix("tickets-by-").replace("-", "_"))
            if name == "sla-breaches":
                return reports.sla_breaches(conn, now)
            if name == "satisfaction":
                return reports.followup_satisfaction(conn)
            if name == "calls-by-hour":
                since = when(q.get("since")) or now - timedelta(days=1)
                return reports.calls_by_hour(conn, since, when(q.get("until")) or now)
            if name == "repeat-callers":
                return reports.repeat_callers(conn, now, int(q.get("min_calls", 3)))
            raise LookupError(f"report {name}: no such report")

    rows = await in_thread(work)
    fmt = q.get("format", "json")
    if fmt == "csv":
        return web.Response(text=reports.to_csv(rows), content_type="text/csv", charset="utf-8")
    if fmt == "xlsx":
        return web.Response(body=reports.to_xlsx(rows, name), content_type=XLSX)
    return reply(rows)
