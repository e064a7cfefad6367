"""A not-ready reason that AMI cannot carry (CR/LF, a lone surrogate) never stops the
engine: the HTTP edge refuses it with 400, and if one reaches the AMI action path
anyway (an in-process caller), that one action is refused before it is sent, logged and
counted, while the routing task goes on routing calls."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from cti.ami.protocol import LocalProtocolError, encode_action
from cti.ami.session import AmiActionInvalid, AmiError
from cti.simulator import AgentPhone, CallerSpec
from cti.web import IDENTITY
from cti.websession import Identity
from routing.api import mount_routing
from routing.config import RoutingConfig
from routing.model import AgentProfile, AgentState, Service
from tests.integration.enginekit import rig, until
from tests.integration.routing.test_reload_api import executor

HOSTILE = {
    "crlf": "lunch\r\nAction: Hangup\r\nChannel: PJSIP/1002",
    "lf": "lunch\nbreak",
    "surrogate": "lunch \ud800",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_encoder_refuses_with_a_typed_error(case: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_action(
            "QueuePause", "1", {"Interface": "Local/1001@agents", "Reason": HOSTILE[case]}
        )
    assert issubclass(AmiActionInvalid, AmiError) and issubclass(
        AmiActionInvalid, LocalProtocolError
    )


def config() -> RoutingConfig:
    return RoutingConfig(
        source="<test>",
        skills=("support",),
        services=(Service("support"),),
        agents=(AgentProfile("a1", "1001"), AgentProfile("a2", "1002")),
        wrap_up=0.0,
        queue_members=(("a1", ("support",)),),
    )


async def test_a_hostile_reason_is_counted_and_routing_goes_on(tmp_path: Path) -> None:
    phones = [
        AgentPhone("1001", answer_after=0.5, talk_time=2.0),
        AgentPhone("1002", answer_after=0.5, talk_time=2.0),
    ]
    async with rig(tmp_path, time_scale=0.02, phones=phones) as r:
        ex = r.engine.router
        ex.apply(config())
        support = r.sim.queues.queues["support"]

        def member() -> Any:
            return support.members.get("Local/1001@agents")

        ex.command("a1", "login")
        ex.command("a1", "ready")
        await until(lambda: member() is not None and not member().paused, 10, "a1 in app_queue")
        for case in sorted(HOSTILE):
            ex.command("a1", "not_ready", HOSTILE[case])
            ex.command("a1", "ready")
        await until(lambda: len(ex.member_errors) == len(HOSTILE), 10, "each refusal counted")
        assert all("not valid Unicode" in e or "line break" in e for e in ex.member_errors)
        # The refused pauses were never sent: a1 is still an unpaused member, and a good
        # reason afterwards still goes through.
        ex.command("a1", "not_ready", "lunch")
        await until(lambda: member().paused and member().reason == "lunch", 10, "a good pause")
        # The routing task is alive: a call for the service reaches the ready agent a2.
        ex.command("a2", "login")
        ex.command("a2", "ready")
        cid = r.sim.place_call(
            CallerSpec(number="5550001", entry="hold", caller_context="caller-wait")
        )
        await until(lambda: cid in r.engine.model.calls, 10, "the call")
        r.engine.bus.publish_all(r.engine.model.queue(cid, "support", r.engine.clock()))
        await until(
            lambda: ex.router.agents["a2"].state == AgentState.ON_CALL, 15, "a2 answers the call"
        )
        await until(lambda: cid in r.ended_ids(), 15, "the call to end")
        assert next(e for e in r.ended if e.call_id == cid).answered_by == "1002"


@pytest.fixture
async def client(tmp_path: Path) -> Any:
    ex = executor(tmp_path)

    @web.middleware
    async def logged_in(request: web.Request, handler: Any) -> web.StreamResponse:
        name, _, role = request.headers.get("X-User", "root:admin").partition(":")
        request[IDENTITY] = Identity(name, frozenset({role}))
        return await handler(request)

    app = web.Application(middlewares=[logged_in])
    mount_routing(app, types.SimpleNamespace(router=ex))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as c:
        yield c, ex


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_the_api_refuses_a_hostile_reason_with_400(client: Any, case: str) -> None:
    c, ex = client
    me = {"X-User": "a1:agent"}
    assert (await c.post("/routing/agents/a1/login", json={}, headers=me)).status == 200
    # The wire form carries the lone surrogate escaped, as a browser's JSON would.
    body = json.dumps({"reason": HOSTILE[case]})
    resp = await c.post(
        "/routing/agents/a1/not_ready",
        data=body,
        headers={**me, "Content-Type": "application/json"},
    )
    assert resp.status == 400, await resp.text()
    problem = await resp.json()
    assert "reason" in problem["detail"]
    assert ex.router.agents["a1"].state == AgentState.NOT_READY
    assert ex.router.agents["a1"].reason == "login", "the refused reason was not applied"
    resp = await c.post("/routing/agents/a1/not_ready", json={"reason": 7}, headers=me)
    assert resp.status == 400
