"""Click-to-call from the desk against the simulator's outbound context: the agent's phone
rings first, then the customer's; the agent is busy meanwhile; the CRM row is outbound."""

from __future__ import annotations

from pathlib import Path

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone
from tests.integration.desktop.kit import client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until


async def test_click_to_call_rings_the_agent_then_the_customer(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2], wrap_up=0.5)
    phones = [
        AgentPhone("1001", answer_after=10.0, talk_time=100000.0),
        AgentPhone("1002", answer_after=None),  # never picks up
    ]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.sim.config.customers["13800001234"] = 20.0  # answers after 1 s (0.05 scale)
        r.sim.config.customer_talk_time = 60.0  # then talks 3 s and hangs up
        r.add_user("a1001", "agent")
        r.add_user("a1002", "agent")
        cust = r.add_customer("张三", "13800001234")
        rings: list[str] = []

        def on_ami(pairs: list[tuple[str, str]]) -> None:
            fields = dict(pairs)
            if fields.get("Event") == "Newexten" and fields.get("Application") == "Ringing":
                rings.append(fields["Channel"])

        r.sim.pbx.listeners.append(on_ami)
        router = r.engine.router.router
        ws_url = r.base.replace("http", "ws") + "/desk/ws"
        async with client() as a, client() as b:
            await login(a, r.base, "a1001")
            await login(b, r.base, "a1002")
            tab, tab_b = await open_tab(a, ws_url), await open_tab(b, ws_url)
            await until(lambda: bool(tab.messages and tab_b.messages), 10, "snapshots")

            bad = await tab.ask("dial", number="12; DROP")
            assert bad["type"] == "error" and bad["code"] == "invalid", bad
            reply = await tab.ask("dial", number="138 0000 1234")
            assert reply["ok"] and reply["dialing"] == "13800001234", reply
            cid = reply["call_id"]
            # The agent is busy from the first ring: routing offers them nothing else.
            assert router.agents["a1001"].state.value == "ringing"
            await until(lambda: (tab.last_pop() or {}).get("status") == "dialing", 10, "pop")
            await until(lambda: len(rings) >= 2, 20, "both phones rang")
            assert rings[0].startswith("Local/1001@cti-agents-") and rings[0].endswith(";2")
            assert rings[1].startswith("Local/13800001234@customers-")
            await until(
                lambda: router.agents["a1001"].state.value == "on_call", 10, "agent on the call"
            )
            await until(
                lambda: (tab.last_pop() or {}).get("status") == "connected", 20, "customer answered"
            )
            pop = tab.last_pop()
            assert pop is not None and pop["direction"] == "outbound" and pop["call_id"] == cid
            assert pop["context"]["customer"]["id"] == cust

            await until(lambda: (tab.last_pop() or {}).get("status") == "ended", 30, "hung up")
            await r.engine.writer.drain(timeout=20)
            await until(
                lambda: (x := r.store.get_interaction(cid)) is not None and bool(x.end_reason),
                20,
                "the interaction is written",
            )
            row = r.store.get_interaction(cid)
            assert row is not None
            assert row.direction == "outbound" and row.customer_id == cust
            assert row.agent_answered == "1001" and row.caller_number == "13800001234"
            assert row.end_reason == "completed" and row.talk_seconds > 0
            await until(lambda: router.agents["a1001"].state.value == "ready", 20, "free again")
            assert not router.holders(cid) and not r.engine.model.live()

            # An agent who does not pick up: the customer is never dialled, nobody stuck.
            r.engine.router.command("a1002", "not_ready", "admin")
            reply = await tab_b.ask("dial", number="13800001234")
            assert reply["ok"], reply
            await until(lambda: cid not in r.engine.model.calls, 10, "first call gone")
            before = len(rings)
            await until(
                lambda: router.agents["a1002"].state.value == "not_ready", 30, "back to not ready"
            )
            assert router.agents["a1002"].reason == "admin"
            assert [x for x in rings[before:] if "@customers-" in x] == []
            await tab.close()
            await tab_b.close()
