"""The two websocket endpoints: ``/desk/ws`` (one agent's tabs) and ``/wallboard/ws``.

The handshake needs a valid session (the web app's middleware), a same-origin
``Origin`` and the right role; an agent's socket is bound to the routing agent the user
maps to. Every message is then checked again: the session must still be valid, the
message must parse against the schema of that surface, and the command's own checks
(whose call it is) must pass. A refused message gets an error reply on that socket only;
an oversized frame closes that socket (1009); neither touches any other connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from agent_desktop import commands
from agent_desktop.hub import Connection
from agent_desktop.identity import agent_id_for, may_watch
from agent_desktop.notifier import agent_topic
from agent_desktop.protocol import (
    AGENT_COMMANDS,
    MAX_MESSAGE,
    SUPERVISOR_COMMANDS,
    Command,
    Refused,
    Schema,
    parse,
)
from agent_desktop.service import WALLBOARD, Desk
from cti.roles import WS_COMMANDS, may
from cti.webkit.session import current_identity, session_still_valid
from cti.websecurity import same_origin
from cti.websession import Identity

log = logging.getLogger(__name__)

DESK: web.AppKey[Desk] = web.AppKey("agent_desk", Desk)
Handler = Callable[[Command], Awaitable[dict[str, Any]]]


# An idle socket learns this often that its session was revoked (logout elsewhere,
# deactivation, a new role or password) and is closed; any message checks at once.
RECHECK_SECONDS = 2.0


async def _identity(request: web.Request) -> Identity | None:
    return await current_identity(request)


def _same_origin(request: web.Request) -> bool:
    # Browsers always send Origin on a websocket; a client without one is not a browser.
    return same_origin(request) is not False


def _problem(status: int, title: str) -> web.Response:
    return web.json_response(
        {"type": "about:blank", "title": title, "status": status},
        status=status,
        content_type="application/problem+json",
    )


async def _serve(
    request: web.Request,
    identity: Identity,
    topics: list[str],
    schema: dict[str, Schema],
    handle: Handler,
    first: Callable[[], dict[str, Any]],
    still_allowed: Callable[[Identity], bool],
) -> web.StreamResponse:
    desk = request.app[DESK]
    surface = request.match_info.route.resource.canonical  # type: ignore[union-attr]
    # aiohttp itself refuses bigger frames and closes with 1009 (message too big).
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=30.0)
    await ws.prepare(request)
    conn = desk.hub.connection(ws, identity.username, topics)

    async def on_text(text: str) -> None:
        rid: Any = None
        try:
            now_identity = await session_still_valid(request, identity)
            if now_identity is None or not still_allowed(now_identity):
                raise Refused("unauthorized", "the session has ended; log in again")
            cmd = parse(text, schema)
            rid = cmd.request_id
            need = WS_COMMANDS[surface].get(cmd.type)
            if need is None or not may(now_identity.roles, need):
                raise Refused("forbidden", "your role may not send this")
            result = await handle(cmd)
            conn.send({"type": "result", "id": rid, "ok": True, **result})
        except Refused as exc:
            conn.send(
                {
                    "type": "error",
                    "id": exc.request_id if rid is None else rid,
                    "code": exc.code,
                    "detail": exc.detail,
                    **exc.data,
                }
            )
            if exc.code == "unauthorized":
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"unauthorized")

    async def watch() -> None:
        while not ws.closed:
            await asyncio.sleep(RECHECK_SECONDS)
            now_identity = await session_still_valid(request, identity)
            if now_identity is None or not still_allowed(now_identity):
                log.info("session ended; desk socket closed", extra={"user": identity.username})
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"unauthorized")
                return

    async def read(c: Connection) -> None:
        watcher = asyncio.create_task(watch(), name=f"ws-session-{identity.username}")
        try:
            await _read(c)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _read(c: Connection) -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await on_text(msg.data)
            elif msg.type == WSMsgType.BINARY:
                conn.send(
                    {"type": "error", "id": None, "code": "malformed", "detail": "send text frames"}
                )
            elif msg.type == WSMsgType.ERROR:
                log.info(
                    "websocket refused a frame",
                    extra={"user": identity.username, "error": str(ws.exception())},
                )
                break

    await desk.hub.serve(conn, read, on_open=lambda c: c.send(first()))
    return ws


async def desk_ws(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    identity = await _identity(request)
    if identity is None:
        return _problem(401, "Unauthorized")
    if not _same_origin(request):
        return _problem(403, "Cross-origin websocket refused")
    agent_id = agent_id_for(identity, desk.notifier.router)
    if agent_id is None:
        return _problem(403, "Not an agent")
    announcements: list[dict[str, Any]] = []
    if desk.crm is not None:
        announcements = await asyncio.to_thread(desk.crm.announcements, identity.username)

    async def handle(cmd: Command) -> dict[str, Any]:
        return await commands.agent_command(desk, agent_id, identity.username, cmd)

    return await _serve(
        request,
        identity,
        [agent_topic(agent_id)],
        AGENT_COMMANDS,
        handle,
        lambda: desk.notifier.snapshot(agent_id, announcements),
        lambda who: agent_id_for(who, desk.notifier.router) == agent_id,
    )


async def wallboard_ws(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    identity = await _identity(request)
    if identity is None:
        return _problem(401, "Unauthorized")
    if not _same_origin(request):
        return _problem(403, "Cross-origin websocket refused")
    if not may_watch(identity):
        return _problem(403, "Supervisors only")

    async def handle(cmd: Command) -> dict[str, Any]:
        return await commands.supervisor_command(desk, identity.username, cmd)

    return await _serve(
        request, identity, [WALLBOARD], SUPERVISOR_COMMANDS, handle, desk.wallboard, may_watch
    )
