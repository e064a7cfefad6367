"""What the ticket-work pages share: the logged-in CRM user, the CRM context, form
parsing, refusals as translated 4xx pages. Rendering and text: ``cti.webkit``."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from crm.api.context import CRM, CrmContext, in_thread
from crm.model.organization import User
from cti.webkit import N_, identity, render, translate
from cti.webkit.keys import SETTINGS
from cti.webkit.timefmt import DEFAULT_ZONE

log = logging.getLogger(__name__)
PAGE_USER: web.RequestKey[User] = web.RequestKey("crm_page_user", User)

REFUSED = {
    404: N_("Not found, or not yours to see."),
    409: N_("Not allowed in the present state."),
    400: N_("Please check what you entered."),
}


def site_zone(request: web.Request) -> str:
    settings = request.config_dict.get(SETTINGS)
    return str(getattr(settings, "time_zone", None) or DEFAULT_ZONE)


def page(request: web.Request, template: str, *, status: int = 200, **ctx: Any) -> web.Response:
    """Render with the CRM user as ``me`` (the nav and actions depend on the role)."""
    return render(request, template, status=status, me=request.get(PAGE_USER), **ctx)


def crm(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


async def page_user(request: web.Request) -> User:
    """The logged-in person's CRM user (the web session only knows the name and roles)."""
    who = identity(request)
    context = crm(request)

    def find() -> User | None:
        with context.uow(write=False) as uow:
            return uow.users.by_username(who.username)

    found = await in_thread(find)
    if found is None or not found.active:
        raise web.HTTPForbidden(text="no active CRM user for this login")
    request[PAGE_USER] = found
    return found


def form_int(form: Any, name: str, *, low: int, high: int, required: bool = True) -> int | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        if required:
            raise ValueError(f"{name} is required")
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be {low}-{high}")
    return value


def form_text(form: Any, name: str, *, limit: int = 4000, required: bool = True) -> str:
    text = str(form.get(name, "")).strip()
    if required and not text:
        raise ValueError(f"{name} is required")
    if len(text) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ValueError(f"{name} holds an invalid character")
    return text


def back(request: web.Request, location: str) -> web.StreamResponse:
    """After a form post, 303 to the page that shows the result; htmx follows it too and
    swaps in the part it asked for (``hx-select``): a partial update of the same page."""
    raise web.HTTPSeeOther(location)


def refusals(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
    """Bad input or an action the state does not allow: a 4xx page saying why, nothing
    written (the unit of work rolled back)."""
    from crm.model.announcement import AnnouncementError, AnnouncementNotFound
    from crm.model.followup import FollowUpError, FollowUpNotFound
    from crm.model.incident import IncidentNotFound
    from crm.model.ticket import TicketError, TicketNotFound

    not_found = (TicketNotFound, FollowUpNotFound, AnnouncementNotFound, IncidentNotFound)
    refused = (TicketError, FollowUpError, AnnouncementError, ValueError, KeyError)

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except not_found as e:
            status, detail = 404, str(e)
        except refused as e:
            conflict = isinstance(e, (TicketError, FollowUpError, AnnouncementError))
            status, detail = (409 if conflict else 400), str(e)
        who = request.get(PAGE_USER)
        log.info(
            "refused %s %s for %s: %d %s",
            request.method,
            request.path,
            who.username if who else "?",
            status,
            detail,
        )
        return page(
            request,
            "tickets_refused.html",
            status=status,
            headline=translate(request, REFUSED[status]),
            reason=detail,
        )

    return wrapped
