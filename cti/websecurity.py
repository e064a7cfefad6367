"""Request-level defences of the web app: trusted reverse proxies, Secure cookies, the
same-origin check, CSRF on cookie-authenticated writes, and safe post-login redirects.

* ``X-Forwarded-For`` / ``X-Forwarded-Proto`` / ``X-Forwarded-Host`` are believed only when
  the TCP peer is one of ``web.trusted_proxies``; from anyone else they are ignored.
* Every cookie is marked Secure when the request came over TLS (directly, or through a
  trusted proxy that says so).
* A write (POST/PUT/PATCH/DELETE) that carries the session cookie must carry the
  session's CSRF token (``X-CSRF-Token`` header or a ``csrf`` form field) and, if the
  browser names an Origin or Referer, it must be this site. Bearer-token API clients
  (an ``Authorization`` header and no cookie) need neither: a cross-site page cannot set
  that header without a CORS grant, which this app never gives.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import unquote, urlsplit

from aiohttp import web

from cti.websession import COOKIE

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_TOKEN: web.RequestKey[str] = web.RequestKey("csrf_token", str)


def _control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def safe_next(raw: str) -> str:
    """``raw`` if it is a path on this site, else ``/``. Browsers drop tab/CR/LF from
    URLs and read ``\\`` as ``/``, so ``/\\t/evil`` or ``/\\evil`` would leave the site."""
    for candidate in (raw, unquote(raw)):
        if (
            not candidate.startswith("/")
            or candidate.startswith("//")
            or "\\" in candidate
            or _control(candidate)
        ):
            return "/"
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return "/"
    return raw


def same_origin(request: web.Request) -> bool | None:
    """True/False when the browser named an Origin (or, failing that, a Referer);
    None when it named neither (not a browser: curl, the tests' clients)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return None
    if source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme == request.scheme and parts.netloc.lower() == request.host.lower()


def csrf_ok(request: web.Request, sent: str) -> bool:
    expected = request.get(CSRF_TOKEN, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def forwarded_middleware(trusted: Iterable[str]) -> Callable[..., Awaitable[web.StreamResponse]]:
    nets = [ipaddress.ip_network(n, strict=False) for n in trusted]

    def is_trusted(addr: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(addr or "")
        except ValueError:
            return False
        return any(ip in n for n in nets)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not nets or not is_trusted(request.remote):
            return await handler(request)
        changes: dict[str, str] = {}
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [h for h in hops if h]
        # The client is the right-most address that is not one of our proxies.
        while hops and is_trusted(hops[-1]):
            hops.pop()
        if hops:
            changes["remote"] = hops[-1]
        proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            changes["scheme"] = proto
        host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        if host and not _control(host) and "/" not in host:
            changes["host"] = host
        return await handler(request.clone(**changes) if changes else request)  # type: ignore[arg-type]

    return forwarded


def _mark_secure(request: web.Request, response: web.StreamResponse) -> None:
    if request.secure:
        for morsel in response.cookies.values():
            morsel["secure"] = True


@web.middleware
async def secure_cookies(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _mark_secure(request, exc)
        raise
    _mark_secure(request, response)
    return response


def refuse(status: int, title: str) -> web.Response:
    return web.json_response(
        {"type": "about:blank", "title": title, "status": status},
        status=status,
        content_type="application/problem+json",
    )


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Runs after the session is loaded (it sets ``CSRF_TOKEN``)."""
    if request.method not in UNSAFE or COOKIE not in request.cookies:
        return await handler(request)
    if request.path == "/login":
        return await handler(request)  # the form has its own token and origin check
    if same_origin(request) is False:
        return refuse(403, "Cross-site request refused")
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.content_type == "application/x-www-form-urlencoded":
        sent = str((await request.post()).get("csrf", ""))
    if not csrf_ok(request, sent):
        return refuse(403, "CSRF token missing or wrong")
    return await handler(request)
