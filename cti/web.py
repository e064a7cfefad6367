"""The composer: builds the aiohttp app from the toolkit and every feature, in one place.

Nothing imports this module but the program's entry points (``cti.cli``, the engine's
web start, the demo); features import only :mod:`cti.webkit`. Every page but /health,
/login and /static needs a session; the role table (``cti/roles.py``) says who may open
what, and the app refuses to start with a route missing from it.
"""

from __future__ import annotations

import importlib
import pkgutil
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import session_middleware

from cti import corepages, roles, websession
from cti.corepages import AUTH, END_TOKEN, ENGINE, SECRET, Authenticator, LoginRefused
from cti.errorpages import error_pages
from cti.webkit import pages
from cti.webkit.keys import IDENTITY, REVALIDATE
from cti.webkit.pages import csrf_for, render
from cti.webkit.session import current_identity, session_still_valid
from cti.webkit.static import static
from cti.websecurity import csrf_middleware, forwarded_middleware, refuse, secure_cookies

if TYPE_CHECKING:
    from cti.engine import Engine

__all__ = [
    "AUTH",
    "END_TOKEN",
    "ENGINE",
    "IDENTITY",
    "SECRET",
    "Authenticator",
    "LoginRefused",
    "csrf_for",
    "current_identity",
    "make_app",
    "render",
    "session_still_valid",
    "ssl_context",
]


def _wants_json(request: web.Request) -> bool:
    return request.path.endswith(".json") or request.headers.get("Accept", "").startswith(
        "application/json"
    )


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path.startswith("/api/"):
        # The CRM API checks the session's token itself (bearer header first).
        identity = await current_identity(request, revalidate=False)
        if identity is not None and identity.api_token:
            from crm.api.context import SESSION_TOKEN

            request[SESSION_TOKEN] = identity.api_token
        return await handler(request)
    resource = request.match_info.route.resource
    need = None if resource is None else roles.need_for(request.method, resource.canonical)
    if need is roles.Access.PUBLIC:
        return await handler(request)
    identity = await current_identity(request)
    if identity is None:
        if _wants_json(request):
            return web.json_response(
                {"type": "about:blank", "title": "Unauthorized", "status": 401},
                status=401,
                content_type="application/problem+json",
            )
        raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    request[IDENTITY] = identity
    if resource is not None and (need is None or not roles.may(identity.roles, need)):
        # Not in the role table: refused (deny by default), like a role without the right.
        if _wants_json(request) or request.method != "GET":
            return refuse(403, "Forbidden: your role may not use this")
        return render(request, "core_refused.html", status=403)
    return await handler(request)


def _crm_pages() -> list[Callable[[web.Application], None]]:
    """``setup_pages`` of every module under ``crm/web/`` (the back office's pages)."""
    try:
        package = importlib.import_module("crm.web")
    except ModuleNotFoundError:
        return []
    out = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"crm.web.{info.name}")
        setup = getattr(module, "setup_pages", None)
        if setup is not None:
            out.append(setup)
    return out


def make_app(
    engine: Engine, authenticate: Authenticator | None = None, crm_sql: Any = None
) -> web.Application:
    settings = engine.settings
    lifetime = int(settings.web_session_hours * 3600)
    storage = websession.make_storage(settings.web_session_store, lifetime, settings.redis_url)
    app = web.Application(
        middlewares=[
            forwarded_middleware(settings.web_trusted_proxies),
            secure_cookies,
            session_middleware(storage),
            error_pages,
            auth_middleware,
            csrf_middleware,
        ],
        client_max_size=1 << 20,
    )
    app[ENGINE] = engine
    if authenticate is None:
        authenticate = getattr(engine, "authenticate", None)
    app[AUTH] = authenticate
    app[REVALIDATE] = getattr(authenticate, "revalidate", None)
    app[END_TOKEN] = getattr(authenticate, "end_token", None)
    app[SECRET] = settings.web_secret or websession.new_secret()
    redis = getattr(storage, "_redis", None)
    if redis is not None:
        app.on_cleanup.append(lambda _app: redis.aclose())
    pages.install(app, settings)
    app.router.add_get("/static/{name}", static)
    corepages.setup_pages(app)

    # The features, in one place (each imports only cti.webkit from the web side).
    from routing.api import mount_routing  # agent states, queues, routing reload

    mount_routing(app, engine)
    from recordings.web import mount_recordings  # issue 7: recordings, playback, QA

    mount_recordings(app, engine)
    from cti.metrics import mount_metrics  # issue 8: Prometheus /metrics (+ database probe)

    mount_metrics(app, engine, crm_sql)
    if crm_sql is not None:
        from crm.api.app import setup_crm_api

        setup_crm_api(app, engine=crm_sql, gate=getattr(authenticate, "gate", None))
        for setup_pages in _crm_pages():  # issue 14: the back office (crm/web/*.py)
            setup_pages(app)
    import agent_desktop  # agent desktop and wallboard: pages, websockets, bus subscription

    agent_desktop.setup(app, engine, crm_sql)
    missing = roles.unlisted(app)
    if missing:
        raise RuntimeError(f"routes missing from the role table (cti/roles.py): {missing}")
    return app


def ssl_context(settings: Any) -> ssl.SSLContext | None:
    """The TLS context for ``web.tls_cert``/``web.tls_key``, or None for plain HTTP."""
    if not settings.web_tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.web_tls_cert, settings.web_tls_key)
    return context
