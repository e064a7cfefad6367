"""The layout's navigation and each role's home.

Features add their pages to the navigation in their ``setup_pages(app)`` with
:func:`add_nav`; a user sees an entry only if the role table lets their role open it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from cti import roles
from cti.websession import Identity


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str  # English msgid, translated when shown
    order: int = 100
    # Shown only to these roles (for pages whose handler asks more than the role table,
    # like the desk, which needs a user linked to an agent); None: whoever may open it.
    only: frozenset[str] | None = None


NAV: web.AppKey[list[NavItem]] = web.AppKey("webkit_nav", list)

# Each role's home; a user with several roles goes to the first of theirs in this order.
HOMES: tuple[tuple[str, str], ...] = (
    ("admin", "/admin/users"),
    ("supervisor", "/dispatch"),
    ("qa", "/recordings"),
    ("department_staff", "/tickets/queue"),
    ("agent", "/desk"),
)


def add_nav(
    app: web.Application,
    path: str,
    label: str,
    order: int = 100,
    only: tuple[str, ...] | None = None,
) -> None:
    """Show ``path`` (a GET route in the role table) in the navigation as ``label``
    (an English msgid marked with ``N_``), sorted by ``order``."""
    if NAV not in app:
        app[NAV] = []
    app[NAV].append(NavItem(path, label, order, frozenset(only) if only else None))


def _registered(app: web.Application, path: str) -> bool:
    for resource in app.router.resources():
        if getattr(resource, "canonical", None) == path:
            return True
    return False


def may_open(identity: Identity | None, path: str) -> bool:
    if identity is None:
        return False
    need = roles.need_for("GET", path)
    return need is not None and roles.may(identity.roles, need)


def nav_for(app: web.Application, identity: Identity | None) -> list[NavItem]:
    items = sorted(app.get(NAV, []), key=lambda i: (i.order, i.path))
    return [
        i
        for i in items
        if may_open(identity, i.path)
        and _registered(app, i.path)
        and (i.only is None or (identity is not None and bool(i.only & identity.roles)))
    ]


def home_for(app: web.Application, identity: Identity) -> str:
    """The role's home; until a home page exists, the first page the role may open."""
    for role, path in HOMES:
        if role in identity.roles and any(i.path == path for i in nav_for(app, identity)):
            return path
    for item in nav_for(app, identity):
        return item.path
    return "/logout"


async def home(request: web.Request) -> web.Response:
    from cti.webkit.pages import identity

    raise web.HTTPFound(home_for(request.app, identity(request)))
