"""End to end in Chromium: the desk's knowledge-base box (jieba-segmented Chinese,
stemmed English, browsing by category) and suggestions from the call's service."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from crm.demo_data import load_demo
from crm.uow import UnitOfWork
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for

WAIT = 20_000


async def test_search_box_browse_and_suggestions(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=None)]  # rings while the agent reads
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.add_user("a1001", "agent")
        with UnitOfWork(r.sql) as uow:
            load_demo(uow)
            uow.commit()
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            results = page.locator("#kb-results")
            # On load: every article, browsable; the categories are offered by name.
            await expect(results.locator("li")).to_have_count(8, timeout=WAIT)
            await expect(page.locator("#kb-cat option[value='billing']")).to_have_text(
                "账单缴费 (3)"
            )
            await page.fill("#kb-q", "电视没信号")
            await page.click("#kb-go")
            await expect(results.locator("li").first).to_contain_text("电视没有信号怎么办")
            await expect(results).not_to_contain_text("停电怎么办")
            await page.fill("#kb-q", "")
            await page.select_option("#kb-cat", "billing")
            await expect(results.locator("li")).to_have_count(3)
            await expect(results).to_contain_text("账单查询与缴费")
            await expect(results).to_contain_text("Paying your bills")
            await page.select_option("#kb-cat", "")
            await page.fill("#kb-q", "量子力学")
            await page.click("#kb-go")
            await expect(results).to_have_text("没有找到相关文章")

            # A caller for billing: the pop suggests the billing articles.
            r.sim.place_call(CallerSpec("13800001234", "x", dtmf=["1"]))
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "ringing", timeout=WAIT
            )
            await expect(page.locator("#pop-service")).to_have_text("账单查询")
            await expect(page.locator("#articles")).to_contain_text("账单查询与缴费", timeout=WAIT)
            await expect(page.locator("#articles")).to_contain_text("Paying your bills")
            await screenshot(page, tmp_path, "desk-knowledge-zh.png")

            await page.goto(f"{r.base}/desk?lang=en")
            await page.fill("#kb-q", "no signal")
            await page.click("#kb-go")
            await expect(results.locator("li").first).to_contain_text("No signal on your TV")
            await page.fill("#kb-q", "bills")
            await page.click("#kb-go")
            await expect(results).to_contain_text("Understanding your monthly bill")
            await expect(results.locator("li")).to_have_count(2)
