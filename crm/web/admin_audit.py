"""Admin: the audit log viewer. Filters (who, action, object, days in the site's time
zone), paged on the server, exported as CSV or XLSX with the same filters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web

from crm import reports
from crm.model.audit import AuditEntry
from crm.tabular import XLSX_MIME
from crm.web.common import actor, crm, in_thread, zone
from cti.webkit import timefmt
from cti.webkit.pages import render

PAGE = 50
EXPORT_LIMIT = 10_000


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None
    action: str | None
    object_type: str | None
    object_id: str | None
    first: date | None
    last: date | None

    @classmethod
    def of(cls, q: Any) -> AuditFilter:
        def field(name: str) -> str | None:
            value = str(q.get(name, "")).strip()[:64]
            return value or None

        first, last = field("from"), field("to")
        try:
            return cls(
                field("actor"),
                field("action"),
                field("object_type"),
                field("object_id"),
                None if first is None else timefmt.parse_day(first),
                None if last is None else timefmt.parse_day(last),
            )
        except ValueError:
            raise web.HTTPBadRequest(text="from/to: a day as YYYY-MM-DD") from None

    def bounds(self, tz: str) -> tuple[datetime | None, datetime | None]:
        since = None if self.first is None else timefmt.day_bounds(self.first, tz)[0]
        until = None if self.last is None else timefmt.day_bounds(self.last, tz)[1]
        return since, until

    def query(self) -> str:
        pairs = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "from": self.first and self.first.isoformat(),
            "to": self.last and self.last.isoformat(),
        }
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in pairs.items() if v})


def _load(request: web.Request, f: AuditFilter, limit: int, offset: int) -> list[AuditEntry]:
    since, until = f.bounds(zone(request))
    with crm(request).uow(write=False) as uow:
        return uow.audit_log.query(
            actor=f.actor,
            action=f.action,
            object_type=f.object_type,
            object_id=f.object_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


async def audit_page(request: web.Request) -> web.Response:
    f = AuditFilter.of(request.query)
    try:
        page = max(1, min(int(request.query.get("page", "1")), 10_000))
    except ValueError:
        raise web.HTTPBadRequest(text="page: a whole number") from None
    # One row more than a page says whether there is a next page, without a COUNT(*).
    rows = await in_thread(lambda: _load(request, f, PAGE + 1, (page - 1) * PAGE))
    return render(
        request,
        "admin_audit.html",
        entries=[(e, _detail(e)) for e in rows[:PAGE]],
        f=f,
        page=page,
        more=len(rows) > PAGE,
        query=f.query(),
        error="",
        saved="",
    )


def _detail(e: AuditEntry) -> str:
    return "" if e.detail is None else json.dumps(e.detail, ensure_ascii=False, sort_keys=True)


async def audit_export(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise web.HTTPNotFound(text="export as .csv or .xlsx")
    f = AuditFilter.of(request.query)
    tz = zone(request)
    who, context = actor(request), crm(request)

    def work() -> list[reports.Row]:
        rows = _load(request, f, EXPORT_LIMIT, 0)
        with context.uow() as uow:  # who took the log away, and which part of it
            uow.audit(
                who, "audit.export", "audit_log", None, {"filter": f.query(), "rows": len(rows)}
            )
            uow.commit()
        return [
            {
                "at": timefmt.localtime(e.at, tz),
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "detail": _detail(e),
            }
            for e in rows
        ]

    rows = await in_thread(work)
    headers = {"Content-Disposition": f'attachment; filename="audit-log.{fmt}"'}
    if fmt == "csv":
        return web.Response(
            body=reports.to_csv_bytes(rows),
            content_type="text/csv",
            charset="utf-8",
            headers=headers,
        )
    return web.Response(
        body=reports.to_xlsx(rows, "audit log"), content_type=XLSX_MIME, headers=headers
    )


def setup_pages(app: web.Application) -> None:
    app.router.add_get("/admin/audit", audit_page)
    app.router.add_get("/admin/audit/export.{fmt}", audit_export)
