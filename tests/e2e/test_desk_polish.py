"""End to end in Chromium: the Chinese desk says everything in Chinese (refusals with the
plain values put in words), next to the action, and clears a call's message on the next."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

WAIT = 20_000


async def test_refusals_are_worded_in_the_agents_language_next_to_the_action(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone("1001", answer_after=2.0, talk_time=6000.0), AgentPhone("1002")]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.add_user("a1001", "agent")
        r.engine.router.command("a1002", "not_ready", "lunch")
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await log_in(page, r.base, "a1001", "/desk?lang=zh")
            await expect(page.locator("#state-label")).to_have_attribute(
                "data-state", "ready", timeout=WAIT
            )
            await page.click("#btn-login")  # already signed in
            await expect(page.locator("#state-toast")).to_have_text(
                "错误: 当前状态「就绪」下不能「签入」"
            )
            await page.click("#btn-dial")  # no number typed
            await expect(page.locator("#dial-toast")).to_have_text("错误: 请输入号码")

            r.sim.place_call(CallerSpec("13800001234", "张三", dtmf=["1"]))
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "connected", timeout=WAIT
            )
            await page.fill("#xfer-agent", "a1002")
            await page.click("#btn-xfer-agent")
            toast = page.locator("#toast")
            await expect(toast).to_have_text("错误: 坐席 李伟 当前「未就绪」，无法接受转接")
            box = await toast.bounding_box()
            form = await page.locator("#ticket-form").bounding_box()
            assert box is not None and form is not None and abs(box["y"] - form["y"]) < 120
            await page.fill("#xfer-agent", "nobody")
            await page.click("#btn-xfer-agent")
            await expect(toast).to_have_text("错误: 没有这个坐席")
            await screenshot(page, tmp_path, "desk-refusal-zh.png")
            await page.click("#btn-hangup")
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "ended", timeout=WAIT
            )
            await until(
                lambda: r.engine.router.router.agents["a1001"].state.value == "ready",
                30,
                "wrap-up over",
            )
            # The next call's pop starts without the last call's message.
            r.sim.place_call(CallerSpec("13800005678", "李四", dtmf=["1"]))
            await expect(page.locator("#pop")).to_have_attribute(
                "data-status", "ringing", timeout=WAIT
            )
            await expect(toast).to_have_text("")
