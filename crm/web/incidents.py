"""Incidents (大面积故障): open one with its areas and type, link tickets, see the callers
affected, edit the auto-announcement, close it (its tickets are resolved and get their
follow-ups: crm.services.incidents)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from crm.api.context import in_thread
from crm.model.announcement import AnnouncementState
from crm.model.incident import IncidentNotFound, IncidentType
from crm.repository import ticket_queries as q
from crm.services.announcements import edit_announcement
from crm.services.incidents import close_incident, link_tickets, open_incident
from crm.web.page import back, crm, form_text, page, page_user, refusals
from crm.web.tickets import departments
from cti.webkit import N_
from cti.webkit.nav import add_nav


def _ticket_ids(text: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,，;；]+", text) if p]
    if not parts or len(parts) > 500 or not all(p.isdigit() and len(p) < 10 for p in parts):
        raise ValueError("ticket ids: whole numbers separated by commas or spaces")
    return sorted({int(p) for p in parts})


@refusals
async def incidents_page(request: web.Request) -> web.Response:
    await page_user(request)
    context = crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            return {"incidents": uow.incidents.find()[::-1][:200], "now": uow.clock()}

    return page(
        request, "tickets_incidents.html", types=list(IncidentType), **(await in_thread(work))
    )


@refusals
async def incident_page(request: web.Request) -> web.Response:
    await page_user(request)
    context = crm(request)
    incident_id = int(request.match_info["incident_id"])

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise IncidentNotFound(incident_id)
            return {
                "incident": incident,
                "tickets": uow.tickets.find(incident_id=incident_id, limit=1000),
                "announcements": uow.announcements.find(incident_id=incident_id),
                "callers": q.affected_callers(uow.connection, incident.areas, incident.started_at),
                "departments": departments(uow),
                "now": uow.clock(),
            }

    return page(request, "tickets_incident.html", **(await in_thread(work)))


@refusals
async def incident_open(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    form = await request.post()
    kind = IncidentType(form_text(form, "type", limit=32))
    title = form_text(form, "title", limit=300)
    areas = [a.strip() for a in form_text(form, "areas", limit=2000).splitlines() if a.strip()]
    description = form_text(form, "description", required=False)

    def work() -> int:
        with context.uow() as uow:
            made = open_incident(
                uow,
                actor=who.username,
                type=kind,
                title=title,
                areas=areas,
                description=description,
            )
            uow.commit()
            assert made.id is not None
            return made.id

    return back(request, f"/incidents/{await in_thread(work)}")


@refusals
async def incident_action(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    incident_id = int(request.match_info["incident_id"])
    action = request.match_info["action"]
    form = await request.post()

    def work() -> None:
        with context.uow() as uow:
            if uow.incidents.get(incident_id) is None:
                raise IncidentNotFound(incident_id)
            if action == "tickets":
                link_tickets(
                    uow, incident_id, _ticket_ids(form_text(form, "ticket_ids")), who.username
                )
            elif action == "announcement":
                live = [
                    a
                    for a in uow.announcements.find(incident_id=incident_id)
                    if a.state is AnnouncementState.PUBLISHED
                ]
                if not live:
                    raise ValueError("the incident has no published announcement")
                assert live[-1].id is not None
                edit_announcement(
                    uow,
                    live[-1].id,
                    actor=who.username,
                    title=form_text(form, "title", limit=300),
                    body=form_text(form, "body"),
                )
            elif action == "close":
                close_incident(
                    uow,
                    incident_id,
                    actor=who.username,
                    resolution=form_text(form, "resolution", required=False),
                )
            else:
                raise web.HTTPNotFound()
            uow.commit()

    await in_thread(work)
    return back(request, f"/incidents/{incident_id}")


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/incidents", N_("Incidents"), 24)
    app.router.add_get("/incidents", incidents_page)
    app.router.add_post("/incidents", incident_open)
    app.router.add_get(r"/incidents/{incident_id:\d+}", incident_page)
    app.router.add_post(r"/incidents/{incident_id:\d+}/{action}", incident_action)
