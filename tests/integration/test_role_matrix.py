"""Every registered route × every role (and anonymous) against the one role table
(cti/roles.py + ROLE_PERMISSIONS): refused exactly where the table says, over real HTTP
with real sessions. Also the least-privilege views: live callers' numbers on the status
page, department staff's tickets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from crm.auth import create_user
from crm.db import make_engine
from crm.model.organization import Role
from crm.uow import UnitOfWork
from cti import roles
from cti.simulator import CallerSpec
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig, until

CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')
META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
# One user per role; the agent is a routing agent of the rig (user name = agent id).
USERS = {
    Role.AGENT: "a1001",
    Role.SUPERVISOR: "boss",
    Role.QA: "qa1",
    Role.DEPARTMENT_STAFF: "staff1",
    Role.ADMIN: "root",
}
TABLE_REFUSAL = ("Forbidden: your role may not use this", "Your role may not use this page")
LAST = {("GET", "/logout"), ("POST", "/api/logout")}  # these end the session: run them last


def concrete(path: str) -> str:
    """A request path for a route: ids are 1, actions "pause" (the one action that is
    constrained in a route: recordings' {action:pause|resume})."""
    return re.sub(r"{\w+}", "1", path.replace("{action}", "pause"))


def routes(app: Any) -> list[tuple[str, str, roles.Need]]:
    api = {(m, p): n for m, p, n in roles.api_routes()}
    found = []
    for route in app.router.routes():
        resource = route.resource
        if route.method == "HEAD" or resource is None:
            continue
        key = (route.method, resource.canonical)
        need = api.get(key) or roles.need_for(*key)
        assert need is not None, f"{key} is missing from the role table"
        found.append((*key, need))
    return sorted(found, key=lambda r: (r[:2] in LAST, r[1], r[0]))


async def login(client: TestClient, name: str) -> str:
    """Log in through the form; the session's CSRF token from the status page."""
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"cti_lang": "en"})
    form = await client.get("/login")
    token = CSRF_FIELD.search(await form.text())
    assert token is not None
    data = {"csrf": token.group(1), "username": name, "password": f"{name}-password"}
    resp = await client.post("/login", data=data, allow_redirects=False)
    assert resp.status == 302 and "error" not in resp.headers["Location"], name
    meta = META.search(await (await client.get("/status")).text())
    assert meta is not None
    return meta.group(1)


def refused_by_table(method: str, path: str, status: int, text: str) -> bool:
    if path.startswith("/api/"):
        return status == 403 and "lacks permission" in text
    return status == 403 and any(marker in text for marker in TABLE_REFUSAL)


async def test_every_route_and_role_is_refused_exactly_as_the_table_says(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for role, name in USERS.items():
                create_user(uow, username=name, password=f"{name}-password", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                table = routes(app)
                assert len(table) > 60
                origin = f"http://127.0.0.1:{client.port}"
                wrong: list[str] = []
                for role, name in [*USERS.items(), (None, "")]:
                    headers = {"Origin": origin, "Accept": "text/html"}
                    if role is None:
                        client.session.cookie_jar.clear()
                    else:
                        headers["X-CSRF-Token"] = await login(client, name)
                    for method, path, need in table:
                        resp = await client.request(
                            method, concrete(path), json={}, headers=headers, allow_redirects=False
                        )
                        text = await resp.text()
                        if role is None:
                            allowed = need is roles.Access.PUBLIC
                            refused = resp.status == 401 or (
                                resp.status == 302 and "/login" in resp.headers["Location"]
                            )
                            if path == "/login" and method == "GET":
                                refused = False
                        else:
                            allowed = roles.may({role.value}, need)
                            refused = refused_by_table(method, path, resp.status, text)
                        if allowed == refused:
                            wrong.append(f"{role} {method} {path}: {resp.status} {text[:80]!r}")
                assert not wrong, "\n".join(wrong)
        finally:
            sql.dispose()


async def test_websocket_commands_are_all_in_the_table() -> None:
    from agent_desktop.protocol import AGENT_COMMANDS, SUPERVISOR_COMMANDS

    assert set(roles.WS_COMMANDS["/desk/ws"]) == set(AGENT_COMMANDS)
    assert set(roles.WS_COMMANDS["/wallboard/ws"]) == set(SUPERVISOR_COMMANDS)


async def test_live_callers_are_shown_to_supervisors_only(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for role, name in USERS.items():
                create_user(uow, username=name, password=f"{name}-password", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                cid = r.sim.place_call(
                    CallerSpec(number="13912345678", name="张秘密", dtmf=["1"], patience=None)
                )
                await until(lambda: cid in r.engine.model.live(), 10, "the call to be live")
                seen = {}
                for role, name in USERS.items():
                    await login(client, name)
                    page = await (await client.get("/status")).text()
                    calls = await client.get("/calls.json")
                    seen[role] = ("13912345678" in page, "张秘密" in page, calls.status)
                for role in (Role.QA, Role.DEPARTMENT_STAFF, Role.AGENT):
                    assert seen[role] == (False, False, 403), role
                for role in (Role.SUPERVISOR, Role.ADMIN):
                    assert seen[role] == (True, True, 200), role
        finally:
            sql.dispose()


async def test_department_staff_see_their_subtree_only(tmp_path: Path) -> None:
    from tests.integration.crm.test_api import open_api

    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        from crm.db import create_schema

        create_schema(sql)
        async with open_api(sql) as api:

            def dept(code: str, parent: int | None = None) -> dict[str, Any]:
                return {"code": code, "name": code, "kind": "department", "parent_id": parent}

            tv = await api.call("POST", "/departments", json=dept("TV"), expect=201)
            tv_north = await api.call(
                "POST", "/departments", json=dept("TV-N", tv["id"]), expect=201
            )
            net = await api.call("POST", "/departments", json=dept("NET"), expect=201)
            customer = await api.call(
                "POST", "/customers", json={"name": "王芳", "phones": ["13800138000"]}, expect=201
            )
            tickets = {}
            for d in (tv, tv_north, net):
                made = await api.call(
                    "POST",
                    "/tickets",
                    json={"title": d["code"], "category": "repair",
                          "customer_id": customer["id"], "department_id": d["id"]},
                    expect=201,
                )  # fmt: skip
                tickets[d["code"]] = made["id"]
            await api.call("PATCH", "/users/u_department_staff", json={"department_id": tv["id"]})
            staff = Role.DEPARTMENT_STAFF
            listed = await api.call("GET", "/tickets", staff)
            assert {t["id"] for t in listed} == {tickets["TV"], tickets["TV-N"]}
            other = await api.call("GET", f"/tickets?department_id={net['id']}", staff)
            assert other == []
            await api.call("GET", f"/tickets/{tickets['TV-N']}", staff)
            await api.call("GET", f"/tickets/{tickets['NET']}", staff, expect=404)
            await api.call(
                "POST", f"/tickets/{tickets['NET']}/actions/start", staff, json={}, expect=404
            )
            # Their follow-ups likewise (a follow-up is opened when a ticket is resolved).
            for code in ("TV", "NET"):
                tid = tickets[code]
                for action, extra in (("start", {}), ("resolve", {"resolution": "done"})):
                    await api.call("POST", f"/tickets/{tid}/actions/{action}", json=extra)
            followups = await api.call("GET", "/followups", staff)
            assert {f["ticket_id"] for f in followups} == {tickets["TV"]}
            everyone = await api.call("GET", "/followups", Role.SUPERVISOR)
            assert {f["ticket_id"] for f in everyone} >= {tickets["TV"], tickets["NET"]}
            # Supervisors still see every department's tickets.
            assert len(await api.call("GET", "/tickets", Role.SUPERVISOR)) == 3
    finally:
        sql.dispose()


def test_anonymous_holds_no_role() -> None:
    assert not roles.may(set(), roles.Access.LOGGED_IN)
    assert roles.may(set(), roles.Access.PUBLIC)
    assert not roles.may({"nobody"}, roles.P.STATUS_VIEW)
