"""End to end in Chromium: two calls back to back. Wrap-up belongs to the agent: the next
caller waits while the agent wraps up, and each call's notes and disposition stay on it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from playwright.async_api import expect

from cti import events as ev
from cti.demo import DEMO_AGENTS, DEMO_SERVICES
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

WAIT = 20_000


async def test_two_calls_back_to_back_keep_their_own_work(tmp_path: Path) -> None:
    services = tuple(
        dataclasses.replace(s, wrap_up_mode="agent", wrap_up_seconds=600.0) for s in DEMO_SERVICES
    )
    settings = dataclasses.replace(
        settings_for(tmp_path, agents=DEMO_AGENTS[:1], wrap_up=2.0), services=services
    )
    # The site default (2 s, timed) is what the old desk did; the services say "agent".
    phones = [AgentPhone("1001", answer_after=2.0, talk_time=6000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.add_user("a1001", "agent")
        first_cust = r.add_customer("张三", "13800001234")
        rings: list[ev.AgentRinging] = []
        done: list[ev.WrapUpCompleted] = []
        answered: list[ev.CallAnswered] = []
        r.engine.bus.subscribe(rings.append, ev.AgentRinging)
        r.engine.bus.subscribe(done.append, ev.WrapUpCompleted)
        r.engine.bus.subscribe(answered.append, ev.CallAnswered)
        agent = r.engine.router.router.agents["a1001"]
        agent_wrap_started: list[float] = []
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#state-label")).to_have_attribute(
                "data-state", "ready", timeout=WAIT
            )
            c1 = r.sim.place_call(CallerSpec("13800001234", "张三", dtmf=["1"]))
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            assert await page.locator("#work").get_attribute("data-call") == c1
            # At 1366×768 the forms are on screen without scrolling the page.
            for sel in ("#t-create", "#w-save"):
                box = await page.locator(sel).bounding_box()
                assert box is not None and box["y"] + box["height"] <= 768, (sel, box)
            await page.fill("#w-notes", "客户询问账单，已解释")
            await page.select_option("#w-disposition", "information")
            await page.click("#btn-hangup")
            await expect(page.locator("#state-label")).to_have_attribute(
                "data-state", "wrap_up", timeout=WAIT
            )
            await expect(page.locator("#wrap-left")).to_contain_text("话后处理由您结束")

            # The next caller arrives while the agent is still wrapping up.
            c2 = r.sim.place_call(CallerSpec("13900009999", "陌生人", dtmf=["1"]))
            await until(lambda: c2 in r.engine.router.router.calls, 30, "the second call waits")
            await page.click("#w-save")
            await expect(page.locator("#toast")).to_have_text("已保存", timeout=WAIT)
            await screenshot(page, tmp_path, "desk-wrap-up-1366.png")
            # Longer than the site's old timed wrap-up (2 s): still wrapping up, not offered.
            await until(lambda: r.engine.clock() - agent.since > 3.0, 30, "past a timed wrap-up")
            assert agent.state.value == "wrap_up" and agent.call_id == c1
            agent_wrap_started.append(agent.since)
            assert [x for x in rings if x.call_id == c2] == []
            assert r.engine.router.router.calls[c2].offered_to is None
            await expect(page.locator("#w-notes")).to_have_value("客户询问账单，已解释")

            await page.click("#btn-ready")  # the agent ends wrap-up: now the next call
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            assert await page.locator("#work").get_attribute("data-call") == c2
            # The first call's work did not move to the second one.
            await expect(page.locator("#w-notes")).to_have_value("")
            await expect(page.locator("#w-disposition")).to_have_value("")
            await expect(page.locator("#toast")).to_have_text("")
            await page.fill("#w-notes", "打错电话")
            await page.select_option("#w-disposition", "wrong_number")
            await page.click("#w-save")
            await expect(page.locator("#toast")).to_have_text("已保存", timeout=WAIT)

        ring2 = next(x for x in rings if x.call_id == c2)
        end1 = next(x for x in done if x.call_id == c1)
        assert ring2.at >= end1.at, "the second call rang while the agent wrapped up"
        # The wrap-up outlasted a 2 s timed one, and only then did the next call ring.
        assert end1.at - agent_wrap_started[0] > 3.0

        def rec(cid: str):  # type: ignore[no-untyped-def]
            return r.store.get_interaction(cid)

        await until(lambda: rec(c1) is not None and rec(c1).disposition, 20, "call 1 row")
        await until(lambda: rec(c2) is not None and rec(c2).disposition, 20, "call 2 row")
        one, two = rec(c1), rec(c2)
        assert (one.disposition, one.notes) == ("information", "客户询问账单，已解释")
        assert one.customer_id == first_cust
        assert (two.disposition, two.notes) == ("wrong_number", "打错电话")
