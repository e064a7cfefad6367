"""The supervisors' dispatch center: unassigned and overdue tickets with their SLA due
times; dispatch to a department or a person; escalate."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.api.context import in_thread
from crm.model.ticket import TicketAction
from crm.repository import ticket_queries as q
from crm.services.tickets import change_ticket, escalate_ticket
from crm.web.page import back, crm, form_int, form_text, page, page_user, refusals
from crm.web.tickets import _page_no, departments
from cti.webkit import N_
from cti.webkit.nav import add_nav


@refusals
async def dispatch_page(request: web.Request) -> web.Response:
    await page_user(request)
    context = crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            now = uow.clock()
            return {
                "now": now,
                "unassigned": q.unassigned(uow.connection, page=_page_no(request)),
                "overdue": q.overdue(uow.connection, now, page=_page_no(request)),
                "departments": departments(uow),
            }

    return page(request, "tickets_dispatch.html", **(await in_thread(work)))


@refusals
async def dispatch_post(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    ticket_id = int(request.match_info["ticket_id"])
    form = await request.post()
    department_id = form_int(form, "department_id", low=1, high=2**31, required=False)
    assignee = form_text(form, "assignee", limit=64, required=False) or None

    def work() -> None:
        with context.uow() as uow:
            if department_id is not None and uow.departments.get(department_id) is None:
                raise ValueError(f"no department {department_id}")
            if assignee is not None:
                person = uow.users.by_username(assignee)
                if person is None or not person.active:
                    raise ValueError(f"no active user {assignee!r}")
            change_ticket(
                uow,
                ticket_id,
                TicketAction.DISPATCH,
                who.username,
                department_id=department_id,
                assignee=assignee,
            )
            uow.commit()

    await in_thread(work)
    return back(request, "/dispatch")


@refusals
async def escalate_post(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    ticket_id = int(request.match_info["ticket_id"])

    def work() -> None:
        with context.uow() as uow:
            escalate_ticket(uow, ticket_id, actor=who.username)
            uow.commit()

    await in_thread(work)
    return back(request, "/dispatch")


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/dispatch", N_("Dispatch center"), 20)
    app.router.add_get("/dispatch", dispatch_page)
    app.router.add_post(r"/dispatch/{ticket_id:\d+}", dispatch_post)
    app.router.add_post(r"/dispatch/{ticket_id:\d+}/escalate", escalate_post)
