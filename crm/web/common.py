"""What the admin and report pages share: the CRM context, the actor, forms, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from multidict import MultiDictProxy

from crm.api.context import CRM, CrmContext
from cti.webkit.keys import SETTINGS
from cti.webkit.pages import identity

T = TypeVar("T")
# Form fields are short: names, codes, numbers. Anything longer is refused, not truncated.
MAX_FIELD = 1000


def crm(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


def actor(request: web.Request) -> str:
    return identity(request).username


def zone(request: web.Request) -> str:
    settings = request.config_dict.get(SETTINGS)
    return getattr(settings, "time_zone", None) or "Asia/Shanghai"


async def in_thread(fn: Callable[[], T]) -> T:
    return await asyncio.to_thread(fn)


async def form(request: web.Request) -> MultiDictProxy[Any]:
    data = await request.post()
    for key, value in data.items():
        if not isinstance(value, str) or len(value) > MAX_FIELD:
            raise ValueError(f"{key}: a text field of at most {MAX_FIELD} characters")
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise ValueError(f"{key}: not valid text")
    return data


def text(data: MultiDictProxy[Any], name: str, *, required: bool = True) -> str:
    value = str(data.get(name, "")).strip()
    if required and not value:
        raise ValueError(f"{name}: required")
    return value


def number(data: MultiDictProxy[Any], name: str, *, required: bool = True) -> int | None:
    raw = text(data, name, required=required)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: a whole number") from None


def decimal(data: MultiDictProxy[Any], name: str) -> float:
    try:
        return float(text(data, name))
    except ValueError:
        raise ValueError(f"{name}: a number") from None


def back(path: str) -> web.HTTPSeeOther:
    """After a write: back to the page (POST/redirect/GET, no resubmit on reload)."""
    return web.HTTPSeeOther(path)
