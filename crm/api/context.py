"""What every handler needs: the engine, the clock, the password hasher, the caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy import Engine

from crm.api import values
from crm.auth import AuthError, user_for_token
from crm.jsonbody import parse_object
from crm.login import LoginGate
from crm.model.organization import Permission, User
from crm.phone import NumberPlan
from crm.uow import Clock, UnitOfWork

T = TypeVar("T")


@dataclass
class CrmContext:
    engine: Engine
    clock: Clock
    hasher: PasswordHasher
    plan: NumberPlan
    upload_limit: int = 10 * 1024 * 1024  # bytes; a larger customer file is refused (413)
    gate: LoginGate | None = None  # shared with the web login form: one throttle
    # The names a user goes by in call records (their agent id and extension); the web
    # app that runs the engine knows them, a bare CRM API knows only the user name.
    agent_names: Callable[[str], frozenset[str]] = lambda username: frozenset({username})

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.engine, clock=self.clock, write=write)


CRM = web.AppKey("crm", CrmContext)
USER = web.RequestKey("crm_user", User)
# Set by the web app for a request that carries a browser session: that session's token.
# (The web app has checked the session's CSRF token and origin before a write.)
SESSION_TOKEN = web.RequestKey("crm_session_token", str)


def ctx(request: web.Request) -> CrmContext:
    return request.config_dict[CRM]


def user(request: web.Request) -> User:
    return request[USER]


def actor(request: web.Request) -> str:
    return user(request).username


async def in_thread(fn: Callable[[], T]) -> T:
    # SQLAlchemy is synchronous here; keep the event loop free while the database works.
    return await asyncio.to_thread(fn)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.get(SESSION_TOKEN) or None


async def authenticate(request: web.Request, permission: Permission | None) -> User:
    from crm.api.problems import Forbidden

    token = bearer_token(request)
    if token is None:
        raise AuthError("log in first: send 'Authorization: Bearer <token>'")
    context = ctx(request)

    def check() -> User:
        with context.uow(write=False) as uow:
            return user_for_token(uow, token)

    found = await in_thread(check)
    if permission is not None and not found.can(permission):
        raise Forbidden(f"role {found.role.value} lacks permission {permission.value}")
    request[USER] = found
    return found


def plain(value: Any) -> Any:
    """Dataclasses, enums and datetimes as JSON-ready values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in fields(value)
            if f.name not in ("events", "password_hash")
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def reply(value: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(plain(value), ensure_ascii=False),
        content_type="application/json",
    )


async def body(request: web.Request) -> dict[str, Any]:
    return parse_object(await request.read())


def as_id(name: str, text: str) -> int:
    return values.an_id(name, text)


def path_int(request: web.Request, name: str) -> int:
    return as_id(name, request.match_info[name])


def query_id(query: Any, name: str) -> int | None:
    return as_id(name, query[name]) if name in query else None


def when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"datetime {value!r} needs a timezone offset")
    return parsed
