"""End to end in headless Chromium: quick-create of an unknown caller, then a ticket whose
state and refused update read in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for

WAIT = 20_000  # ms: a shared two-core machine


async def test_quick_create_from_an_unknown_callers_pop(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=2.0, talk_time=3000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.add_user("a1001", "agent")
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1600, "height": 1000})
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            cid = r.sim.place_call(CallerSpec("13600009999", "", dtmf=["0"]))
            form = page.locator("#quick-create")
            await expect(form).to_be_visible(timeout=WAIT)
            await expect(page.locator("#cust-name")).to_have_text("未知来电")
            await expect(page.locator("#qc-number")).to_have_value("13600009999")
            await page.fill("#qc-name", "赵新客")
            await page.click("#qc-create")
            await expect(page.locator("#cust-name")).to_have_text("赵新客", timeout=WAIT)
            await expect(form).to_be_hidden()
            await expect(page.locator("#toast")).to_have_text("已保存")
            card = r.store.find_customer_by_phone("13600009999")
            assert card is not None and card.name == "赵新客"

            # A ticket for the new customer: its state and a refused update in Chinese.
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            await page.fill("#t-title", "宽带报修")
            await page.click("#t-create")
            await expect(page.locator("#tickets li[data-state='new']")).to_contain_text(
                "新建", timeout=WAIT
            )
            await expect(page.locator("#tu-action option[value='start']")).to_have_text("开始处理")
            await page.select_option("#tu-action", "start")
            await page.click("#tu-save")
            await expect(page.locator("#toast")).to_have_text(
                re.compile(r"工单 #\d+ 当前为「新建」，不能执行「开始处理」"), timeout=WAIT
            )
            await screenshot(page, tmp_path, "desktop-quick-create.png")
        assert cid in r.engine.model.live()  # nothing above touched the call itself
