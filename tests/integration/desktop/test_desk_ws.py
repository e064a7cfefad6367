"""The desk over real HTTP and websockets against the simulator: pops, commands, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until


async def test_pop_commands_and_refusals(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone("1001", answer_after=4.0, talk_time=600.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.engine.router.command("a1002", "logout")
        for user, role in (
            ("a1001", "agent"),
            ("a1002", "agent"),
            ("qa1", "qa"),
            ("boss", "supervisor"),
        ):
            r.add_user(user, role)
        cust = r.add_customer("张三", "13800001234", area="北京/朝阳区")
        ticket_id = r.add_ticket(cust, "宽带断线")
        ws_url = r.base.replace("http", "ws") + "/desk/ws"
        async with client() as anon, client() as a, client() as b, client() as qa:
            # Unauthenticated: pages redirect to the login, JSON and websockets get no data.
            async with anon.get(f"{r.base}/desk", allow_redirects=False) as resp:
                assert resp.status == 302 and resp.headers["Location"].startswith("/login")
            async with anon.get(f"{r.base}/wallboard/data.json") as resp:
                assert resp.status == 401
            try:
                await anon.ws_connect(ws_url)
                raise AssertionError("an anonymous websocket was accepted")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status in (401, 302, 200)
            await login(a, r.base, "a1001")
            await login(b, r.base, "a1002")
            await login(qa, r.base, "qa1")
            # Wrong role: QA staff get neither the desktop nor the wallboard.
            for path in ("/desk", "/wallboard"):
                async with qa.get(f"{r.base}{path}") as resp:
                    assert resp.status == 403
            for path in ("/desk/ws", "/wallboard/ws"):
                try:
                    await qa.ws_connect(r.base.replace("http", "ws") + path)
                    raise AssertionError("QA got a websocket")
                except aiohttp.WSServerHandshakeError as exc:
                    assert exc.status == 403
            # A page of another site may not open the agent's socket with their cookie.
            try:
                await a.ws_connect(ws_url, origin="http://evil.example")
                raise AssertionError("cross-origin websocket accepted")
            except aiohttp.WSServerHandshakeError as exc:
                assert exc.status == 403

            tab_a, tab_a2, tab_b = (
                await open_tab(a, ws_url),
                await open_tab(a, ws_url),
                await open_tab(b, ws_url),
            )
            await until(lambda: all(t.messages for t in (tab_a, tab_a2, tab_b)), 10, "snapshots")
            first = tab_a.messages[0]
            assert first["type"] == "snapshot" and first["agent"]["id"] == "a1001"
            assert tab_b.messages[0]["agent"]["id"] == "a1002"

            # Malformed and unknown messages: refused, the socket stays usable.
            await tab_a.ws.send_str("{not json")
            await until(
                lambda: any(m.get("code") == "malformed" for m in tab_a.messages), 10, "malformed"
            )
            assert (await tab_a.ask("agent", agent="a1002", action="logout"))[
                "code"
            ] == "unknown_type"
            assert (await tab_a.ask("not_ready", reason="x" * 100))["code"] == "invalid"
            assert (await tab_a.ask("ping"))["ok"]

            # A call through the IVR rings a1001: the pop reaches both of a1001's tabs only.
            cid = r.sim.place_call(CallerSpec("13800001234", "张三", dtmf=["1"]))
            for tab in (tab_a, tab_a2):
                await until(
                    lambda t=tab: (
                        (p := t.last_pop()) is not None
                        and p["context"] is not None
                        and p["context"]["customer"] is not None
                    ),
                    20,
                    "pop with the customer",
                )
            pop = tab_a.last_pop()
            assert pop is not None and pop["call_id"] == cid
            assert pop["context"]["customer"]["name"] == "张三"
            assert [t["id"] for t in pop["context"]["tickets"]] == [ticket_id]
            assert pop["ivr"] and pop["service"] == "billing"
            assert tab_b.last_pop() is None

            await until(lambda: (tab_a.last_pop() or {}).get("status") == "connected", 20, "answer")
            # Agent B cannot act on A's call, whatever they send.
            for kind, args in (
                ("hangup", {}),
                ("record", {"paused": True}),
                ("wrapup", {"disposition": "resolved"}),
                ("ticket_create", {"title": "x", "category": "repair"}),
                ("transfer", {"service": "repair"}),
            ):
                reply = await tab_b.ask(kind, call_id=cid, **args)
                assert reply["type"] == "error" and reply["code"] == "forbidden", (kind, reply)
            assert cid in r.engine.model.live()

            # Oversized frame: that socket is closed (1009); every other one carries on.
            big = await open_tab(b, ws_url)
            await big.ws.send_str(json.dumps({"type": "ping", "pad": "x" * 40000}))
            await until(lambda: big.closed is not None, 10, "oversized socket closed")
            assert big.closed == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            assert (await tab_b.ask("ping"))["ok"] and (await tab_a.ask("ping"))["ok"]

            rec = await tab_a.ask("record", call_id=cid, paused=True)
            assert rec["ok"], rec
            made = await tab_a.ask(
                "ticket_create",
                call_id=cid,
                title="上门检修",
                category="repair",
                priority=2,
                description="光猫红灯",
            )
            assert made["ok"], made
            new_ticket = made["ticket"]["id"]
            assert (await tab_a.ask("hangup", call_id=cid))["ok"]
            await until(lambda: (tab_a.last_pop() or {}).get("status") == "ended", 20, "call end")
            done = await tab_a.ask(
                "wrapup", call_id=cid, disposition="ticket_opened", notes="已派单"
            )
            assert done["ok"], done
            await r.engine.writer.drain(timeout=10)

            def written() -> Any:
                rec = r.store.get_interaction(cid)
                return rec if rec is not None and rec.end_reason else None

            await until(lambda: written() is not None, 20, "interaction written")
            row = written()
            assert row.disposition == "ticket_opened" and row.notes == "已派单"
            assert new_ticket in row.ticket_ids and row.customer_id == cust
            assert row.agent_answered == "1001"
            for tab in (tab_a, tab_a2, tab_b):
                await tab.close()
