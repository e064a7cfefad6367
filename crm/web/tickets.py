"""Department staff's work-order queue and a ticket's page; the agent's "my tickets".

Staff see their department's subtree only (the same scope as crm/api/work.py), and the
customer's contact and the linked calls only of tickets assigned to them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.api.context import in_thread
from crm.api.work import _staff_scope
from crm.model.organization import Role, User
from crm.model.ticket import TicketNotFound, TicketState
from crm.repository import ticket_queries as q
from crm.services.tickets import add_work_log, change_ticket
from crm.uow import UnitOfWork
from crm.web.page import back, crm, form_int, form_text, page, page_user, refusals
from cti.webkit import N_
from cti.webkit.nav import add_nav

PAGE_ACTIONS = ("start", "suspend", "resume", "resolve", "worklog")


def _page_no(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def in_scope(uow: UnitOfWork, who: User, ticket_id: int) -> Any:
    """The ticket if this user may see it; staff: their department's subtree only."""
    ticket = uow.tickets.get(ticket_id)
    scope = _staff_scope(uow, who)
    if ticket is None or (scope is not None and ticket.department_id not in scope):
        raise TicketNotFound(ticket_id)  # not theirs: as if it did not exist
    return ticket


def departments(uow: UnitOfWork) -> dict[int, str]:
    return {d.id: d.name for d in uow.departments.all() if d.id is not None}


@refusals
async def queue_page(request: web.Request) -> web.Response:
    who, context = await page_user(request), crm(request)
    query = request.query
    state = TicketState(query["state"]) if query.get("state") else None
    text = query.get("q", "").strip()[:100]
    late = query.get("overdue") == "1"

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            scope = _staff_scope(uow, who)
            now = uow.clock()
            found = q.queue(
                uow.connection,
                department_ids=scope,
                state=state,
                text=text,
                overdue_at=now if late else None,
                page=_page_no(request),
            )
            return {"found": found, "now": now, "departments": departments(uow)}

    data = await in_thread(work)
    return page(
        request,
        "tickets_queue.html",
        states=list(TicketState),
        state=state.value if state else "",
        text=text,
        overdue=late,
        **data,
    )


@refusals
async def mine_page(request: web.Request) -> web.Response:
    who, context = await page_user(request), crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            return {
                "found": q.mine(uow.connection, who.username, page=_page_no(request)),
                "now": uow.clock(),
                "departments": departments(uow),
            }

    return page(request, "tickets_mine.html", **(await in_thread(work)))


@refusals
async def ticket_page(request: web.Request) -> web.Response:
    who, context = await page_user(request), crm(request)
    ticket_id = int(request.match_info["ticket_id"])

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            ticket = in_scope(uow, who, ticket_id)
            # Staff: the customer and the calls only of the tickets assigned to them.
            private = who.role is not Role.DEPARTMENT_STAFF or ticket.assignee == who.username
            customer = (
                uow.customers.get(ticket.customer_id)
                if private and ticket.customer_id is not None
                else None
            )
            return {
                "ticket": ticket,
                "now": uow.clock(),
                "history": uow.tickets.history(ticket_id),
                "work_log": uow.work_log.for_ticket(ticket_id),
                "minutes": uow.work_log.total_minutes(ticket_id),
                "customer": customer,
                "private": private,
                "calls": q.linked_calls(uow.connection, ticket_id) if private else [],
                "departments": departments(uow),
                "followups": uow.followups.find(ticket_id=ticket_id),
            }

    return page(request, "tickets_ticket.html", **(await in_thread(work)))


@refusals
async def ticket_action(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    ticket_id = int(request.match_info["ticket_id"])
    action = request.match_info["action"]
    if action not in PAGE_ACTIONS:
        raise web.HTTPNotFound()
    form = await request.post()

    def work() -> None:
        with context.uow() as uow:
            in_scope(uow, who, ticket_id)
            if action == "worklog":
                add_work_log(
                    uow,
                    ticket_id,
                    actor=who.username,
                    minutes=form_int(form, "minutes", low=1, high=24 * 60) or 0,
                    note=form_text(form, "note"),
                )
            elif action == "suspend":
                change_ticket(
                    uow, ticket_id, action, who.username, reason=form_text(form, "reason")
                )
            elif action == "resolve":
                change_ticket(
                    uow, ticket_id, action, who.username, resolution=form_text(form, "resolution")
                )
            else:
                change_ticket(uow, ticket_id, action, who.username)
            uow.commit()

    await in_thread(work)
    return back(request, f"/tickets/{ticket_id}")


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/tickets/queue", N_("Work-order queue"), 15)
    add_nav(app, "/tickets/mine", N_("My tickets"), 12)
    app.router.add_get("/tickets/queue", queue_page)
    app.router.add_get("/tickets/mine", mine_page)
    app.router.add_get(r"/tickets/{ticket_id:\d+}", ticket_page)
    app.router.add_post(r"/tickets/{ticket_id:\d+}/{action}", ticket_action)
