"""Build the CRM API application from the route table; every route is guarded."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy import Engine

from crm.api.context import CRM, CrmContext, authenticate
from crm.api.openapi import _SELF, PREFIX_KEY
from crm.api.problems import problem_middleware
from crm.api.routes import ROUTES, Handler, Route
from crm.login import LoginGate
from crm.phone import NumberPlan
from crm.uow import Clock, utc_now

ALL_ROUTES: tuple[Route, ...] = (*ROUTES, _SELF)


def guarded(route: Route) -> Handler:
    if route.public:
        return route.handler

    @wraps(route.handler)
    async def handler(request: web.Request) -> web.StreamResponse:
        await authenticate(request, route.permission)
        return await route.handler(request)

    return handler


def crm_api(
    engine: Engine,
    *,
    clock: Clock = utc_now,
    hasher: PasswordHasher | None = None,
    plan: NumberPlan | None = None,
    prefix: str = "/api",
    upload_limit: int = 10 * 1024 * 1024,
    gate: LoginGate | None = None,
    agent_names: Callable[[str], frozenset[str]] | None = None,
) -> web.Application:
    """A sub-application; mount it with ``app.add_subapp(prefix, crm_api(engine))``."""
    app = web.Application(middlewares=[problem_middleware], client_max_size=20 * 1024 * 1024)
    app[CRM] = CrmContext(
        engine=engine,
        clock=clock,
        hasher=hasher or PasswordHasher(),
        plan=plan or NumberPlan(),
        upload_limit=upload_limit,
        gate=gate or LoginGate(engine, hasher=hasher, clock=clock),
    )
    if agent_names is not None:
        app[CRM].agent_names = agent_names
    app[PREFIX_KEY] = prefix
    for route in ALL_ROUTES:
        app.router.add_route(route.method, route.path, guarded(route))
    return app


def setup_crm_api(
    app: web.Application, *, engine: Engine, prefix: str = "/api", **options: object
) -> web.Application:
    sub = crm_api(engine, prefix=prefix, **options)  # type: ignore[arg-type]
    app.add_subapp(prefix, sub)
    # The pages (crm/web) write through the same services with the same context.
    app[CRM] = sub[CRM]
    return sub
