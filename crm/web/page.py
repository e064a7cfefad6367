"""Rendering for the CRM pages until the shared toolkit (``cti.webkit``) is merged: the
same calls as its interface (``render``, ``identity``, ``translate``; ``csrf_field``,
``csrf_token``, ``identity``, ``lang`` and the ``localtime`` filter in templates), Jinja2
with autoescape and the i18n extension fed from this package's Babel catalogs (msgid = the
English text). Swapping it for ``cti.webkit.pages`` changes imports, not templates.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from babel.messages.pofile import read_po

from cti import web as ctiweb
from cti.websession import Identity

HERE = Path(__file__).parent
LOCALE = HERE.parent / "locale" / "zh_CN" / "LC_MESSAGES"
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"


@functools.cache
def _catalog() -> dict[str, str]:
    out: dict[str, str] = {}
    for po in sorted(LOCALE.glob("*.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                if message.id and isinstance(message.id, str) and message.string:
                    out[message.id] = str(message.string)
    return out


def lang_of(request: web.Request) -> str:
    return ctiweb._lang(request)


def N_(msgid: str) -> str:
    """Marks a module-level English text for extraction; translated where it is shown."""
    return msgid


def translate(request: web.Request, msgid: str, **params: Any) -> str:
    text = _catalog().get(msgid, msgid) if lang_of(request) == "zh" else msgid
    return text % params if params else text


@functools.cache
def _env(lang: str) -> jinja2.Environment:
    """One environment per language: the gettext callables live in its globals, so
    requests in different languages never share them."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    catalog = _catalog() if lang == "zh" else {}

    def gettext(msgid: str) -> str:
        return catalog.get(msgid, msgid)

    def ngettext(singular: str, plural: str, n: int) -> str:
        chosen = singular if n == 1 else plural
        return catalog.get(chosen, chosen)

    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["localtime"] = _site_time("%Y-%m-%d %H:%M")
    env.filters["localdate"] = _site_time("%Y-%m-%d")
    return env


def _zone(request: web.Request) -> ZoneInfo:
    engine = request.config_dict.get(ctiweb.ENGINE)
    return ZoneInfo(getattr(getattr(engine, "settings", None), "time_zone", "Asia/Shanghai"))


def _site_time(fmt: str) -> Any:
    @jinja2.pass_context
    def convert(context: Any, value: datetime | float | None) -> str:
        zone = context["site_zone"]
        if value is None or value == "":
            return ""
        if not isinstance(value, datetime):
            value = datetime.fromtimestamp(float(value), UTC)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(zone).strftime(fmt)

    return convert


def identity(request: web.Request) -> Identity:
    return request[ctiweb.IDENTITY]


def render(request: web.Request, template: str, **ctx: Any) -> web.Response:
    lang = lang_of(request)
    env = _env(lang)
    token = ctiweb.csrf_for(request)
    ctx.update(
        lang=lang,
        identity=request.get(ctiweb.IDENTITY),
        csrf_token=token,
        csrf_field=lambda: jinja2.utils.markupsafe.Markup(
            f'<input type="hidden" name="csrf" value="{jinja2.utils.markupsafe.escape(token)}">'
        ),
        path=request.path,
        site_zone=_zone(request),
    )
    resp = web.Response(text=env.get_template(template).render(**ctx), content_type="text/html")
    if "lang" in request.query:
        resp.set_cookie("cti_lang", lang, httponly=True, samesite="Strict")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
