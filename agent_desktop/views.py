"""The two pages (desktop, wallboard), their static files and the wallboard's JSON.

Rendered with the desk's own Jinja2 environment (autoescape on); the language follows
``?lang=zh|en`` and the ``cti_lang`` cookie as on the other pages. Role checks here
mirror the websocket's: an agent page for users mapped to an agent, the wallboard for
supervisors and administrators.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from agent_desktop.identity import agent_id_for, may_watch
from agent_desktop.texts import (
    CATEGORIES,
    DESK_TICKET_ACTIONS,
    DISPOSITIONS,
    NOT_READY_REASONS,
    TICKET_ACTIONS,
    labels,
    script_strings,
    text,
)
from agent_desktop.ws import DESK
from cti.webkit import pages
from cti.webkit.i18n import lang_of
from cti.webkit.keys import IDENTITY
from cti.websession import Identity

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css", ".txt")}


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    lang = lang_of(request)
    strings = script_strings(lang)
    # Times on the pages are the site's local times, whatever the browser's zone is.
    settings = request.app[DESK].engine.settings
    strings["tz"] = settings.time_zone
    strings["services"] = {
        s.name: (s.label_zh if lang == "zh" else s.label_en) or s.name for s in settings.services
    }
    strings["phone"] = bool(settings.phone.websocket_url)
    ctx.update(
        t=lambda key: text(key, lang),
        pick=lambda pair: pair[0] if lang == "zh" else pair[1],
        strings=strings,
        formula=text("sl_formula", lang),
    )
    # The browser phone's SIP WebSocket (Asterisk's /ws) is the one other place it talks to.
    return pages.render(
        request, template, status=status, csp_connect=settings.phone.websocket_url or "", **ctx
    )


def _who(request: web.Request) -> Identity:
    identity = request.get(IDENTITY)
    if identity is None:  # the app's middleware redirects first; this is belt and braces
        raise web.HTTPFound(f"/login?next={request.path}")
    return identity


async def desk_page(request: web.Request) -> web.Response:
    identity = _who(request)
    desk = request.app[DESK]
    agent_id = agent_id_for(identity, desk.notifier.router)
    if agent_id is None:
        return render(
            request, "desk_refused.html", status=403, user=identity, message="not_an_agent"
        )
    agent = desk.notifier.router.agents[agent_id]
    lang = lang_of(request)
    services = [(s.name, (s.label_zh, s.label_en)) for s in desk.engine.settings.services]
    reasons = labels("not ready reasons", NOT_READY_REASONS, lang)
    dispositions = labels("dispositions", DISPOSITIONS, lang)
    if desk.crm is not None:  # an administrator's lists (crm.services.settings), bilingual
        pick = 0 if lang == "zh" else 1
        table = await asyncio.to_thread(desk.crm.reason_table, "not_ready")
        reasons = {code: names[pick] for code, names in table.items()}
        table = await asyncio.to_thread(desk.crm.reason_table, "disposition")
        dispositions = {code: names[pick] for code, names in table.items()}
    reasons.pop("phone_offline", None)  # set when the browser phone drops, never chosen
    return render(
        request,
        "desktop.html",
        user=identity,
        agent=agent,
        services=services,
        reasons=reasons,
        categories=labels("categories", CATEGORIES, lang),
        dispositions=dispositions,
        ticket_actions=labels("ticket actions", TICKET_ACTIONS, lang),
        desk_ticket_actions=DESK_TICKET_ACTIONS,
    )


async def wallboard_page(request: web.Request) -> web.Response:
    identity = _who(request)
    if not may_watch(identity):
        return render(request, "desk_refused.html", status=403, user=identity, message="forbidden")
    return render(request, "wallboard.html", user=identity)


async def wallboard_json(request: web.Request) -> web.Response:
    identity = _who(request)
    if not may_watch(identity):
        raise web.HTTPForbidden(text="supervisors only")
    return web.json_response(request.app[DESK].wallboard())


async def static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:  # a fixed list: no path ever reaches the file system
        raise web.HTTPNotFound()
    resp = web.FileResponse(STATIC / name)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
