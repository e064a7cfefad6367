"""Bilingual error pages: a 403 or 404 raised by any page handler reaches people as a
page in their language (the site's layout), not aiohttp's English one-liner.

JSON clients (``/api/``, ``*.json``, ``Accept: application/json``) and websockets keep
the response they were given; so does a handler that returned its own error page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

PAGES: dict[int, tuple[tuple[str, str], tuple[str, str]]] = {
    403: (
        ("无权访问", "Not allowed"),
        (
            "您的账号没有访问此页面的权限。如需访问，请联系管理员。",
            "Your account may not open this page. Ask an administrator if you need it.",
        ),
    ),
    404: (
        ("找不到该页面", "Page not found"),
        ("地址可能有误，或内容已被删除。", "The address may be wrong, or the item was removed."),
    ),
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
        from cti.web import render  # the layout lives there; imported late (it imports us)

        (title_zh, title_en), (body_zh, body_en) = PAGES[exc.status]
        resp = render(
            request,
            "error.html",
            title_pair=(title_zh, title_en),
            body_pair=(body_zh, body_en),
            status=exc.status,
        )
        resp.set_status(exc.status)
        return resp
