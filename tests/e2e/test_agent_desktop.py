"""End to end in headless Chromium: an agent's call from ring to disposition, and a
websocket killed while the phone rings."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.async_api import WebSocketRoute, expect

from cti import events as ev
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

WAIT = 20_000  # ms: a shared two-core machine


async def test_agent_takes_a_call_from_ring_to_disposition(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    # 0.2 s per model second: the phone rings 3 s (15 model s) before it answers.
    phones = [AgentPhone("1001", answer_after=15.0, talk_time=3000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.engine.router.command("a1001", "logout")  # the agent signs in through the page
        r.add_user("a1001", "agent")
        cust = r.add_customer("张三", "13800001234", area="北京/朝阳区")
        ticket_id = r.add_ticket(cust, "宽带断线")
        rings: list[float] = []
        r.engine.bus.subscribe(lambda e: rings.append(time.monotonic()), ev.AgentRinging)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(page.locator("#state-label")).to_have_attribute("data-state", "logged_out")
            await page.click("#btn-login")
            await page.click("#btn-ready")
            await expect(page.locator("#state-label")).to_have_attribute(
                "data-state", "ready", timeout=WAIT
            )

            cid = r.sim.place_call(CallerSpec("13800001234", "张三", dtmf=["1"]))
            await until(lambda: bool(rings), 30, "the agent's phone rings")
            await expect(page.locator("#cust-name")).to_have_text("张三", timeout=WAIT)
            await expect(page.locator("#tickets")).to_contain_text("宽带断线")
            shown = time.monotonic()
            assert shown - rings[0] < 1.0, f"pop took {shown - rings[0]:.2f}s after the ring"
            assert await page.locator("#pop").get_attribute("data-status") == "ringing"
            await expect(page.locator(f"#tickets li[data-ticket='{ticket_id}']")).to_be_visible()
            await screenshot(page, tmp_path, "desktop-ringing.png")

            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            await page.fill("#t-title", "上门检修")
            await page.select_option("#t-category", "repair")
            await page.fill("#t-desc", "光猫红灯闪烁")
            await page.click("#t-create")
            await expect(page.locator("#tickets")).to_contain_text("上门检修", timeout=WAIT)
            await page.fill("#w-notes", "已派单，客户同意上门")
            await screenshot(page, tmp_path, "desktop-on-call.png")
            await page.click("#btn-hangup")
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "ended", timeout=WAIT
            )
            await page.select_option("#w-disposition", "ticket_opened")
            await page.click("#w-save")
            await expect(page.locator("#toast")).to_have_text("已保存", timeout=WAIT)
            await screenshot(page, tmp_path, "desktop-wrap-up.png")
            assert dialogs == []

        await r.engine.writer.drain(timeout=10)

        def row():  # type: ignore[no-untyped-def]
            rec = r.store.get_interaction(cid)
            return rec if rec is not None and rec.end_reason and rec.disposition else None

        await until(lambda: row() is not None, 20, "interaction with disposition")
        rec = row()
        assert rec.disposition == "ticket_opened" and rec.customer_id == cust
        assert rec.notes == "已派单，客户同意上门"
        assert len(rec.ticket_ids) == 1 and rec.ticket_ids[0] != ticket_id


async def test_pop_survives_a_killed_websocket_and_names_render_as_text(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=None)]  # rings until the test is over
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.5) as r:
        r.add_user("a1001", "agent")
        evil = "<script>alert(1)</script>"
        r.add_customer(evil, "13900005678")
        blocked = False
        routes: list[WebSocketRoute] = []

        async def gate(ws: WebSocketRoute) -> None:
            # The browser's socket goes through here: while "blocked" the server is
            # unreachable, as when a network drops.
            if blocked:
                await ws.close(code=1011)
                return
            ws.connect_to_server()
            routes.append(ws)

        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            dialogs: list[str] = []
            page.on("dialog", lambda d: dialogs.append(d.message))
            await page.route_web_socket("**/desk/ws", gate)
            await log_in(page, r.base, "a1001", "/desk?lang=en")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(page.locator("#state-label")).to_have_attribute("data-state", "ready")

            blocked = True
            for route in routes:
                await route.close(code=1001)
            await expect(page.locator("#conn")).to_have_class("conn down", timeout=WAIT)
            r.sim.place_call(CallerSpec("13900005678", "x", dtmf=["1"]))
            agent = r.engine.router.router.agents["a1001"]
            await until(lambda: agent.state.value == "ringing", 30, "ringing while offline")
            blocked = False  # the network is back: the page reconnects and resyncs
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "ringing", timeout=WAIT
            )
            await expect(page.locator("#cust-name")).to_have_text(evil, timeout=WAIT)
            assert await page.locator("#cust-name script").count() == 0
            await screenshot(page, tmp_path, "desktop-after-reconnect.png")
            assert dialogs == []
