"""The desk's browser phone, server side: its SIP credentials and its presence.

``GET /desk/phone-credentials`` hands the logged-in agent their own WebRTC endpoint's
secret (cti.phones keeps them, 0600), only to a user mapped to that agent, never cached,
never logged. The page and its scripts hold no secret: the desk asks for it at start.

:class:`PhoneWatch` keeps agents whose calls ring a browser phone out of routing while
that phone cannot ring: their last desk tab closed or lost its websocket, or Asterisk
says the endpoint's registration is gone (AMI ContactStatus Removed/Unreachable). They
become not ready with the reason ``phone_offline``; going ready again is their choice.
A reloaded tab (socket closed, registration removed, both back within a moment) is given
``GRACE`` seconds before it counts.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from agent_desktop.identity import agent_id_for
from crm.jsonbody import BadBody, parse_object
from cti import phones

log = logging.getLogger(__name__)

OFFLINE_REASON = "phone_offline"
GRACE = 1.5  # seconds a reloading tab has to come back
_GONE = frozenset({"Removed", "Unreachable"})
_HERE = frozenset({"Created", "Reachable", "Updated"})


def contact_change(event: Any) -> tuple[str, bool] | None:
    """(AOR, registered now?) from an AMI ContactStatus event, else None (pure)."""
    if getattr(event, "name", "") != "ContactStatus" or not event.get("AOR"):
        return None
    status = event.get("ContactStatus")
    if status in _GONE:
        return event.get("AOR"), False
    if status in _HERE:
        return event.get("AOR"), True
    return None


class PhoneWatch:
    def __init__(self, engine: Any, hub_count: Any) -> None:
        self.engine = engine
        self._hub_count = hub_count  # agent id -> open desk sockets
        self.offline_events = 0
        self.failures = 0
        self._secrets: dict[str, phones.PhoneCredential] = {}
        self._mtime: float | None = None
        self._registered: dict[str, bool] = {}  # endpoint -> as AMI last said
        self._reported: dict[str, bool] = {}  # agent id -> as their desk last said
        self._checks: dict[str, asyncio.TimerHandle] = {}

    def stop(self) -> None:
        for handle in self._checks.values():
            handle.cancel()
        self._checks.clear()

    # ---- which agents have a browser phone --------------------------------------------
    @property
    def config(self) -> Any:
        return self.engine.settings.phone

    def endpoint_of(self, agent_id: str) -> str | None:
        """The agent's WebRTC endpoint if their dial string rings it, else None."""
        router = self.engine.router.router
        agent = router.agents.get(agent_id)
        if agent is None or not self.config.websocket_url:
            return None
        ext = agent.profile.extension
        endpoint = phones.endpoint_for(ext, self.config.endpoint_suffix)
        devices = self.engine.settings.agent_dial(ext).split("&")
        return endpoint if f"PJSIP/{endpoint}" in devices else None

    def agent_of_endpoint(self, endpoint: str) -> str | None:
        for aid in self.engine.router.router.agents:
            if self.endpoint_of(aid) == endpoint:
                return aid
        return None

    # ---- presence ----------------------------------------------------------------------
    def on_ami_event(self, event: Any, now: float) -> None:
        change = contact_change(event)
        if change is None:
            return
        aor, here = change
        self._registered[aor] = here
        aid = self.agent_of_endpoint(aor)
        if aid is not None and not here:
            self._check_soon(aid, f"registration {event.get('ContactStatus')}")

    def reported(self, agent_id: str, registered: bool) -> None:
        """The desk's own word: its phone lost (or regained) its registration, e.g. the
        WebSocket to Asterisk dropped while the desk's own connection stayed up."""
        self._reported[agent_id] = registered
        if not registered and self.endpoint_of(agent_id) is not None:
            self._check_soon(agent_id, "desk reports phone unregistered")

    def desk_closed(self, agent_id: str) -> None:
        if self.endpoint_of(agent_id) is not None and self._hub_count(agent_id) == 0:
            self._check_soon(agent_id, "desk closed")

    def _check_soon(self, agent_id: str, why: str) -> None:
        old = self._checks.pop(agent_id, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._checks[agent_id] = loop.call_later(GRACE, self._check, agent_id, why)

    def _check(self, agent_id: str, why: str) -> None:
        self._checks.pop(agent_id, None)
        endpoint = self.endpoint_of(agent_id)
        if endpoint is None:
            return
        if (
            self._hub_count(agent_id) == 0
            or self._registered.get(endpoint) is False
            or self._reported.get(agent_id) is False
        ):
            self.offline(agent_id, why)

    def offline(self, agent_id: str, why: str) -> None:
        agent = self.engine.router.router.agents.get(agent_id)
        if agent is None or agent.state.value == "logged_out":
            return
        if agent.state.value == "not_ready" and agent.reason == OFFLINE_REASON:
            return
        try:
            self.engine.router.command(agent_id, "not_ready", OFFLINE_REASON)
        except Exception:  # one refused command never stops the watch
            self.failures += 1
            log.exception("phone offline: agent not set not ready", extra={"agent": agent_id})
            return
        self.offline_events += 1
        log.info("browser phone offline: agent not ready", extra={"agent": agent_id, "why": why})

    # ---- credentials -------------------------------------------------------------------
    def credential(self, extension: str) -> phones.PhoneCredential | None:
        path = self.config.secrets_path
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return None
        if mtime != self._mtime:  # `cti phones write-endpoints` ran again
            self._secrets, self._mtime = phones.load(path), mtime
        return self._secrets.get(extension)


PHONES: web.AppKey[PhoneWatch] = web.AppKey("desk_phones", PhoneWatch)


async def _agent_of(request: web.Request) -> str:
    """The agent behind a desk request, or an HTTP refusal."""
    from agent_desktop.ws import DESK, _identity  # the desk's own session check

    identity = await _identity(request)
    if identity is None:
        raise web.HTTPUnauthorized(text="log in")
    agent_id = agent_id_for(identity, request.app[DESK].notifier.router)
    if agent_id is None:
        raise web.HTTPForbidden(text="agents only")
    # Only the desk's own script asks (a custom header: no form or <script> can send it).
    if request.headers.get("X-CTI-Desk") != "phone":
        raise web.HTTPForbidden(text="desk requests only")
    return agent_id


async def phone_status(request: web.Request) -> web.Response:
    """POST {"registered": bool} from the agent's desk. A write with the session cookie:
    the custom header (which a cross-site page cannot send without CORS) and a same-origin
    Origin are its CSRF defence."""
    agent_id = await _agent_of(request)
    origin = request.headers.get("Origin")
    if origin is None or urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="cross-origin request refused")
    try:
        body = parse_object(await request.read())
    except BadBody as refused:
        raise web.HTTPBadRequest(text=str(refused)) from None
    if not isinstance(body.get("registered"), bool):
        raise web.HTTPBadRequest(text='{"registered": true|false} expected')
    request.app[PHONES].reported(agent_id, body["registered"])
    return web.json_response({"ok": True})


async def phone_credentials(request: web.Request) -> web.Response:
    from agent_desktop.ws import DESK

    agent_id = await _agent_of(request)
    desk = request.app[DESK]
    watch = request.app[PHONES]
    endpoint = watch.endpoint_of(agent_id)
    agent = desk.notifier.router.agents[agent_id]
    cred = watch.credential(agent.profile.extension) if endpoint else None
    if endpoint is None or cred is None or cred.username != endpoint:
        raise web.HTTPNotFound(text="no browser phone for this agent")
    url = watch.config.websocket_url
    host = urlsplit(url).hostname or "localhost"
    body = {
        "websocket_url": url,
        "uri": f"sip:{cred.username}@{host}",
        "username": cred.username,
        "password": cred.secret,
        "display_name": agent.profile.name,
        "extension": agent.profile.extension,
        # Transfers from the phone ring a colleague's browser phone where they have one.
        "browser_extensions": sorted(
            a.profile.extension
            for aid, a in desk.notifier.router.agents.items()
            if watch.endpoint_of(aid) is not None
        ),
        "endpoint_suffix": watch.config.endpoint_suffix,
    }
    resp = web.json_response(body)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
