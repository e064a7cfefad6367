"""The pages every install has: login, logout, /health, the status page and /calls.json.

Login posts carry a signed hour stamp as their CSRF token (no session exists yet) and
pass the same-origin check; a fresh session key is issued at login (no fixation).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp_session import get_session, new_session

from cti import roles, websession
from cti.webkit import nav
from cti.webkit.i18n import N_, lang_of, translate
from cti.webkit.pages import identity, render
from cti.webkit.session import current_identity
from cti.websecurity import safe_next, same_origin
from cti.websession import Identity

if TYPE_CHECKING:
    from cti.engine import Engine

# (username, password, client address) -> the user, None for a wrong password, or
# LoginRefused when throttled or busy.
Authenticator = Callable[[str, str, str], Awaitable[Identity | None]]
TokenEnder = Callable[[Identity], Awaitable[None]]

ENGINE: web.AppKey[Engine] = web.AppKey("engine")
AUTH: web.AppKey[Authenticator | None] = web.AppKey("authenticate")
SECRET: web.AppKey[str] = web.AppKey("secret")
END_TOKEN: web.AppKey[TokenEnder | None] = web.AppKey("end_token")

CALL_STATES = {
    "new": N_("new"),
    "ivr": N_("in IVR"),
    "waiting": N_("waiting"),
    "ringing": N_("ringing"),
    "connected": N_("connected"),
    "on_hold": N_("on hold"),
    "wrap_up": N_("wrap-up"),
    "ended": N_("ended"),
}


class LoginRefused(Exception):
    """A login refused before the password was checked: throttled (429) or busy (503)."""

    def __init__(self, status: int, key: str, retry_after: int) -> None:
        super().__init__(key)
        self.status, self.key, self.retry_after = status, key, retry_after


def _login_token(request: web.Request, bucket: int) -> str:
    msg = f"login|{bucket}".encode()
    return hmac.new(request.app[SECRET].encode(), msg, "sha256").hexdigest()


async def login_page(request: web.Request) -> web.Response:
    # No session exists before login, so the form's token is a signed hour stamp; a forged
    # cross-site login is stopped by the Origin check in login_post.
    return render(
        request,
        "core_login.html",
        csrf_token=_login_token(request, int(time.time() // 3600)),
        next=safe_next(request.query.get("next", "/")),
        error=bool(request.query.get("error")),
    )


def _login_refused(request: web.Request, status: int, key: str, retry_after: int) -> web.Response:
    resp = render(request, "core_login.html", status=status,
                  csrf_token=_login_token(request, int(time.time() // 3600)),
                  next="/", error=False, refusal=key, retry_after=retry_after)  # fmt: skip
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
    who = None
    if authenticate is not None:
        try:
            who = await authenticate(
                str(form.get("username", ""))[:128],
                str(form.get("password", ""))[:1024],
                request.remote or "",
            )
        except LoginRefused as refused:
            return _login_refused(request, refused.status, refused.key, refused.retry_after)
    if who is None:
        raise web.HTTPFound("/login?error=1")
    session = await new_session(request)  # a fresh key: no session fixation
    websession.to_session(session, who)
    raise web.HTTPFound(safe_next(str(form.get("next", "/"))))


async def logout(request: web.Request) -> web.Response:
    who = await current_identity(request, revalidate=False)
    if who is not None:
        (await get_session(request)).invalidate()
        end = request.app.get(END_TOKEN)
        if end is not None and who.api_token:
            await end(who)
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
    zh = lang_of(request) == "zh"
    services = {
        s.name: (s.label_zh if zh else s.label_en) or s.name for s in engine.settings.services
    }
    agents = {a.extension: a.name for a in engine.settings.agents}
    # Least privilege: who is calling is for supervisors; other roles see the traffic only.
    shown = roles.may(identity(request).roles, roles.P.LIVE_CALLERS)
    calls = [
        {
            "caller_number": c.caller_number if shown else "—",
            "caller_name": c.caller_name if shown else "—",
            "state": c.state.value,
            "state_label": translate(request, CALL_STATES.get(c.state.value, c.state.value)),
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
        "core_status.html",
        calls=calls,
        servers=servers,
        ended=engine.model.ended_count,
        written=engine.writer.written,
        journal=engine.journal.depth,
        refresh=3,
    )


async def calls_json(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({cid: state.value for cid, state in engine.model.live().items()})


def setup_pages(app: web.Application) -> None:
    app.router.add_get("/health", health)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_post)
    app.router.add_get("/logout", logout)
    app.router.add_get("/", nav.home)
    app.router.add_get("/status", status_page)
    app.router.add_get("/calls.json", calls_json)
    nav.add_nav(app, "/status", N_("System status"), 90)
