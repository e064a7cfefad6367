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

import jinja2
from aiohttp import web

from agent_desktop.identity import agent_id_for, may_watch
from agent_desktop.kpi import SERVICE_LEVEL_FORMULA
from agent_desktop.texts import (
    CATEGORIES,
    DESK_TICKET_ACTIONS,
    DISPOSITIONS,
    NOT_READY_REASONS,
    TEXT,
    TICKET_ACTIONS,
    pick,
    script_strings,
)
from agent_desktop.ws import DESK
from cti.webkit.keys import IDENTITY
from cti.websession import Identity

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_FILES = {p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css", ".txt")}
JINJA: web.AppKey[jinja2.Environment] = web.AppKey("desk_jinja", jinja2.Environment)


def make_jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def lang_of(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("cti_lang") or "zh"
    return "en" if lang == "en" else "zh"


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    lang = lang_of(request)
    strings = script_strings(lang)
    # Times on the pages are the site's local times, whatever the browser's zone is.
    settings = request.app[DESK].engine.settings
    strings["tz"] = settings.time_zone
    strings["services"] = {
        s.name: (s.label_zh if lang == "zh" else s.label_en) or s.name for s in settings.services
    }
    ctx.update(
        lang=lang,
        t=lambda key: pick(TEXT[key], lang),
        pick=lambda pair: pick(pair, lang),
        strings=strings,
        formula=pick((SERVICE_LEVEL_FORMULA["zh"], SERVICE_LEVEL_FORMULA["en"]), lang),
    )
    resp = web.Response(
        text=request.app[JINJA].get_template(template).render(**ctx),
        content_type="text/html",
        status=status,
    )
    if "lang" in request.query:
        resp.set_cookie("cti_lang", lang, httponly=True, samesite="Strict")
    # Scripts from our own origin only: no inline script, so injected markup cannot run.
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


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
        return render(request, "refused.html", status=403, user=identity, message="not_an_agent")
    agent = desk.notifier.router.agents[agent_id]
    services = [(s.name, (s.label_zh, s.label_en)) for s in desk.engine.settings.services]
    reasons, dispositions = NOT_READY_REASONS, DISPOSITIONS
    if desk.crm is not None:  # an administrator's lists (crm.services.settings)
        reasons = await asyncio.to_thread(desk.crm.reason_table, "not_ready")
        dispositions = await asyncio.to_thread(desk.crm.reason_table, "disposition")
    return render(
        request,
        "desktop.html",
        user=identity,
        agent=agent,
        services=services,
        reasons=reasons,
        categories=CATEGORIES,
        dispositions=dispositions,
        ticket_actions=TICKET_ACTIONS,
        desk_ticket_actions=DESK_TICKET_ACTIONS,
    )


async def wallboard_page(request: web.Request) -> web.Response:
    identity = _who(request)
    if not may_watch(identity):
        return render(request, "refused.html", status=403, user=identity, message="forbidden")
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
