"""What the ticket-work pages share: rendering with the zh/en catalog, the logged-in CRM
user, the CRM context, form parsing.

Stands in for ``cti/webkit/pages.py`` (issue 14's shared toolkit, built on another branch)
until it lands; the templates already use its conventions (``_()`` with English msgids,
``csrf_field()``, the ``X-CSRF-Token`` header for htmx)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from crm.api.context import CRM, CrmContext, in_thread
from crm.model.organization import User

HERE = Path(__file__).parent
CATALOG = HERE.parent / "locale" / "zh_CN" / "LC_MESSAGES" / "tickets.po"
log = logging.getLogger(__name__)
SITE_ZONE: web.AppKey[str] = web.AppKey("crm_pages_zone", str)
PAGE_USER: web.RequestKey[User] = web.RequestKey("crm_page_user", User)


@functools.cache
def _zh() -> dict[str, str]:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated where it is shown."""
    return msgid


REFUSED = {
    404: N_("Not found, or not yours to see."),
    409: N_("Not allowed in the present state."),
    400: N_("Please check what you entered."),
}


def lang_of(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("cti_lang") or "zh"
    return "en" if lang == "en" else "zh"


def translate(request: web.Request, msgid: str, **params: Any) -> str:
    text = _zh().get(msgid, msgid) if lang_of(request) == "zh" else msgid
    return text % params if params else text


def _localtime(zone: ZoneInfo) -> Callable[[datetime | None], str]:
    def fmt(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return fmt


@functools.cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    return env


def csrf_of(request: web.Request) -> str:
    from cti.websecurity import CSRF_TOKEN

    return request.get(CSRF_TOKEN, "")


def render(request: web.Request, template: str, *, status: int = 200, **ctx: Any) -> web.Response:
    lang = lang_of(request)
    zh = _zh()
    gettext = (lambda s: zh.get(s, s)) if lang == "zh" else (lambda s: s)

    def ngettext(s: str, p: str, n: int) -> str:
        return gettext(s if n == 1 else p)

    token = csrf_of(request)
    zone = ZoneInfo(request.config_dict.get(SITE_ZONE, "Asia/Shanghai"))
    env = _env().overlay()
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["localtime"] = _localtime(zone)
    text = env.get_template(template).render(
        lang=lang,
        me=request.get(PAGE_USER),
        csrf_token=token,
        csrf_field=lambda: Markup('<input type="hidden" name="csrf" value="%s">') % escape(token),
        path=request.path,
        **ctx,
    )
    resp = web.Response(text=text, content_type="text/html", status=status)
    if "lang" in request.query:
        resp.set_cookie("cti_lang", lang, httponly=True, samesite="Strict")
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def crm(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


async def page_user(request: web.Request) -> User:
    """The logged-in person's CRM user (the web session only knows the name and roles)."""
    from cti.web import IDENTITY  # the web app mounts these pages: import at use

    identity = request[IDENTITY]
    context = crm(request)

    def find() -> User | None:
        with context.uow(write=False) as uow:
            return uow.users.by_username(identity.username)

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
    """After a form post: htmx follows HX-Redirect, a plain form a 303."""
    if request.headers.get("HX-Request"):
        return web.Response(status=204, headers={"HX-Redirect": location})
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
        return render(
            request,
            "tickets_refused.html",
            status=status,
            headline=translate(request, REFUSED[status]),
            reason=detail,
        )

    return wrapped
