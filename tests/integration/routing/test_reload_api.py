"""Reload without restart: a broken routing file is refused with its file and line and
the configuration in force stays; the same through ``POST /routing/reload``. Also the
other routing routes (agents, commands, queues, callback) with their error mapping."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from cti.bus import InProcessBus
from cti.calls import CallModel
from cti.webkit.keys import IDENTITY
from cti.websession import Identity
from cti.yamlsource import ConfigError
from routing.api import mount_routing
from routing.executor import RoutingExecutor
from routing.model import AgentState
from tests.integration.enginekit import settings_for

GOOD = """\
skills: [billing, repair]
defaults: {agents_start: logged_out, wrap_up_seconds: 5}
services:
  - name: billing
    skills: {billing: 2}
  - name: repair
    skills: {repair: 1}
agents:
  - {id: a1, extension: "1001", skills: {billing: 3}}
  - {id: a2, extension: "1002", skills: {repair: 2}}
"""

BROKEN = {
    # (file text, line of the error, words the message must contain)
    "unknown skill": (GOOD.replace("{repair: 2}}", "{plumbing: 2}}"), 10, "unknown skill"),
    "level out of range": (GOOD.replace("{billing: 2}", "{billing: 12}"), 5, "10"),
    "unknown key": (GOOD.replace("    skills: {repair: 1}", "    skils: {repair: 1}"), 7, "skils"),
    "duplicate agent": (
        GOOD.replace('a2, extension: "1002"', 'a1, extension: "1002"'),
        10,
        "twice",
    ),
    "bad yaml": (GOOD.replace("services:", "services: [", 1), 0, ""),
}


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def executor(tmp_path: Path, text: str = GOOD) -> RoutingExecutor:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return RoutingExecutor(
        settings_for(tmp_path),
        CallModel(),
        InProcessBus(),
        lambda: None,
        clock=Clock(),
        config_path=path,
    )


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_invalid_reload_is_refused_with_file_and_line_and_the_old_config_stays(
    tmp_path: Path, case: str
) -> None:
    ex = executor(tmp_path)
    ex.command("a1", "login")
    ex.command("a1", "ready")
    before = ex.config
    text, line, words = BROKEN[case]
    (tmp_path / "routing.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        ex.reload()
    assert err.value.file.endswith("routing.yaml")
    if line:
        assert err.value.line == line, str(err.value)
        assert f"routing.yaml:{line}:" in str(err.value)
    assert words in str(err.value)
    assert ex.config is before, "the configuration in force stays"
    assert set(ex.router.agents) == {"a1", "a2"}
    assert ex.router.agents["a1"].state == AgentState.READY, "agent states untouched"
    assert ex.router.services["billing"].skills == (("billing", 2),)


def test_valid_reload_applies_and_keeps_agent_states(tmp_path: Path) -> None:
    ex = executor(tmp_path)
    ex.command("a1", "login")
    ex.command("a1", "ready")
    (tmp_path / "routing.yaml").write_text(GOOD.replace("{billing: 2}", "{billing: 4}"))
    ex.reload()
    assert ex.router.services["billing"].skills == (("billing", 4),)
    assert ex.router.agents["a1"].state == AgentState.READY


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[TestClient, RoutingExecutor]]:
    ex = executor(tmp_path)

    @web.middleware
    async def logged_in(request: web.Request, handler: Any) -> web.StreamResponse:
        # Stands in for the web app's session check: "X-User: name:role", admin by default.
        name, _, role = request.headers.get("X-User", "root:admin").partition(":")
        request[IDENTITY] = Identity(name, frozenset({role}))
        return await handler(request)

    app = web.Application(middlewares=[logged_in])
    mount_routing(app, types.SimpleNamespace(router=ex))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as c:
        yield c, ex


async def test_reload_route_refuses_a_broken_file_with_422_and_where(
    client: tuple[TestClient, RoutingExecutor], tmp_path: Path
) -> None:
    c, ex = client
    before = ex.config
    text, line, _ = BROKEN["unknown skill"]
    (tmp_path / "routing.yaml").write_text(text, encoding="utf-8")
    resp = await c.post("/routing/reload", json={})
    assert resp.status == 422
    assert resp.content_type == "application/problem+json"
    body = await resp.json()
    assert f"routing.yaml:{line}:" in body["detail"] and "plumbing" in body["detail"]
    assert "previous one stays" in body["title"]
    assert ex.config is before
    (tmp_path / "routing.yaml").write_text(GOOD.replace("{billing: 2}", "{billing: 1}"))
    resp = await c.post("/routing/reload", json={})
    assert resp.status == 200
    assert await resp.json() == {
        "source": str(tmp_path / "routing.yaml"),
        "services": 2,
        "agents": 2,
    }
    assert ex.router.services["billing"].skills == (("billing", 1),)


async def test_agent_routes_and_their_errors(client: tuple[TestClient, RoutingExecutor]) -> None:
    c, _ex = client
    resp = await c.get("/routing/agents")
    assert {a["id"]: a["state"] for a in await resp.json()} == {
        "a1": "logged_out",
        "a2": "logged_out",
    }
    resp = await c.post("/routing/agents/a1/login", json={})
    assert (await resp.json())["state"] == "not_ready"
    resp = await c.post("/routing/agents/a1/ready", json={})
    assert (await resp.json())["state"] == "ready"
    resp = await c.post("/routing/agents/a1/not_ready", json={"reason": "lunch"})
    assert await resp.json() == {"id": "a1", "state": "not_ready", "reason": "lunch"}
    resp = await c.post("/routing/agents/a1/login", json={})
    assert resp.status == 409 and "cannot login while not ready" in (await resp.json())["detail"]
    assert (await c.post("/routing/agents/zz/ready", json={})).status == 404
    assert (await c.post("/routing/agents/a1/dance", json={})).status == 404
    assert (await c.post("/routing/agents/a1/ready", data="x")).status == 415
    resp = await c.post("/routing/agents/a1/logout", json={})
    assert (await resp.json())["state"] == "logged_out"


async def test_queue_and_callback_routes(client: tuple[TestClient, RoutingExecutor]) -> None:
    c, ex = client
    ex.router.enqueue("call-1", "billing", 990.0)
    resp = await c.get("/routing/queues")
    queues = {q["service"]: q for q in await resp.json()}
    assert queues["billing"]["waiting"] == 1 and queues["billing"]["longest_wait"] == 10.0
    assert queues["repair"]["waiting"] == 0
    resp = await c.post("/routing/calls/call-1/callback", json={"number": "13900000001"})
    assert resp.status == 200 and ex.router.calls["call-1"].callback == "13900000001"
    assert (await c.post("/routing/calls/call-1/callback", json={"number": "x1"})).status == 400
    assert (await c.post("/routing/calls/nope/callback", json={"number": "1"})).status == 409


async def test_roles_on_the_routing_routes(client: tuple[TestClient, RoutingExecutor]) -> None:
    c, _ex = client
    a1, a2 = {"X-User": "a1:agent"}, {"X-User": "a2:agent"}
    assert (await c.post("/routing/agents/a1/login", json={}, headers=a1)).status == 200
    resp = await c.post("/routing/agents/a1/ready", json={}, headers=a2)
    assert resp.status == 403, "an agent cannot change another agent's state"
    assert (await c.get("/routing/agents", headers={"X-User": "q:qa"})).status == 403
    assert (await c.get("/routing/queues", headers=a1)).status == 403
    sup = {"X-User": "boss:supervisor"}
    assert (await c.post("/routing/agents/a1/not_ready", json={}, headers=sup)).status == 200
    assert (await c.post("/routing/reload", json={}, headers=sup)).status == 403
    cb = await c.post("/routing/calls/x/callback", json={"number": "1"}, headers=a1)
    assert cb.status == 403
