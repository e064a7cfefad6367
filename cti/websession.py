"""Server-side sessions for the web surfaces (aiohttp-session with a store).

The cookie holds only a random key; what it stands for lives on the server, so a session
ends for good when it is removed there. A session records the user, their roles, the
CRM token issued at login and the CSRF token of that session. It ends when:

* the user logs out (the store forgets the key and the CRM token is deleted);
* its lifetime (``web.session_hours``, 12 by default) runs out;
* the user is deactivated, or their role or password changes: that deletes their CRM
  tokens, and every request (and every websocket message) checks the session's token
  against the database, so this holds across processes and nodes.

Stores: ``memory`` (the default; each web process keeps its own sessions: one node, or
sticky sessions behind a balancer) and ``redis`` (aiohttp-session's RedisStorage on the
site's Redis, shared by every web node).
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp_session import AbstractStorage, Session

# aiohttp-session 2.12 keys requests with plain strings; aiohttp warns on every request.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")

COOKIE = "cti_session"
DEFAULT_LIFETIME = 12 * 3600


@dataclass(frozen=True, slots=True)
class Identity:
    username: str
    roles: frozenset[str]
    api_token: str = field(default="", compare=False, repr=False)

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_csrf() -> str:
    return secrets.token_hex(32)


def to_session(session: Session, identity: Identity) -> None:
    session["user"] = identity.username
    session["roles"] = sorted(identity.roles)
    session["token"] = identity.api_token
    session["csrf"] = new_csrf()


def from_session(session: Session) -> Identity | None:
    user, roles = session.get("user"), session.get("roles")
    if not isinstance(user, str) or not isinstance(roles, list):
        return None
    return Identity(user, frozenset(roles), api_token=str(session.get("token", "")))


class MemoryStorage(AbstractStorage):
    """Sessions in this process's memory. Entries exist only for logged-in users (the
    login form needs none), expire with the session and are swept as new ones come."""

    def __init__(self, *, max_age: int = DEFAULT_LIFETIME) -> None:
        super().__init__(cookie_name=COOKIE, max_age=max_age, httponly=True, samesite="Strict")
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self._data)

    async def load_session(self, request: web.Request) -> Session:
        key = self.load_cookie(request)
        entry = self._data.get(key) if key else None
        if entry is None or entry[0] < time.time():
            return Session(None, data=None, new=True, max_age=self.max_age)
        return Session(key, data=entry[1], new=False, max_age=self.max_age)  # type: ignore[arg-type]

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        key = session.identity
        if session.empty:
            if key is not None:
                self._data.pop(str(key), None)
            self.save_cookie(response, "", max_age=session.max_age)
            return
        if key is None:
            key = secrets.token_urlsafe(32)
            self._sweep()
        lifetime = session.max_age or DEFAULT_LIFETIME
        self._data[str(key)] = (
            session.created + lifetime,
            dict(self._get_session_data(session)),
        )
        self.save_cookie(response, str(key), max_age=session.max_age)

    def _sweep(self) -> None:
        now = time.time()
        for key in [k for k, (expiry, _) in self._data.items() if expiry < now]:
            del self._data[key]


def make_storage(store: str, lifetime: int, redis_url: str | None) -> AbstractStorage:
    if store == "redis":
        if not redis_url:
            raise ValueError("web.session_store: redis needs redis.url")
        import redis.asyncio as aioredis
        from aiohttp_session.redis_storage import RedisStorage

        return RedisStorage(
            aioredis.from_url(redis_url),
            cookie_name=COOKIE,
            max_age=lifetime,
            httponly=True,
            samesite="Strict",
            key_factory=lambda: secrets.token_urlsafe(32),
        )
    return MemoryStorage(max_age=lifetime)
