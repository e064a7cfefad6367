"""Who is asking: the session's user, revalidated against the CRM so revoked sessions end.

Moved here from ``cti.web`` so features (the desk's websockets) need not import the app.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import STORAGE_KEY, get_session

from cti import websession
from cti.webkit.keys import REVALIDATE
from cti.websecurity import CSRF_TOKEN
from cti.websession import COOKIE, Identity


async def current_identity(request: web.Request, *, revalidate: bool = True) -> Identity | None:
    """The session's user; a session whose CRM token was revoked (logout elsewhere,
    deactivation, a new role or password) is ended here, on its next request."""
    if COOKIE not in request.cookies:
        return None
    session = await get_session(request)
    identity = websession.from_session(session)
    if identity is None:
        return None
    check = request.config_dict.get(REVALIDATE)
    if revalidate and check is not None and identity.api_token:
        fresh = await check(identity)
        if fresh is None or fresh.roles != identity.roles:
            session.invalidate()
            return None
    request[CSRF_TOKEN] = str(session.get("csrf", ""))
    return identity


async def session_still_valid(request: web.Request, identity: Identity) -> Identity | None:
    """For long-lived requests (websockets): is the session still in the store, and its
    token still live? Reads the store afresh, not the copy loaded at the handshake."""
    storage = request[STORAGE_KEY]
    session = await storage.load_session(request)
    now = websession.from_session(session)
    if now is None or now.username != identity.username:
        return None
    check = request.config_dict.get(REVALIDATE)
    if check is not None and now.api_token:
        fresh = await check(now)
        if fresh is None or fresh.roles != now.roles:
            return None
    return now
