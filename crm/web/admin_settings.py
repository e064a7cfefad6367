"""Admin: ticket categories and priorities with SLA times, dispositions and not-ready
reasons, alarm thresholds. Every change goes through crm.services.settings (checked,
audited with old and new values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from crm.model.settings import ALARM_METRICS, ReasonKind, SettingError
from crm.services import settings
from crm.uow import UnitOfWork
from crm.web.common import actor, back, crm, decimal, form, in_thread, number, text
from cti.webkit.i18n import N_, lang_of, translate
from cti.webkit.keys import SETTINGS
from cti.webkit.pages import render

METRIC_LABELS = {
    "waiting": N_("Callers waiting"),
    "longest_wait": N_("Longest wait (s)"),
    "abandon_rate": N_("Abandon rate (%)"),
    "service_level": N_("Service level below target (points)"),
}
REFUSED = (ValueError, LookupError, SettingError)


def _refusal(request: web.Request, error: object) -> str:
    return translate(request, "Not saved: %(reason)s", reason=str(error).strip("'\""))


async def _page(
    request: web.Request,
    template: str,
    load: Callable[[UnitOfWork], dict[str, Any]],
    error: str = "",
    status: int = 200,
) -> web.Response:
    def work() -> dict[str, Any]:
        with crm(request).uow(write=False) as uow:
            return load(uow)

    data = await in_thread(work)
    return render(
        request, template, status=status, error=error, saved=request.query.get("saved", ""), **data
    )


def _categories(uow: UnitOfWork) -> dict[str, Any]:
    return {"categories": settings.categories(uow), "priorities": settings.priorities(uow)}


async def categories_page(request: web.Request) -> web.Response:
    return await _page(request, "admin_categories.html", _categories)


async def _write(
    request: web.Request,
    template: str,
    load: Callable[[UnitOfWork], dict[str, Any]],
    change: Callable[[UnitOfWork, str, Any], object],
    done: str,
) -> web.StreamResponse:
    context, who = crm(request), actor(request)
    try:
        data = await form(request)

        def work() -> None:
            with context.uow() as uow:
                change(uow, who, data)
                uow.commit()

        await in_thread(work)
    except REFUSED as error:
        return await _page(request, template, load, _refusal(request, error), 400)
    raise back(done)


async def category_post(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]

    def change(uow: UnitOfWork, who: str, data: Any) -> None:
        settings.set_category(
            uow,
            who,
            code,
            name_zh=text(data, "name_zh"),
            name_en=text(data, "name_en"),
            sla_minutes=number(data, "sla_minutes") or 0,
            active=data.get("active") == "on",
        )

    return await _write(
        request, "admin_categories.html", _categories, change, "/admin/categories?saved=1"
    )


async def priority_post(request: web.Request) -> web.StreamResponse:
    try:
        level = int(request.match_info["level"])
    except ValueError:
        raise web.HTTPNotFound() from None

    def change(uow: UnitOfWork, who: str, data: Any) -> None:
        settings.set_priority(
            uow,
            who,
            level,
            name_zh=text(data, "name_zh"),
            name_en=text(data, "name_en"),
            sla_minutes=number(data, "sla_minutes", required=False),
        )

    return await _write(
        request, "admin_categories.html", _categories, change, "/admin/categories?saved=1"
    )


def _reasons(uow: UnitOfWork) -> dict[str, Any]:
    return {
        "dispositions": settings.reasons(uow, ReasonKind.DISPOSITION),
        "not_ready": settings.reasons(uow, ReasonKind.NOT_READY),
    }


async def reasons_page(request: web.Request) -> web.Response:
    return await _page(request, "admin_reasons.html", _reasons)


async def reason_post(request: web.Request) -> web.StreamResponse:
    def change(uow: UnitOfWork, who: str, data: Any) -> None:
        settings.set_reason(
            uow,
            who,
            ReasonKind(text(data, "kind")),
            text(data, "code"),
            name_zh=text(data, "name_zh"),
            name_en=text(data, "name_en"),
            active=data.get("active") == "on",
        )

    return await _write(request, "admin_reasons.html", _reasons, change, "/admin/reasons?saved=1")


def _alarms_for(request: web.Request) -> Callable[[UnitOfWork], dict[str, Any]]:
    site = request.config_dict.get(SETTINGS)
    pick = 0 if lang_of(request) == "zh" else 1
    services = [
        (s.name, (s.label_zh, s.label_en)[pick] or s.name) for s in getattr(site, "services", ())
    ]
    site_limits = {m: (w, c) for m, w, c in getattr(site, "thresholds", ())}
    labels = {m: translate(request, METRIC_LABELS[m]) for m in ALARM_METRICS}

    def load(uow: UnitOfWork) -> dict[str, Any]:
        return {
            "limits": uow.settings.alarm_limits(),
            "services": services,
            "service_names": dict(services),
            "site_limits": site_limits,
            "metrics": list(labels.items()),
            "metric_names": labels,
        }

    return load


async def alarms_page(request: web.Request) -> web.Response:
    return await _page(request, "admin_alarms.html", _alarms_for(request))


async def alarm_post(request: web.Request) -> web.StreamResponse:
    def change(uow: UnitOfWork, who: str, data: Any) -> None:
        service, metric = text(data, "service", required=False), text(data, "metric")
        if data.get("action") == "clear":
            settings.clear_alarm_limit(uow, who, service, metric)
        else:
            warn, critical = decimal(data, "warn"), decimal(data, "critical")
            settings.set_alarm_limit(uow, who, service, metric, warn, critical)

    return await _write(
        request, "admin_alarms.html", _alarms_for(request), change, "/admin/alarms?saved=1"
    )


def setup_pages(app: web.Application) -> None:
    app.router.add_get("/admin/categories", categories_page)
    app.router.add_post("/admin/categories/{code}", category_post)
    app.router.add_post("/admin/priorities/{level}", priority_post)
    app.router.add_get("/admin/reasons", reasons_page)
    app.router.add_post("/admin/reasons", reason_post)
    app.router.add_get("/admin/alarms", alarms_page)
    app.router.add_post("/admin/alarms", alarm_post)
