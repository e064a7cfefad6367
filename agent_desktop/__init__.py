"""The agent desktop and the supervisor wallboard (aiohttp + Jinja2 + plain JavaScript).

``setup(app, engine, crm_sql)`` mounts everything into the web app that ``cti.web``
builds: pages ``/desk`` and ``/wallboard``, websockets ``/desk/ws`` and
``/wallboard/ws``, ``/wallboard/data.json`` and the scripts under ``/desk/static/``.
The desk subscribes to the engine's bus when the app starts and leaves it, closing every
websocket with GOING_AWAY, when the app stops.

Users map to routing agents by name: see :mod:`agent_desktop.identity`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["DESK", "DeskConfig", "setup"]

from agent_desktop.service import Desk, DeskConfig
from agent_desktop.ws import DESK
from crm.model import words
from cti.webkit.i18n import N_
from cti.webkit.nav import add_nav

log = logging.getLogger(__name__)


def setup(
    app: web.Application,
    engine: Any,
    crm_sql: Any = None,
    config: DeskConfig | None = None,
) -> Desk:
    from agent_desktop import views, ws
    from agent_desktop.crmview import CrmDesk

    desk = Desk(engine, CrmDesk(crm_sql) if crm_sql is not None else None, config)
    app[DESK] = desk
    app.router.add_get("/desk", views.desk_page)
    app.router.add_get("/desk/ws", ws.desk_ws)
    app.router.add_get("/desk/static/{name}", views.static)
    app.router.add_get("/wallboard", views.wallboard_page)
    app.router.add_get("/wallboard/ws", ws.wallboard_ws)
    app.router.add_get("/wallboard/data.json", views.wallboard_json)
    add_nav(app, "/desk", N_("Agent desk"), 10, only=("agent",))
    add_nav(app, "/wallboard", N_("Wallboard"), 30)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if crm_sql is not None:
            # jieba loads its dictionary on first use (about a second): before the first
            # call, not while its screen pop waits for the knowledge-base suggestions.
            await asyncio.to_thread(words.warm_up)
        try:
            await desk.rebuild_today()
        except SQLAlchemyError:
            # The wallboard still works from the events; only today's earlier calls are
            # missing from its totals, which the log says.
            log.exception("wallboard totals not rebuilt from the CRM")
        desk.subscribe()
        task = asyncio.create_task(desk.run(), name="agent-desk")
        try:
            yield
        finally:
            desk.unsubscribe()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def going_away(app: web.Application) -> None:
        await desk.hub.close_all()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(going_away)
    return desk
