"""Mount the ticket-work pages (issue 14) on the web app."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm.web import announcements, dispatch, followups, incidents, tickets
from crm.web.page import SITE_ZONE


def setup_work_pages(app: web.Application, settings: Any = None) -> None:
    app[SITE_ZONE] = str(getattr(settings, "time_zone", None) or "Asia/Shanghai")
    for module in (tickets, dispatch, followups, incidents, announcements):
        module.setup_pages(app)
