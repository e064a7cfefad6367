"""Rendering a page: Jinja2 (autoescape) with the layout, the request's language, the
user, the navigation and the CSRF token in every template's context.

Templates are found by file name in every ``templates/`` folder of the runtime packages
(the toolkit's ``layout.html`` first), so each feature keeps its templates beside its
code; names are prefixed by feature (``tickets_queue.html``) and must be unique.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from cti.webkit import i18n, timefmt
from cti.webkit.keys import IDENTITY, JINJA, SETTINGS
from cti.webkit.nav import nav_for
from cti.websecurity import CSRF_TOKEN
from cti.websession import Identity

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def template_dirs() -> list[Path]:
    """The toolkit's templates first, then every feature's, in a fixed order."""
    found = [
        p
        for root in i18n.package_dirs()
        for p in sorted(root.rglob("templates"))
        if p.is_dir() and "__pycache__" not in p.parts and p != HERE / "templates"
    ]
    return [HERE / "templates", *found]


def make_env(lang: str, zone: str = timefmt.DEFAULT_ZONE) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(d) for d in template_dirs()]),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["localtime"] = lambda v: timefmt.localtime(v, zone)
    env.filters["localdate"] = lambda v: timefmt.localdate(v, zone)
    env.globals["lang"] = lang
    env.globals["time_zone"] = zone
    return env


def install(app: web.Application, settings: Any) -> None:
    """Give ``app`` the per-language environments (the composer calls this once)."""
    app[SETTINGS] = settings
    zone = getattr(settings, "time_zone", None) or timefmt.DEFAULT_ZONE
    app[JINJA] = {lang: make_env(lang, zone) for lang in i18n.LANGS}


def identity(request: web.Request) -> Identity:
    """The logged-in user (the app's middleware has checked the session and the role)."""
    who = request.get(IDENTITY)
    if who is None:  # a public route asked for a user: send them to log in
        raise web.HTTPFound(f"/login?next={request.path}")
    return who


def csrf_for(request: web.Request) -> str:
    """The session's CSRF token, for forms and the pages' own posts."""
    return request.get(CSRF_TOKEN, "")


def render(request: web.Request, template: str, status: int = 200, **ctx: Any) -> web.Response:
    lang = i18n.lang_of(request)
    who = request.get(IDENTITY)
    token = ctx.pop("csrf_token", None) or csrf_for(request)
    ctx.update(
        lang=lang,
        identity=who,
        user=who,
        nav=nav_for(request.app, who),
        csrf_token=token,
        csrf_field=lambda: Markup('<input type="hidden" name="csrf" value="%s">') % escape(token),
        path=request.path,
    )
    page = request.config_dict[JINJA][lang].get_template(template).render(**ctx)
    resp = web.Response(text=page, content_type="text/html", status=status)
    if "lang" in request.query:
        resp.set_cookie(i18n.COOKIE, lang, httponly=True, samesite="Strict")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp
