from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from sqlalchemy import Engine

from crm.api import setup_crm_api
from crm.api.app import ALL_ROUTES
from crm.auth import create_user
from crm.model.organization import ROLE_PERMISSIONS, Role
from crm.uow import UnitOfWork

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct-horse"


class Api:
    def __init__(self, client: TestClient, tokens: dict[Role, str]) -> None:
        self.client, self.tokens = client, tokens

    async def call(
        self,
        method: str,
        path: str,
        role: Role | None = Role.ADMIN,
        json: Any = None,
        expect: int | None = 200,
    ) -> Any:
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        async with self.client.request(
            method, "/api" + path, json=json, headers=headers
        ) as response:
            data = await response.json(content_type=None)
            if expect is not None:
                assert response.status == expect, data
            return data


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    async with open_api(engine) as opened:
        yield opened


@asynccontextmanager
async def open_api(engine: Engine, **options: Any) -> AsyncIterator[Api]:
    """The API on a test server with one logged-in user per role (``u_<role>``)."""
    with UnitOfWork(engine) as uow:
        for role in Role:
            create_user(uow, username=f"u_{role.value}", password=PASSWORD, role=role, hasher=FAST)
        uow.commit()
    app = web.Application()
    setup_crm_api(app, engine=engine, hasher=FAST, **options)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        tokens = {}
        for role in Role:
            async with client.post(
                "/api/login", json={"username": f"u_{role.value}", "password": PASSWORD}
            ) as response:
                assert response.status == 200
                tokens[role] = (await response.json())["token"]
        client.session.cookie_jar.clear()  # each request below says who it is, or nobody
        yield Api(client, tokens)
    finally:
        await client.close()


def _concrete(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


async def test_openapi_matches_the_registered_routes(api: Api) -> None:
    doc = await api.call("GET", "/openapi.json", Role.AGENT)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    registered = {
        (r.method, r.resource.canonical)
        for sub in api.client.app.router.resources()  # type: ignore[union-attr]
        for app in [sub.get_info().get("app")]
        if app is not None
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    assert documented == registered
    assert len(documented) == len(ALL_ROUTES)


@pytest.mark.parametrize(
    "route", [r for r in ALL_ROUTES if not r.public], ids=lambda r: f"{r.method} {r.path}"
)
async def test_every_route_refuses_unauthenticated(api: Api, route: Any) -> None:
    data = await api.call(route.method, _concrete(route.path), role=None, json={}, expect=401)
    assert data["status"] == 401 and data["title"] == "Unauthorized"
    bad = {"Authorization": "Bearer forged"}
    async with api.client.request(
        route.method, "/api" + _concrete(route.path), headers=bad
    ) as response:
        assert response.status == 401
        assert response.content_type == "application/problem+json"


GUARDED = [
    (r, role)
    for r in ALL_ROUTES
    if r.permission is not None
    for role in Role
    if r.permission not in ROLE_PERMISSIONS[role]
]


@pytest.mark.parametrize(
    ("route", "role"), GUARDED, ids=lambda v: getattr(v, "path", None) or str(v)
)
async def test_every_route_refuses_wrong_roles(api: Api, route: Any, role: Role) -> None:
    data = await api.call(route.method, _concrete(route.path), role=role, json={}, expect=403)
    assert route.permission.value in data["detail"]


def test_routes_without_a_wrong_role_are_the_shared_reads() -> None:
    # A route is either refused to at least one role (tested above) or its permission is
    # one every role holds: the list below is exactly those, so a new route cannot slip by.
    every_role = {
        (r.method, r.path)
        for r in ALL_ROUTES
        if r.permission is None or all(r.permission in p for p in ROLE_PERMISSIONS.values())
    }
    guarded = {(r.method, r.path) for r, _ in GUARDED}
    assert every_role.isdisjoint(guarded)
    assert every_role | guarded == {(r.method, r.path) for r in ALL_ROUTES}
    assert {p for m, p in every_role if m != "GET"} == {"/login", "/logout"}


async def test_followup_reopens_and_redispatches_through_the_api(api: Api) -> None:
    dept = await api.call(
        "POST",
        "/departments",
        json={"code": "TV", "name": "有线电视维修", "kind": "department"},
        expect=201,
    )
    customer = await api.call(
        "POST",
        "/customers",
        Role.AGENT,
        expect=201,
        json={
            "name": "王芳",
            "phones": ["+86 139 1111 2222"],
            "area": "北京/海淀区",
            "tags": ["VIP"],
        },
    )
    ticket = await api.call(
        "POST",
        "/tickets",
        Role.AGENT,
        expect=201,
        json={
            "title": "电视没信号",
            "category": "repair",
            "customer_id": customer["id"],
            "department_id": dept["id"],
        },
    )
    tid = ticket["id"]
    await api.call("PATCH", "/users/u_department_staff", json={"department_id": dept["id"]})
    await api.call("POST", f"/tickets/{tid}/actions/start", Role.DEPARTMENT_STAFF, json={})
    await api.call(
        "POST",
        f"/tickets/{tid}/actions/resolve",
        Role.DEPARTMENT_STAFF,
        json={"resolution": "换了分配器"},
    )
    [followup] = [
        f for f in await api.call("GET", "/followups?pending=1", Role.QA) if f["ticket_id"] == tid
    ]
    result = await api.call(
        "POST",
        f"/followups/{followup['id']}/result",
        Role.QA,
        json={
            "satisfaction": 2,
            "comment": "还是不行",
            "attitude": 4,
            "timeliness": 2,
            "result": 1,
        },
    )
    assert result["ticket"]["state"] == "assigned"
    scores = result["followup"]
    assert (scores["attitude"], scores["timeliness"], scores["result_score"]) == (4, 2, 1)
    assert result["ticket"]["department_id"] == dept["id"]
    detail = await api.call("GET", f"/tickets/{tid}", Role.SUPERVISOR)
    assert [h["name"] for h in detail["history"]][-3:] == ["resolved", "reopened", "dispatched"]
    assert detail["history"][-2]["actor"] == "u_qa"


async def test_errors_are_problems(api: Api) -> None:
    ticket = await api.call(
        "POST", "/tickets", Role.AGENT, expect=201, json={"title": "x", "category": "praise"}
    )
    data = await api.call(
        "POST", f"/tickets/{ticket['id']}/actions/close", Role.AGENT, json={}, expect=409
    )
    assert data["ticket_id"] == ticket["id"] and "cannot close" in data["detail"]
    assert (await api.call("GET", "/tickets/999999", expect=404))["ticket_id"] == 999999
    assert (await api.call("POST", "/tickets", json={"category": "repair"}, expect=400))[
        "detail"
    ] == "missing field 'title'"
    assert (
        await api.call("POST", "/tickets", json={"title": "t", "category": "nope"}, expect=400)
    )["status"] == 400
    assert (await api.call("GET", "/nowhere", expect=404))["status"] == 404
    wrong = await api.client.post("/api/login", json={"username": "u_agent", "password": "no"})
    assert wrong.status == 401
    wrong.release()


async def test_interaction_replay_and_lookup_through_the_api(api: Api) -> None:
    call = {
        "started_at": "2026-03-02T09:00:00+08:00",
        "caller_number": "0086 139-1111-2222",
        "ivr_steps": [{"node": "main", "input": "1"}],
        "agents_offered": ["1001"],
    }
    # Only the engine (and a supervisor's correction) writes a call's record.
    await api.call("PUT", "/interactions/1740.7", Role.AGENT, json=call, expect=403)
    first = await api.call("PUT", "/interactions/1740.7", Role.SUPERVISOR, json=call, expect=201)
    second = await api.call("PUT", "/interactions/1740.7", Role.SUPERVISOR, json=call, expect=200)
    assert first["written"] and not second["written"]
    await api.call("PATCH", "/interactions/1740.7", Role.SUPERVISOR, json={"disposition": "info"})
    got = await api.call("GET", "/interactions/1740.7", Role.QA)
    assert got["disposition"] == "info" and got["started_at"] == "2026-03-02T01:00:00+00:00"


async def test_every_write_shows_in_the_audit_log(api: Api) -> None:
    customer = await api.call(
        "POST",
        "/customers",
        Role.AGENT,
        expect=201,
        json={"name": "Zhang Wei", "phones": ["010-88886666"]},
    )
    await api.call("PATCH", f"/customers/{customer['id']}", Role.AGENT, json={"grade": "gold"})
    await api.call("GET", f"/customers/{customer['id']}", Role.AGENT)
    incident = await api.call(
        "POST",
        "/incidents",
        Role.SUPERVISOR,
        expect=201,
        json={"type": "power", "title": "变电站检修", "areas": ["北京/海淀区"]},
    )
    assert (await api.call("GET", "/incidents?area=北京/海淀区/中关村", Role.AGENT))[0][
        "id"
    ] == incident["id"]
    ticket = await api.call(
        "POST", "/tickets", Role.AGENT, expect=201, json={"title": "停电", "category": "repair"}
    )
    await api.call(
        "POST",
        f"/incidents/{incident['id']}/tickets",
        Role.SUPERVISOR,
        json={"ticket_ids": [ticket["id"]]},
    )
    await api.call("POST", f"/incidents/{incident['id']}/close", Role.SUPERVISOR, json={})
    ann = await api.call(
        "POST", "/announcements", Role.SUPERVISOR, expect=201, json={"title": "t", "body": "b"}
    )
    await api.call("POST", f"/announcements/{ann['id']}/publish", Role.SUPERVISOR, json={})
    article = await api.call(
        "POST",
        "/kb",
        Role.SUPERVISOR,
        expect=201,
        json={"title": "停电", "body": "b", "category": "power"},
    )
    await api.call("PATCH", f"/kb/{article['id']}", Role.SUPERVISOR, json={"body": "bb"})
    await api.call(
        "POST",
        "/users",
        json={"username": "new1", "password": "long-enough", "role": "agent"},
        expect=201,
    )
    entries = await api.call("GET", "/audit?limit=1000")
    seen = {(e["actor"], e["action"], e["object_id"]) for e in entries}
    cid, tid = str(customer["id"]), str(ticket["id"])
    for expected in [
        ("u_agent", "customer.create", cid),
        ("u_agent", "customer.update", cid),
        ("u_agent", "customer.open", cid),
        ("u_supervisor", "incident.create", str(incident["id"])),
        ("u_agent", "ticket.create", tid),
        ("u_supervisor", "ticket.link_incident", tid),
        ("u_supervisor", "incident.close", str(incident["id"])),
        ("u_supervisor", "ticket.resolve_by_incident", tid),
        ("u_supervisor", "announcement.publish", str(ann["id"])),
        ("u_supervisor", "kb.create", str(article["id"])),
        ("u_supervisor", "kb.update", str(article["id"])),
        ("u_admin", "user.create", "new1"),
    ]:
        assert expected in seen, expected
    by_actor = await api.call("GET", "/audit?actor=u_agent&object_type=customer")
    assert {e["action"] for e in by_actor} == {
        "customer.create",
        "customer.update",
        "customer.open",
    }


async def test_report_exports(api: Api) -> None:
    await api.call(
        "POST", "/tickets", Role.AGENT, expect=201, json={"title": "x", "category": "repair"}
    )
    rows = await api.call("GET", "/reports/tickets-by-category", Role.QA)
    assert rows == [{"category": "repair", "tickets": 1}]
    headers = {"Authorization": f"Bearer {api.tokens[Role.SUPERVISOR]}"}
    async with api.client.get(
        "/api/reports/tickets-by-state?format=csv", headers=headers
    ) as response:
        text = (await response.read()).decode("utf-8-sig")  # Excel needs the BOM
        assert text.splitlines() == ["state,tickets", "new,1"]
    async with api.client.get("/api/reports/satisfaction?format=xlsx", headers=headers) as response:
        assert (await response.read())[:2] == b"PK"
    await api.call("GET", "/reports/nope", Role.QA, expect=404)


async def test_the_new_reports_through_the_api(api: Api) -> None:
    dept = await api.call(
        "POST",
        "/departments",
        json={"code": "R", "name": "维修部", "kind": "department"},
        expect=201,
    )
    await api.call(
        "POST",
        "/tickets",
        Role.AGENT,
        expect=201,
        json={"title": "x", "category": "repair", "department_id": dept["id"]},
    )
    await api.call(
        "PUT",
        "/interactions/c1",
        Role.SUPERVISOR,
        expect=201,
        json={"started_at": "2026-03-02T09:00:00+08:00", "service": "repair"},
    )
    window = "since=2026-03-01T00:00:00%2B08:00&until=2026-03-03T00:00:00%2B08:00"
    days = await api.call("GET", f"/reports/calls-by-day?{window}&tz=Asia/Shanghai", Role.QA)
    assert [(d["day"], d["calls"]) for d in days] == [("2026-03-02", 1)]
    services = await api.call("GET", f"/reports/calls-by-service?{window}", Role.QA)
    assert [(s["service"], s["calls"]) for s in services] == [("repair", 1)]
    [repairs] = await api.call("GET", "/reports/repair-stats", Role.SUPERVISOR)
    assert (repairs["name"], repairs["tickets"], repairs["resolved"]) == ("维修部", 1, 0)
    assert await api.call("GET", "/reports/churn-warnings", Role.QA) == []
    headers = {"Authorization": f"Bearer {api.tokens[Role.SUPERVISOR]}"}
    async with api.client.get("/api/reports/tickets-rollup?format=csv", headers=headers) as r:
        assert r.headers["Content-Disposition"] == 'attachment; filename="tickets-rollup.csv"'
        assert "维修部" in (await r.read()).decode("utf-8-sig")
    async with api.client.get("/api/reports/repair-stats?format=xlsx", headers=headers) as r:
        assert (await r.read())[:2] == b"PK"
    bad_tz = await api.call("GET", "/reports/calls-by-day?tz=Mars/Base", Role.QA, expect=400)
    assert "Mars/Base" in bad_tz["detail"]
    await api.call("GET", "/reports/calls-by-colour", Role.QA, expect=400)
    await api.call("GET", "/reports/satisfaction?format=pdf", Role.QA, expect=400)
    await api.call("GET", "/reports/tickets-rollup?department_id=999", Role.QA, expect=404)
    doc = await api.call("GET", "/openapi.json", Role.QA)
    report_op = doc["paths"]["/api/reports/{name}"]["get"]
    assert "text/csv" in report_op["responses"]["200"]["content"]
    assert {"tz", "department_id"} <= {p["name"] for p in report_op["parameters"]}
    upload = doc["paths"]["/api/customers/import"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "413" in upload["responses"]
