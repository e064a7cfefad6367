"""The keys the toolkit and the composer share on the app and the request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
from aiohttp import web

from cti.websession import Identity

# The session's user as the database sees them now, or None once revoked.
Revalidator = Callable[[Identity], Awaitable[Identity | None]]

IDENTITY: web.RequestKey[Identity] = web.RequestKey("identity", Identity)
# One Jinja2 environment per language (the i18n extension bound to that catalog).
JINJA: web.AppKey[dict[str, jinja2.Environment]] = web.AppKey("webkit_jinja", dict)
REVALIDATE: web.AppKey[Revalidator | None] = web.AppKey("revalidate")
# The site's settings (``time_zone``, ``services``...); Any: the toolkit reads, never owns.
SETTINGS: web.AppKey[Any] = web.AppKey("webkit_settings")
