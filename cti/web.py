"""The aiohttp web app: login, the live-calls status page and /health.

Later parts mount their routes (REST API, desktop, wallboard, recordings) into the app
this module builds. Every page but /health and /login needs a session; forms carry a
CSRF token bound to the session cookie; Jinja2 autoescapes everything it renders.
"""

from __future__ import annotations

import hmac
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from aiohttp_session import STORAGE_KEY, get_session, new_session, session_middleware

from cti import roles, websession
from cti.errorpages import error_pages
from cti.websecurity import (
    CSRF_TOKEN,
    csrf_middleware,
    forwarded_middleware,
    refuse,
    safe_next,
    same_origin,
    secure_cookies,
)
from cti.websession import COOKIE, Identity

if TYPE_CHECKING:
    from cti.engine import Engine

# (username, password, client address) -> the user, None for a wrong password, or
# LoginRefused when throttled or busy.
Authenticator = Callable[[str, str, str], Awaitable[Identity | None]]
# The session's user as the database sees them now, or None once revoked.
Revalidator = Callable[[Identity], Awaitable[Identity | None]]
TokenEnder = Callable[[Identity], Awaitable[None]]


class LoginRefused(Exception):
    """A login refused before the password was checked: throttled (429) or busy (503)."""

    def __init__(self, status: int, key: str, retry_after: int) -> None:
        super().__init__(key)
        self.status, self.key, self.retry_after = status, key, retry_after


TEXT = {
    "title": ("CTI 呼叫中心引擎", "CTI call-center engine"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "login_failed": ("用户名或密码错误", "Wrong username or password"),
    "throttled": (
        "登录失败次数过多，请在 {n} 秒后再试",
        "Too many failed logins; try again in {n} seconds",
    ),
    "busy": ("登录人数过多，请稍后再试", "Too many logins at once; try again in a moment"),
    "forbidden": ("无权访问", "Not allowed"),
    "forbidden_detail": (
        "您的角色无权使用此页面或操作。",
        "Your role may not use this page or action.",
    ),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "links": ("Asterisk 连接", "Asterisk links"),
    "server": ("服务器", "Server"),
    "state": ("状态", "State"),
    "version": ("Asterisk 版本", "Asterisk version"),
    "ami_version": ("AMI 协议版本", "AMI protocol"),
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
REVALIDATE: web.AppKey[Revalidator | None] = web.AppKey("revalidate")
END_TOKEN: web.AppKey[TokenEnder | None] = web.AppKey("end_token")
# Who may open what: cti/roles.py. /api/ belongs to the CRM REST API, which checks
# bearer tokens (or the browser session) and roles per route itself.


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("cti_lang") or "zh"
    return "en" if lang == "en" else "zh"


def render(request: web.Request, template: str, **ctx: Any) -> web.Response:
    lang = _lang(request)
    ctx.update(
        lang=lang,
        t=lambda key: TEXT.get(key, (key, key))[0 if lang == "zh" else 1],
        user=request.get(IDENTITY),
        csrf=ctx.get("csrf") or csrf_for(request),
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


async def current_identity(request: web.Request, *, revalidate: bool = True) -> Identity | None:
    """The session's user; a session whose CRM token was revoked (logout elsewhere,
    deactivation, a new role or password) is ended here, on its next request."""
    if COOKIE not in request.cookies:
        return None
    session = await get_session(request)
    identity = websession.from_session(session)
    if identity is None:
        return None
    check = request.config_dict.get(REVALIDATE)
    if revalidate and check is not None and identity.api_token:
        fresh = await check(identity)
        if fresh is None or fresh.roles != identity.roles:
            session.invalidate()
            return None
    request[CSRF_TOKEN] = str(session.get("csrf", ""))
    return identity


async def session_still_valid(request: web.Request, identity: Identity) -> Identity | None:
    """For long-lived requests (websockets): is the session still in the store, and its
    token still live? Reads the store afresh, not the copy loaded at the handshake."""
    storage = request[STORAGE_KEY]
    session = await storage.load_session(request)
    now = websession.from_session(session)
    if now is None or now.username != identity.username:
        return None
    check = request.config_dict.get(REVALIDATE)
    if check is not None and now.api_token:
        fresh = await check(now)
        if fresh is None or fresh.roles != now.roles:
            return None
    return now


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
        page = render(request, "refused.html")
        page.set_status(403)
        return page
    return await handler(request)


def csrf_for(request: web.Request) -> str:
    """The session's CSRF token, for forms and the pages' JSON posts."""
    return request.get(CSRF_TOKEN, "")


def _login_token(request: web.Request, bucket: int) -> str:
    msg = f"login|{bucket}".encode()
    return hmac.new(request.app[SECRET].encode(), msg, "sha256").hexdigest()


async def login_page(request: web.Request) -> web.Response:
    # No session exists before login, so the form's token is a signed hour stamp; a forged
    # cross-site login is stopped by the Origin check in login_post.
    return render(
        request,
        "login.html",
        csrf=_login_token(request, int(time.time() // 3600)),
        next=safe_next(request.query.get("next", "/")),
        error=bool(request.query.get("error")),
    )


def _login_refused(request: web.Request, status: int, key: str, retry_after: int) -> web.Response:
    resp = render(request, "login.html", csrf=_login_token(request, int(time.time() // 3600)),
                  next="/", error=False, refusal=key, retry_after=retry_after)  # fmt: skip
    resp.set_status(status)
    resp.headers["Retry-After"] = str(retry_after)
    return resp


async def login_post(request: web.Request) -> web.StreamResponse:
    if same_origin(request) is False:
        raise web.HTTPForbidden(text="cross-site login refused")
    form = await request.post()
    sent, hour = str(form.get("csrf", "")), int(time.time() // 3600)
    if not any(hmac.compare_digest(sent, _login_token(request, b)) for b in (hour, hour - 1)):
        raise web.HTTPForbidden(text="CSRF token missing or wrong")
    authenticate = request.app[AUTH]
    identity = None
    if authenticate is not None:
        try:
            identity = await authenticate(
                str(form.get("username", ""))[:128],
                str(form.get("password", ""))[:1024],
                request.remote or "",
            )
        except LoginRefused as refused:
            return _login_refused(request, refused.status, refused.key, refused.retry_after)
    if identity is None:
        raise web.HTTPFound("/login?error=1")
    session = await new_session(request)  # a fresh key: no session fixation
    websession.to_session(session, identity)
    raise web.HTTPFound(safe_next(str(form.get("next", "/"))))


async def logout(request: web.Request) -> web.Response:
    identity = await current_identity(request, revalidate=False)
    if identity is not None:
        (await get_session(request)).invalidate()
        end = request.app.get(END_TOKEN)
        if end is not None and identity.api_token:
            await end(identity)
    raise web.HTTPFound("/login")


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
    # Least privilege: who is calling is for supervisors; other roles see the traffic only.
    shown = roles.may(request[IDENTITY].roles, roles.P.LIVE_CALLERS)
    calls = [
        {
            "caller_number": c.caller_number if shown else "—",
            "caller_name": c.caller_name if shown else "—",
            "state": c.state.value,
            "service": services.get(c.service, c.service),
            "agent": agents.get(c.answered_by or "", c.answered_by),
            "duration": int(now - c.started_at),
        }
        for c in engine.model.calls.values()
        if c.state.value != "ended"
    ]
    servers = [
        {
            "name": n,
            "up": s.ready.is_set(),
            "version": s.pbx_version,
            "ami_version": s.version,
            "reconnects": s.connects,
        }
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

        api = setup_crm_api(app, engine=crm_sql, gate=getattr(authenticate, "gate", None))
        from crm.api.context import CRM
        from crm.web import customers, knowledge  # issue 14 (h-people): back-office pages

        app[CRM] = api[CRM]  # the pages use the API's context: one engine, clock, number plan
        customers.setup_pages(app)
        knowledge.setup_pages(app)
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
