"""The follow-up desk (回访): due follow-ups, a click-to-call to the customer, the
customer's satisfaction by dimension. An unhappy overall score reopens the ticket and
sends it back to its department (crm.services.followups). Also the agent's own list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crm.api.context import in_thread
from crm.model.followup import FollowUpNotFound
from crm.repository import ticket_queries as q
from crm.services.followups import record_followup_result
from crm.web.page import back, crm, form_int, form_text, page, page_user, refusals
from crm.web.tickets import _page_no
from cti.webkit import N_
from cti.webkit.nav import add_nav

# Set by the agent desktop (it owns the engine's Originate path): places a click-to-call
# from the user's own phone (username, number, customer id) or raises ValueError.
ClickToCall = Callable[[str, str, int | None], Awaitable[dict[str, Any]]]
CLICK_TO_CALL: web.AppKey[ClickToCall] = web.AppKey("crm_click_to_call", ClickToCall)  # type: ignore[arg-type]


@refusals
async def followups_page(request: web.Request) -> web.Response:
    await page_user(request)
    context = crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            due = q.due_followups(uow.connection, page=_page_no(request))
            ids = [t.customer_id for _, t in due if t.customer_id is not None]
            customers = {c.id: c for c in uow.customers.get_many(ids)} if ids else {}
            return {"due": due, "customers": customers, "now": uow.clock()}

    return page(
        request,
        "tickets_followups.html",
        calls=CLICK_TO_CALL in request.config_dict,
        called=request.query.get("called", ""),
        **(await in_thread(work)),
    )


@refusals
async def result_post(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    followup_id = int(request.match_info["followup_id"])
    form = await request.post()
    scores = {
        name: form_int(form, name, low=1, high=5)
        for name in ("attitude", "timeliness", "result", "overall")
    }
    comment = form_text(form, "comment", limit=2000, required=False) or None

    def work() -> None:
        with context.uow() as uow:
            record_followup_result(
                uow,
                followup_id,
                satisfaction=scores["overall"] or 0,
                comment=comment,
                actor=who.username,
                attitude=scores["attitude"],
                timeliness=scores["timeliness"],
                result_score=scores["result"],
            )
            uow.commit()

    await in_thread(work)
    return back(request, "/followups")


@refusals
async def call_post(request: web.Request) -> web.StreamResponse:
    who, context = await page_user(request), crm(request)
    followup_id = int(request.match_info["followup_id"])
    place = request.config_dict.get(CLICK_TO_CALL)
    if place is None:
        raise ValueError("click-to-call needs the agent desktop")
    form = await request.post()
    number = form_text(form, "number", limit=40)

    def work() -> int | None:
        with context.uow(write=False) as uow:
            followup = uow.followups.get(followup_id)
            if followup is None:
                raise FollowUpNotFound(followup_id)
            ticket = uow.tickets.get(followup.ticket_id)
            return None if ticket is None else ticket.customer_id

    customer_id = await in_thread(work)
    placed = await place(who.username, number, customer_id)
    return back(request, f"/followups?called={placed.get('call_id', '')}")


@refusals
async def my_followups_page(request: web.Request) -> web.Response:
    who, context = await page_user(request), crm(request)

    def work() -> dict[str, Any]:
        with context.uow(write=False) as uow:
            return {
                "found": q.my_followups(uow.connection, who.username, page=_page_no(request)),
                "now": uow.clock(),
            }

    return page(request, "tickets_my_followups.html", **(await in_thread(work)))


def setup_pages(app: web.Application) -> None:
    add_nav(app, "/followups", N_("Follow-up desk"), 22)
    add_nav(app, "/followups/mine", N_("My follow-ups"), 13)
    app.router.add_get("/followups", followups_page)
    app.router.add_get("/followups/mine", my_followups_page)
    app.router.add_post(r"/followups/{followup_id:\d+}/result", result_post)
    app.router.add_post(r"/followups/{followup_id:\d+}/call", call_post)
