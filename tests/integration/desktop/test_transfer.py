"""Transfers from the desk, through routing and the simulator: to an agent who answers, to
one who does not (the call falls back to waiting), and to a service. Each time the caller
ends up with the next agent, the interaction lists every agent, and nobody stays stuck."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from routing.model import AgentState
from tests.integration.desktop.kit import DeskRig, Tab, client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until

WRAP = 1.0  # seconds of wrap-up: long enough to see, short enough for the test


def state(r: DeskRig, agent_id: str) -> str:
    return r.engine.router.router.agents[agent_id].state.value


async def connected_to(r: DeskRig, call_id: str, extension: str) -> None:
    def ok() -> bool:
        call = r.engine.model.calls.get(call_id)
        return (
            call is not None and call.state.value == "connected" and (call.answered_by == extension)
        )

    await until(ok, 30, f"{call_id} connected to {extension}")


async def row_of(r: DeskRig, call_id: str) -> Any:
    await r.engine.writer.drain(timeout=20)
    await until(
        lambda: (x := r.store.get_interaction(call_id)) is not None and bool(x.end_reason),
        30,
        f"interaction {call_id}",
    )
    return r.store.get_interaction(call_id)


async def nobody_stuck(r: DeskRig) -> None:
    router = r.engine.router.router

    def idle() -> bool:
        busy = {AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}
        return (
            not r.engine.model.live()
            and not router.calls
            and not any(a.state in busy for a in router.agents.values())
            and not any(router.holders(c) for c in r.engine.model.calls)
        )

    await until(idle, 30, "every agent free, no call held")


async def test_transfers_go_through_routing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS, wrap_up=WRAP)
    phones = [
        AgentPhone("1001", answer_after=1.0, talk_time=100000.0),  # talks until transferred
        AgentPhone("1002", answer_after=1.0, talk_time=40.0),  # ends the call after 2 s
        AgentPhone("1003", answer_after=None),  # never answers
    ]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        ex = r.engine.router
        ex.command("a1002", "not_ready", "break")
        ex.command("a1003", "logout")
        r.add_user("a1001", "agent")
        ws_url = r.base.replace("http", "ws") + "/desk/ws"
        async with client() as http:
            await login(http, r.base, "a1001")
            tab = await open_tab(http, ws_url)
            await until(lambda: bool(tab.messages), 10, "snapshot")

            # 1. To an agent who answers: a1002 is reserved, rung and connected.
            cid = await first_call(r, tab, "13800000001")
            ex.command("a1002", "ready")
            reply = await tab.ask("transfer", call_id=cid, agent="a1002")
            assert reply["ok"] and reply["to_agent"] == "a1002", reply
            await until(lambda: state(r, "a1001") == "wrap_up", 10, "a1001 wraps up at once")
            assert tab.last_pop()["status"] == "transferred"  # type: ignore[index]
            await connected_to(r, cid, "1002")
            assert state(r, "a1002") == "on_call"
            row = await row_of(r, cid)
            assert row.agent_answered == "1002" and row.end_reason == "completed"
            assert {"1001", "1002"} <= set(row.agents_offered)
            await nobody_stuck(r)

            # 2. To an agent who does not answer: the call waits again and a1002 takes it.
            ex.command("a1002", "not_ready", "break")
            cid = await first_call(r, tab, "13800000002")
            ex.command("a1003", "login")
            ex.command("a1003", "ready")
            assert (await tab.ask("transfer", call_id=cid, agent="a1003"))["ok"]
            assert (await tab.ask("not_ready", reason="break"))["ok"]  # no wrap-up: away
            await until(lambda: state(r, "a1003") == "ringing", 20, "a1003 rings")
            ex.command("a1002", "ready")
            await connected_to(r, cid, "1002")
            assert state(r, "a1003") == "ready", "the agent who did not answer is free"
            row = await row_of(r, cid)
            assert row.agent_answered == "1002"
            assert {"1001", "1003", "1002"} <= set(row.agents_offered)
            await nobody_stuck(r)

            # 3. To a service: the caller waits for "repair", which a1002 has and a1001 not.
            ex.command("a1003", "logout")
            ex.command("a1002", "not_ready", "break")
            assert (await tab.ask("ready"))["ok"]
            cid = await first_call(r, tab, "13800000003")
            busy = await tab.ask("transfer", call_id=cid, agent="a1002")  # not ready
            assert busy["type"] == "error" and busy["code"] == "agent_busy", busy
            # plain values for the desk to word in the agent's language
            assert busy["state"] == "not_ready" and busy["agent"], busy
            nope = await tab.ask("transfer", call_id=cid, service="nope")
            assert nope["type"] == "error" and nope["code"] == "invalid", nope
            assert state(r, "a1001") == "on_call"  # a refused transfer changes nothing
            ex.command("a1002", "ready")
            reply = await tab.ask("transfer", call_id=cid, service="repair")
            assert reply["ok"] and reply["to_service"] == "repair", reply
            await connected_to(r, cid, "1002")
            row = await row_of(r, cid)
            assert row.agent_answered == "1002" and row.service == "repair"
            assert {"1001", "1002"} <= set(row.agents_offered)
            await nobody_stuck(r)

            # After the call: nothing left to transfer.
            gone = await tab.ask("transfer", call_id=cid, agent="a1002")
            assert gone["type"] == "error" and gone["code"] in ("gone", "forbidden"), gone
            await tab.close()


async def first_call(r: DeskRig, tab: Tab, number: str) -> str:
    """A general call (key 0) that a1001 answers; returns its id once connected."""
    cid = r.sim.place_call(CallerSpec(number, "客户", dtmf=["0"]))
    await connected_to(r, cid, "1001")
    await until(
        lambda: (
            (p := tab.last_pop()) is not None and p["call_id"] == cid and p["status"] == "connected"
        ),
        20,
        "the pop shows the call connected",
    )
    return cid
