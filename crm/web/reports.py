"""The reports page: every report of the API over days in the site's time zone, as an
ECharts chart and a table, with CSV/XLSX export (crm.reports' formula-safe writers)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web
from multidict import MultiDict

from crm import reports
from crm.api.report_views import REPORT_NAMES, run_report
from crm.tabular import XLSX_MIME
from crm.web.common import crm, in_thread, zone
from crm.web.report_charts import CHARTS, COLUMNS, chart_rows
from cti.webkit import timefmt
from cti.webkit.i18n import N_, translate
from cti.webkit.pages import render

DEFAULT_DAYS = 7
MAX_DAYS = 366


def _days(request: web.Request) -> tuple[date, date]:
    tz = zone(request)
    today = timefmt.today(tz)
    try:
        last = timefmt.parse_day(request.query["to"]) if request.query.get("to") else today
        first = (
            timefmt.parse_day(request.query["from"])
            if request.query.get("from")
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError:
        raise web.HTTPBadRequest(text="from/to: a day as YYYY-MM-DD") from None
    if last < first or (last - first).days >= MAX_DAYS:
        raise web.HTTPBadRequest(text=f"from/to: up to {MAX_DAYS} days, from before to")
    return first, last


def _name(request: web.Request, default: str | None = None) -> str:
    name = request.match_info.get("name") or request.query.get("report") or default or ""
    if name not in CHARTS:
        raise web.HTTPNotFound(text="no such report")
    return name


def _local(rows: list[reports.Row], tz: str) -> list[reports.Row]:
    """Times as people read them: in the site's zone, not UTC."""
    return [
        {k: timefmt.localtime(v, tz) if isinstance(v, datetime) else v for k, v in r.items()}
        for r in rows
    ]


async def _rows(request: web.Request, name: str) -> tuple[list[reports.Row], date, date]:
    first, last = _days(request)
    tz = zone(request)
    since, until = timefmt.days_range(first, last, tz)
    q = MultiDict({"since": since.isoformat(), "until": until.isoformat(), "tz": tz})
    context = crm(request)

    def work() -> list[reports.Row]:
        with context.uow(write=False) as uow:
            return run_report(uow, name, q, context.clock())

    return _local(await in_thread(work), tz), first, last


async def reports_page(request: web.Request) -> web.Response:
    name = _name(request, "calls-by-day")
    rows, first, last = await _rows(request, name)
    spec = CHARTS[name]
    header = list(rows[0]) if rows else []
    drawn = chart_rows(name, rows)
    chart = {
        "kind": spec.kind,
        "x": [str(r.get(spec.x)) for r in drawn],
        "series": [
            {"name": translate(request, COLUMNS.get(s, s)), "data": [r.get(s) for r in drawn]}
            for s in spec.series
        ],
    }
    query = f"from={first.isoformat()}&to={last.isoformat()}"
    return render(
        request,
        "reports.html",
        name=name,
        title=translate(request, spec.label),
        choices=[(n, translate(request, CHARTS[n].label)) for n in REPORT_NAMES],
        first=first.isoformat(),
        last=last.isoformat(),
        header=[(h, translate(request, COLUMNS[h]) if h in COLUMNS else h) for h in header],
        rows=rows,
        # Data for the chart script, in a JSON block (|tojson escapes <, > and &).
        chart=chart,
        query=query,
    )


async def report_export(request: web.Request) -> web.Response:
    name, fmt = _name(request), request.match_info["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound(text="export as .csv or .xlsx")
    rows, first, last = await _rows(request, name)
    filename = f"{name}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return web.Response(
            body=reports.to_csv_bytes(rows),
            content_type="text/csv",
            charset="utf-8",
            headers=headers,
        )
    return web.Response(body=reports.to_xlsx(rows, name), content_type=XLSX_MIME, headers=headers)


def setup_pages(app: web.Application) -> None:
    from cti.webkit.nav import add_nav

    app.router.add_get("/reports", reports_page)
    app.router.add_get("/reports/export/{name}.{fmt}", report_export)
    add_nav(app, "/reports", N_("Reports"), 700)
