"""The aiohttp web app: login, the live-calls status page and /health.

Later parts mount their routes (REST API, desktop, wallboard, recordings) into the app
this module builds. Every page but /health and /login needs a session; forms carry a
CSRF token bound to the session cookie; Jinja2 autoescapes everything it renders.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from aiohttp import web

from cti import websession
from cti.websession import COOKIE, Identity

if TYPE_CHECKING:
    from cti.engine import Engine

Authenticator = Callable[[str, str], Awaitable[Identity | None]]

TEXT = {
    "title": ("CTI 呼叫中心引擎", "CTI call-center engine"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "links": ("Asterisk 连接", "Asterisk links"),
    "server": ("服务器", "Server"),
    "state": ("状态", "State"),
    "version": ("版本", "Version"),
    "reconnects": ("连接次数", "Connects"),
    "up": ("已连接", "up"),
    "down": ("断开", "down"),
    "live_calls": ("当前通话", "Live calls"),
    "caller": ("主叫号码", "Caller"),
    "name": ("姓名", "Name"),
    "service": ("业务", "Service"),
    "agent": ("坐席", "Agent"),
    "duration": ("时长", "Duration"),
    "no_calls": ("暂无通话", "No calls right now"),
    "ended_calls": ("已结束通话", "Ended calls"),
    "written": ("已写入", "Written"),
    "journal": ("待写入", "Journal backlog"),
    "state_new": ("新呼入", "new"),
    "state_ivr": ("语音导航", "in IVR"),
    "state_waiting": ("排队等待", "waiting"),
    "state_ringing": ("坐席振铃", "ringing"),
    "state_connected": ("通话中", "connected"),
    "state_on_hold": ("保持", "on hold"),
    "state_wrap_up": ("话后处理", "wrap-up"),
    "state_ended": ("已结束", "ended"),
}

ENGINE: web.AppKey[Engine] = web.AppKey("engine")
AUTH: web.AppKey[Authenticator | None] = web.AppKey("authenticate")
SECRET: web.AppKey[str] = web.AppKey("secret")
JINJA: web.AppKey[jinja2.Environment] = web.AppKey("jinja")
IDENTITY: web.RequestKey[Identity] = web.RequestKey("identity", Identity)
# /api/ belongs to the CRM REST API, which checks bearer tokens (or the crm_token cookie
# set at login) and roles per route itself.
PUBLIC = ("/health", "/login", "/static/", "/api/")


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("cti_lang") or "zh"
    return "en" if lang == "en" else "zh"


def render(request: web.Request, template: str, **ctx: Any) -> web.Response:
    lang = _lang(request)
    ctx.update(
        lang=lang,
        t=lambda key: TEXT.get(key, (key, key))[0 if lang == "zh" else 1],
        user=request.get(IDENTITY),
    )
    resp = web.Response(
        text=request.app[JINJA].get_template(template).render(**ctx), content_type="text/html"
    )
    if "lang" in request.query:
        resp.set_cookie("cti_lang", lang, httponly=True, samesite="Strict")
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def current_identity(request: web.Request) -> Identity | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return websession.verify(token, request.app[SECRET], time.time())


@web.middleware
async def auth_middleware(
    request: web.Request, handler: Callable[..., Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path.startswith(PUBLIC) or request.path in PUBLIC:
        return await handler(request)
    identity = current_identity(request)
    if identity is None:
        if request.path.endswith(".json") or request.headers.get("Accept", "").startswith(
            "application/json"
        ):
            return web.json_response(
                {"type": "about:blank", "title": "Unauthorized", "status": 401},
                status=401,
                content_type="application/problem+json",
            )
        raise web.HTTPFound(f"/login?next={request.path}")
    request[IDENTITY] = identity
    return await handler(request)


def csrf_for(request: web.Request) -> str:
    seed = request.cookies.get("cti_csrf_seed", "")
    return hmac.new(request.app[SECRET].encode(), seed.encode(), "sha256").hexdigest()


async def login_page(request: web.Request) -> web.Response:
    seed = request.cookies.get("cti_csrf_seed") or secrets.token_urlsafe(16)
    token = hmac.new(request.app[SECRET].encode(), seed.encode(), "sha256").hexdigest()
    nxt = request.query.get("next", "/")
    resp = render(
        request,
        "login.html",
        csrf=token,
        next=nxt if nxt.startswith("/") else "/",
        error=bool(request.query.get("error")),
    )
    resp.set_cookie("cti_csrf_seed", seed, httponly=True, samesite="Strict")
    return resp


async def login_post(request: web.Request) -> web.Response:
    form = await request.post()
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf_for(request)):
        raise web.HTTPForbidden(text="CSRF token missing or wrong")
    authenticate = request.app[AUTH]
    identity = None
    if authenticate is not None:
        identity = await authenticate(
            str(form.get("username", ""))[:128], str(form.get("password", ""))[:1024]
        )
    if identity is None:
        raise web.HTTPFound("/login?error=1")
    nxt = str(form.get("next", "/"))
    resp = web.HTTPFound(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
    resp.set_cookie(
        COOKIE,
        websession.sign(identity, request.app[SECRET], time.time()),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    if identity.api_token:
        resp.set_cookie(
            "crm_token", identity.api_token, httponly=True, samesite="Strict", secure=request.secure
        )
    raise resp


async def logout(request: web.Request) -> web.Response:
    resp = web.HTTPFound("/login")
    resp.del_cookie(COOKIE)
    resp.del_cookie("crm_token")
    raise resp


async def health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    links = {name: s.ready.is_set() for name, s in engine.sessions.items()}
    ok = all(links.values())
    return web.json_response(
        {
            "status": "ok" if ok else "degraded",
            "ami": links,
            "live_calls": len(engine.model.live()),
            "journal_depth": engine.journal.depth,
        },
        status=200 if ok else 503,
    )


async def status_page(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    now = time.time()
    zh = _lang(request) == "zh"
    services = {
        s.name: (s.label_zh if zh else s.label_en) or s.name for s in engine.settings.services
    }
    agents = {a.extension: a.name for a in engine.settings.agents}
    calls = [
        {
            "caller_number": c.caller_number,
            "caller_name": c.caller_name,
            "state": c.state.value,
            "service": services.get(c.service, c.service),
            "agent": agents.get(c.answered_by or "", c.answered_by),
            "duration": int(now - c.started_at),
        }
        for c in engine.model.calls.values()
        if c.state.value != "ended"
    ]
    servers = [
        {"name": n, "up": s.ready.is_set(), "version": s.version, "reconnects": s.connects}
        for n, s in engine.sessions.items()
    ]
    return render(
        request,
        "status.html",
        calls=calls,
        servers=servers,
        ended=engine.model.ended_count,
        written=engine.writer.written,
        journal=engine.journal.depth,
    )


async def calls_json(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({cid: state.value for cid, state in engine.model.live().items()})


def agent_names(engine: Engine, username: str) -> frozenset[str]:
    """The names a user goes by in call records: the user name, and the id and extension
    of the routing agent they are (user name = agent id or extension)."""
    router = engine.router.router
    agent_id = username if username in router.agents else router.by_extension.get(username)
    agent = router.agents.get(agent_id) if agent_id is not None else None
    return frozenset({username} if agent is None else {username, agent.id, agent.extension})


def make_app(
    engine: Engine, authenticate: Authenticator | None = None, crm_sql: Any = None
) -> web.Application:
    app = web.Application(middlewares=[auth_middleware], client_max_size=1 << 20)
    app[ENGINE] = engine
    app[AUTH] = authenticate if authenticate is not None else getattr(engine, "authenticate", None)
    app[SECRET] = engine.settings.web_secret or websession.new_secret()
    app[JINJA] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
    )
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_post)
    app.router.add_get("/logout", logout)
    app.router.add_get("/", status_page)
    app.router.add_get("/calls.json", calls_json)
    from routing.api import mount_routing  # agent states, queues, routing reload

    mount_routing(app, engine)
    from recordings.web import mount_recordings  # issue 7: recordings, playback, QA

    mount_recordings(app, engine)
    from cti.metrics import mount_metrics  # issue 8: Prometheus /metrics (+ database probe)

    mount_metrics(app, engine, crm_sql)
    if crm_sql is not None:
        from crm.api.app import setup_crm_api

        setup_crm_api(app, engine=crm_sql, agent_names=lambda u: agent_names(engine, u))
    import agent_desktop  # agent desktop and wallboard: pages, websockets, bus subscription

    agent_desktop.setup(app, engine, crm_sql)
    return app
