"""Bilingual error pages: a 403 or 404 raised by any page handler reaches people as a
page in their language (the site's layout), not aiohttp's English one-liner.

JSON clients (``/api/``, ``*.json``, ``Accept: application/json``) and websockets keep
the response they were given; so does a handler that returned its own error page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from cti.webkit.i18n import N_, translate
from cti.webkit.pages import render

PAGES: dict[int, tuple[str, str]] = {
    403: (
        N_("Not allowed"),
        N_("Your account may not open this page. Ask an administrator if you need it."),
    ),
    404: (N_("Page not found"), N_("The address may be wrong, or the item was removed.")),
}


def wants_html(request: web.Request) -> bool:
    if request.path.startswith("/api/") or request.path.endswith(".json"):
        return False
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return False
    accept = request.headers.get("Accept", "")
    return "text/html" in accept or accept in ("", "*/*")


@web.middleware
async def error_pages(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status not in PAGES or not wants_html(request):
            raise
        title, body = PAGES[exc.status]
        return render(
            request,
            "core_error.html",
            status=exc.status,
            title=translate(request, title),
            body=translate(request, body),
        )
