"""HTTP routes for agent states, queues and routing reload (mounted into the web app).

Under ``/routing/``, so the web app's session check applies. Changes are POSTs with a
JSON body (a cross-site form cannot send one, and the session cookie is SameSite=Strict).
Domain errors map to HTTP here, at the edge: an illegal state change is 409, an unknown
agent 404, a broken configuration 422 with the file, line and key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from crm.jsonbody import BadBody, parse_object
from cti.roles import P, may
from cti.yamlsource import ConfigError
from routing.model import RoutingError

if TYPE_CHECKING:
    from cti.engine import Engine
    from routing.executor import RoutingExecutor

EXECUTOR: web.AppKey[Any] = web.AppKey("routing_executor")
COMMANDS = ("login", "logout", "ready", "not_ready")


def _require(request: web.Request, need: P) -> web.Response | None:
    """A 403 problem unless the role table grants the logged-in user ``need`` (the web
    app's middleware checked the route already; this keeps the handler safe alone)."""
    from cti.webkit.keys import IDENTITY

    identity = request.get(IDENTITY)
    if identity is None:
        return _problem(401, "Log in first")
    if not may(identity.roles, need):
        return _problem(403, "Forbidden", f"needs permission {need.value}")
    return None


def _problem(status: int, title: str, detail: str = "") -> web.Response:
    return web.json_response(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def agents_view(ex: RoutingExecutor) -> list[dict[str, Any]]:
    return [
        {
            "id": a.id,
            "name": a.profile.name,
            "extension": a.extension,
            "state": a.state.value,
            "reason": a.reason,
            "since": a.since,
            "call_id": a.call_id,
            "calls_today": a.calls_today,
            "skills": a.skills,
            "languages": sorted(a.profile.languages),
        }
        for a in ex.router.agents.values()
    ]


def queues_view(ex: RoutingExecutor, now: float) -> list[dict[str, Any]]:
    r = ex.router
    waiting: dict[str, list[float]] = {}
    for call in r.waiting():
        waiting.setdefault(call.service, []).append(now - call.queued_at)
    out = []
    for name, svc in r.services.items():
        st = r.stats.get(name)
        handled = (st.answered + st.abandoned) if st else 0
        out.append(
            {
                "service": name,
                "waiting": len(waiting.get(name, [])),
                "longest_wait": round(max(waiting.get(name, [0.0])), 1),
                "answered": st.answered if st else 0,
                "abandoned": st.abandoned if st else 0,
                "service_level": round(100.0 * st.answered_in_target / handled, 1)
                if st and handled
                else None,
                "target": {"percent": svc.target_percent, "seconds": svc.target_seconds},
            }
        )
    return out


async def list_agents(request: web.Request) -> web.Response:
    if (refused := _require(request, P.ROUTING_VIEW)) is not None:
        return refused
    return web.json_response(agents_view(request.app[EXECUTOR]))


async def list_queues(request: web.Request) -> web.Response:
    if (refused := _require(request, P.ROUTING_VIEW)) is not None:
        return refused
    ex = request.app[EXECUTOR]
    return web.json_response(queues_view(ex, ex._clock()))


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    if not request.can_read_body:
        return {}
    try:
        return parse_object(await request.read())
    except BadBody as refused:
        raise web.HTTPBadRequest(text=str(refused)) from None


async def agent_command(request: web.Request) -> web.Response:
    ex = request.app[EXECUTOR]
    agent_id, action = request.match_info["agent"], request.match_info["command"]
    if action not in COMMANDS:
        return _problem(404, "Unknown command", f"use one of {', '.join(COMMANDS)}")
    body = await _body(request)
    reason = str(body.get("reason", ""))[:64]
    if agent_id not in ex.router.agents:
        return _problem(404, "No such agent", agent_id)
    # Supervisors move anyone; an agent only themselves (user name = agent id or extension).
    if _require(request, P.ROUTING_VIEW) is not None:  # not a supervisor: only oneself
        from cti.webkit.keys import IDENTITY

        identity = request.get(IDENTITY)
        agent = ex.router.agents[agent_id]
        own = identity is not None and identity.username in (agent.id, agent.extension)
        if not own or not may(identity.roles, P.AGENT_STATE):
            return _problem(403, "Forbidden", "agents may change only their own state")
    try:
        ex.command(agent_id, action, reason)
    except RoutingError as exc:
        return _problem(409, "Not allowed in this state", str(exc))
    agent = ex.router.agents[agent_id]
    return web.json_response({"id": agent_id, "state": agent.state.value, "reason": agent.reason})


async def reload(request: web.Request) -> web.Response:
    if (refused := _require(request, P.ROUTING_RELOAD)) is not None:
        return refused
    ex = request.app[EXECUTOR]
    await _body(request)
    try:
        cfg = ex.reload()
    except ConfigError as exc:
        return _problem(422, "Configuration refused; the previous one stays", str(exc))
    return web.json_response(
        {"source": cfg.source, "services": len(cfg.services), "agents": len(cfg.agents)}
    )


async def callback(request: web.Request) -> web.Response:
    if (refused := _require(request, P.CALLBACK_REQUEST)) is not None:
        return refused
    ex = request.app[EXECUTOR]
    body = await _body(request)
    number = str(body.get("number", ""))
    if not number.isdigit() or len(number) > 20:
        return _problem(400, "A callback needs a phone number of digits")
    if not ex.request_callback(request.match_info["call"], number):
        return _problem(409, "The call is not waiting")
    return web.json_response({"call_id": request.match_info["call"], "callback": number})


def mount_routing(app: web.Application, engine: Engine) -> None:
    app[EXECUTOR] = engine.router
    app.router.add_get("/routing/agents", list_agents)
    app.router.add_post("/routing/agents/{agent}/{command}", agent_command)
    app.router.add_get("/routing/queues", list_queues)
    app.router.add_post("/routing/reload", reload)
    app.router.add_post("/routing/calls/{call}/callback", callback)
