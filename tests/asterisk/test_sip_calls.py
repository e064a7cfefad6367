"""Calls through a real Asterisk with SIP phones: SIPp callers from the carrier side and
SIPp agent phones registered to the shipped pjsip.conf endpoints, RTP both ways.

Each scenario asserts what a user would check: the interaction row, the pop on the
agent's desk (websocket), both parties' audio in the recording (the caller sends a 440 Hz
tone, agents 1000 Hz), and every agent's state afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

from cti import events as ev
from ivr.wiring import site_flows
from tests.asterisk.phones import AgentPhone, Caller
from tests.asterisk.rig import (
    agents_settle,
    assert_both_parties_recorded,
    desks,
    pops,
    real_rig,
    until,
)


async def test_ivr_keys_to_a_skilled_agent(tmp_path: Path) -> None:
    """Key 1 in the basic menu (billing): the billing agent's SIP phone rings with a pop,
    answers, both talk, the agent hangs up."""
    async with real_rig(tmp_path, agents_on=("a1001", "a1002")) as r:
        billing = AgentPhone(tmp_path, "1001", ring_ms=1000, talk_ms=4000)
        repair = AgentPhone(tmp_path, "1002", ring_ms=1000, talk_ms=4000)
        caller = Caller(tmp_path, keys="1", number="13800001234", name="张三丰")
        try:
            await billing.register(r.pbx)
            await repair.register(r.pbx)
            async with desks(r, ("a1001", "a1002")) as tabs:
                caller.dial(r.pbx)
                await until(r.ended, 40, "the call to end")
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                assert row.caller_number == "13800001234" and row.caller_name == "张三丰"
                assert row.service == "billing"
                assert [s["key"] for s in row.ivr_steps][-1] == "1"
                assert row.ivr_steps[0]["prompt"] == "zh/welcome"  # shipped default: Mandarin
                assert row.agents_offered == ["1001"] and row.agent_answered == "1001"
                assert row.end_reason == "completed"
                assert 3.0 <= row.talk_seconds <= 6.0, row.talk_seconds
                pop = pops(tabs["a1001"], end.call_id)
                assert pop and pop[0]["caller_name"] == "张三丰" and pop[0]["service"] == "billing"
                assert pop[0]["number"] == "13800001234"
                assert not pops(tabs["a1002"], end.call_id)
                assert_both_parties_recorded(r, row)
                await agents_settle(r, {"a1001": "ready", "a1002": "ready"})
        finally:
            for p in (caller, billing, repair):
                p.stop()


async def test_hotline_flow_keys_to_a_skilled_agent(tmp_path: Path) -> None:
    """The complete hotline flow (DID 95598): a known customer keys 1 (Mandarin), then
    repairs (2 in the day menu, 3 in the after-hours menu, by the flow's own calendar);
    the repair agent's phone rings with the customer's card and answers."""
    flow = next(f for f in site_flows(SimpleNamespace(services=())).flows if f.route == "hotline")
    second = "2" if flow.calendars["office"].is_open(time.time(), flow.timezone) else "3"
    async with real_rig(tmp_path, agents_on=("a1002",)) as r:
        customer = r.add_customer("张三丰", "13800001234")
        phone = AgentPhone(tmp_path, "1002", ring_ms=1000, talk_ms=3000)
        caller = Caller(tmp_path, did="95598", keys=f"1,{second}", keys_after_ms=1000)
        try:
            await phone.register(r.pbx)
            async with desks(r, ("a1002",)) as tabs:
                caller.dial(r.pbx)
                await until(r.ended, 60, "the call to end")
                end = r.ended()[0]
                row = await r.wait_row(end.call_id)
                nodes = [s["node"] for s in row.ivr_steps]
                assert nodes[0] == "language" and row.ivr_steps[0]["key"] == "1", nodes
                assert "identify" in nodes and row.customer_id == customer
                assert row.service == "repair" and row.agent_answered == "1002"
                assert row.end_reason == "completed"
                pop = pops(tabs["a1002"], end.call_id)
                assert pop and pop[0]["caller_name"] == "张三丰" and pop[0]["service"] == "repair"
                assert_both_parties_recorded(r, row)
                await agents_settle(r, {"a1002": "ready"})
        finally:
            caller.stop()
            phone.stop()


async def test_ten_concurrent_calls_on_three_agents(tmp_path: Path) -> None:
    agents = ("a1001", "a1003", "a1005")  # all three have the billing skill
    async with real_rig(tmp_path, agents_on=agents) as r:
        phones = [
            AgentPhone(tmp_path, ext, ring_ms=500, talk_ms=2500) for ext in ("1001", "1003", "1005")
        ]
        callers = [
            Caller(tmp_path, keys="1", number=f"1390000{i:04d}", name=f"客户{i}", hold_ms=90000)
            for i in range(10)
        ]
        try:
            for p in phones:
                await p.register(r.pbx)
            async with desks(r, agents) as tabs:
                for c in callers:
                    c.dial(r.pbx)
                await until(lambda: len(r.ended()) >= 10, 150, "ten calls to end")
                ids = {e.call_id for e in r.ended()}
                assert len(ids) == 10
                answered: dict[str, int] = {}
                for cid in ids:
                    row = await r.wait_row(cid)
                    assert row.end_reason == "completed", (cid, row.end_reason)
                    assert row.service == "billing" and row.agent_answered in (
                        "1001",
                        "1003",
                        "1005",
                    )
                    answered[row.agent_answered] = answered.get(row.agent_answered, 0) + 1
                    aid = "a" + row.agent_answered
                    assert pops(tabs[aid], cid), f"no pop for {cid} on {aid}"
                    assert_both_parties_recorded(r, row, at_least=0.5)
                assert len(answered) == 3, answered  # the work was shared
                await agents_settle(r, {a: "ready" for a in agents})
                assert r.engine.model.live() == {}
        finally:
            for p in [*callers, *phones]:
                p.stop()


async def test_ring_no_answer_then_rerouted(tmp_path: Path) -> None:
    """1001's phone rings out (Dial timeout 20 s in cti-connect); the call goes back to
    waiting and the engine offers it to 1003, who answers."""
    async with real_rig(tmp_path, agents_on=("a1001", "a1003")) as r:
        r.engine.router.command("a1003", "not_ready", "lunch")
        silent = AgentPhone(tmp_path, "1001", ring_ms=600000)
        other = AgentPhone(tmp_path, "1003", ring_ms=800, talk_ms=3000)
        caller = Caller(tmp_path, keys="1", hold_ms=90000)
        try:
            await silent.register(r.pbx)
            await other.register(r.pbx)
            async with desks(r, ("a1001", "a1003")) as tabs:
                caller.dial(r.pbx)
                await until(lambda: r.of(ev.AgentRinging), 30, "1001 to ring")
                r.engine.router.command("a1003", "ready")
                await until(r.ended, 60, "the call to end")
                end = r.ended()[0]
                misses = r.of(ev.AgentNoAnswer, end.call_id)
                assert [m.agent for m in misses] == ["1001"]
                row = await r.wait_row(end.call_id)
                assert row.agents_offered == ["1001", "1003"] and row.agent_answered == "1003"
                assert row.end_reason == "completed" and row.wait_seconds >= 19
                assert pops(tabs["a1001"], end.call_id) and pops(tabs["a1003"], end.call_id)
                assert_both_parties_recorded(r, row)
                # The agent who let it ring out is free for other calls, not stuck ringing.
                await agents_settle(r, {"a1001": "ready", "a1003": "ready"})
        finally:
            for p in (caller, silent, other):
                p.stop()


async def test_caller_hangs_up_while_waiting(tmp_path: Path) -> None:
    async with real_rig(tmp_path, agents_on=("a1001",)) as r:
        r.engine.router.command("a1001", "not_ready", "meeting")
        caller = Caller(tmp_path, keys="1", hold_ms=5000)
        try:
            caller.dial(r.pbx)
            await until(r.ended, 30, "the call to end")
            end = r.ended()[0]
            row = await r.wait_row(end.call_id)
            assert row.end_reason == "abandoned" and row.service == "billing"
            assert row.agents_offered == [] and row.agent_answered is None
            assert row.wait_seconds >= 2
            assert r.agent_state("a1001") == "not_ready"
            assert r.engine.model.live() == {}
        finally:
            caller.stop()


RACE_ROUNDS = 20


async def test_caller_hangs_up_while_the_agent_rings_repeatedly(tmp_path: Path) -> None:
    """DialEnd CANCEL and the caller's Hangup arrive 0-0.8 ms apart on a real Asterisk.
    20 callers hang up while an agent's phone rings; the engine stays up throughout, never
    offers a gone call again, and every agent is offered calls again afterwards."""
    exts = ("1001", "1003", "1005")
    agents = tuple(f"a{e}" for e in exts)
    async with real_rig(tmp_path, agents_on=agents) as r:
        phones = [AgentPhone(tmp_path, e, ring_ms=600000) for e in exts]
        try:
            for p in phones:
                await p.register(r.pbx)
            rounds = 0
            while rounds < RACE_ROUNDS:
                batch = [
                    Caller(tmp_path, keys="1", number=f"1370000{rounds + i:04d}", hold_ms=3500)
                    for i in range(len(exts))
                ]
                before = len(r.ended())
                for c in batch:
                    c.dial(r.pbx)
                await until(lambda: len(r.ended()) >= before + len(batch), 40, "batch ended")  # noqa: B023
                for e in r.ended()[before:]:
                    rang = r.of(ev.AgentRinging, e.call_id)
                    row = await r.wait_row(e.call_id)
                    assert row.end_reason == "abandoned", row.end_reason
                    if rang:  # the caller hung up while a phone rang: the race
                        rounds += 1
                for c in batch:
                    c.stop()
                assert r.engine_alive(), "an engine task ended"
                # Ringing agents whose caller left are offered calls again.
                await agents_settle(r, {a: "ready" for a in agents}, timeout=30)
            assert r.engine_alive()
            # Never re-offered after the caller was gone: one offer per call at most.
            for e in r.ended():
                assert len(r.of(ev.AgentRinging, e.call_id)) <= 1
        finally:
            for p in phones:
                p.stop()
