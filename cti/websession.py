"""Signed session cookies and login checks for the web surfaces.

A session is ``user|roles|expiry`` signed with HMAC-SHA256 under the site's web secret;
the cookie is HttpOnly and SameSite=Strict, and Secure when served over TLS. Pure
functions sign and verify; the aiohttp middleware lives in :mod:`cti.web`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

COOKIE = "cti_session"


@dataclass(frozen=True, slots=True)
class Identity:
    username: str
    roles: frozenset[str]
    api_token: str = field(default="", compare=False, repr=False)

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(identity: Identity, secret: str, now: float, ttl: float = 12 * 3600) -> str:
    body = f"{identity.username}|{','.join(sorted(identity.roles))}|{int(now + ttl)}"
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(f"{body}|{mac}".encode()).decode()


def verify(token: str, secret: str, now: float) -> Identity | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
        username, roles, expiry, mac = raw.split("|")
    except (ValueError, UnicodeDecodeError):
        return None
    body = f"{username}|{roles}|{expiry}"
    good = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, mac) or not expiry.isdigit() or int(expiry) < now:
        return None
    return Identity(username, frozenset(r for r in roles.split(",") if r))
