"""Announcements: draft, schedule, publish, revoke; the audience is everyone or chosen
departments (a department's sub-units see what is meant for it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from crm.api.context import in_thread
from crm.services.announcements import change_announcement, create_announcement
from crm.web.page import back, crm, form_text, page, page_user, refusals, site_zone
from crm.web.tickets import departments
from cti.webkit import N_
from cti.webkit.nav import add_nav

ACTIONS = ("schedule", "publish", "revoke", "archive")


@refusals
async def announcements_page(request: web.Request) -> web.Response:
    await page_user(request)
    context = crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            return {
                "announcements": uow.announcements.find()[::-1][:200],
                "departments": departments(uow),
            }

    return page(request, "tickets_announcements.html", **(await in_thread(work)))


@refusals
async def announcement_create(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    form = await request.post()
    title = form_text(form, "title", limit=300)
    body = form_text(form, "body")
    audience = sorted({int(d) for d in form.getall("audience", []) if str(d).isdigit()})

    def work() -> None:
        with context.uow() as uow:
            known = departments(uow)
            if any(d not in known for d in audience):
                raise ValueError("unknown department in the audience")
            create_announcement(uow, actor=who.username, title=title, body=body, audience=audience)
            uow.commit()

    await in_thread(work)
    return back(request, "/announcements")


@refusals
async def announcement_action(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    announcement_id = int(request.match_info["announcement_id"])
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    form = await request.post()
    publish_at = None
    if action == "schedule":
        # The form's datetime-local is the site's wall clock.
        raw = form_text(form, "publish_at", limit=20)
        zone = ZoneInfo(site_zone(request))
        publish_at = datetime.fromisoformat(raw).replace(tzinfo=zone)

    def work() -> None:
        with context.uow() as uow:
            change_announcement(uow, announcement_id, action, who.username, publish_at=publish_at)
            uow.commit()

    await in_thread(work)
    return back(request, "/announcements")


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/announcements", N_("Announcements"), 26)
    app.router.add_get("/announcements", announcements_page)
    app.router.add_post("/announcements", announcement_create)
    app.router.add_post(r"/announcements/{announcement_id:\d+}/{action}", announcement_action)
