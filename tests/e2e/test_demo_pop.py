"""End to end: the demo's callers through the complete hotline flow to agents' desks in
Chromium. A known VIP in an area with an open incident pops with their tickets and the
incident; an unknown caller pops with the PBX's caller name offered for quick-create.
Screenshots in Chinese and English are kept under var/screenshots/."""

from __future__ import annotations

import random
from pathlib import Path

from playwright.async_api import expect

from crm.demo_data import load_demo
from crm.uow import UnitOfWork
from cti.demo import DEMO_AGENTS, DEMO_CALLERS, demo_caller, open_all_day, prompt_sounds
from cti.simulator import AgentPhone
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for

WAIT = 30_000


async def test_demo_callers_pop_with_tickets_incident_and_caller_name(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone(a.extension, answer_after=None) for a in DEMO_AGENTS[:2]]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.2) as r:
        r.engine.ivr.flows = open_all_day(r.engine.ivr.flows)
        r.sim.install_sounds(prompt_sounds(r.engine.ivr.flows))
        with UnitOfWork(r.sql) as uow:
            load_demo(uow)
            uow.commit()
        r.add_user("a1001", "agent")
        r.add_user("a1002", "agent")
        rng = random.Random(1)
        assert DEMO_CALLERS[0][1] == "ZHANG WEI" and DEMO_CALLERS[5][4] is False
        async with chromium() as browser:
            repair = await browser.new_page(viewport={"width": 1366, "height": 768})
            billing = await browser.new_page(viewport={"width": 1366, "height": 768})
            await log_in(repair, r.base, "a1002", "/desk?lang=zh")
            await log_in(billing, r.base, "a1001", "/desk?lang=zh")
            for page in (repair, billing):
                await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)

            r.sim.place_call(demo_caller(rng, 0))  # 张伟: VIP, 朝阳区, open ticket; repairs
            await expect(repair.locator("#cust-name")).to_have_text("张伟VIP", timeout=WAIT)
            await expect(repair.locator("#cust-number")).to_contain_text("来电名称 ZHANG WEI")
            await expect(repair.locator("#tickets")).to_contain_text("宽带断网 Broadband down")
            await expect(repair.locator("#incidents")).to_contain_text("朝阳区光缆中断")
            await expect(repair.locator("#pop-service")).to_have_text("故障报修")
            ivr = repair.locator("#pop-ivr")
            await expect(ivr).to_contain_text("菜单 1")  # the language menu
            await expect(ivr).to_contain_text("客户识别")
            await expect(ivr).to_contain_text("故障公告")
            await expect(ivr).to_contain_text("菜单 2 · 报修")
            await screenshot(repair, tmp_path, "demo-pop-known-zh.png")
            await repair.goto(f"{r.base}/desk?lang=en")
            await expect(repair.locator("#cust-name")).to_have_text("张伟VIP", timeout=WAIT)
            await expect(repair.locator("#pop-service")).to_have_text("Repairs")
            await expect(repair.locator("#pop-ivr")).to_contain_text("Menu 2 · repair")
            await expect(repair.locator("#incidents")).to_contain_text("Fiber cut")
            await screenshot(repair, tmp_path, "demo-pop-known-en.png")

            r.sim.place_call(demo_caller(rng, 5))  # 王先生: not in the CRM; billing
            await expect(billing.locator("#cust-name")).to_have_text("未知来电", timeout=WAIT)
            await expect(billing.locator("#cust-number")).to_contain_text("来电名称 王先生")
            await expect(billing.locator("#qc-name")).to_have_value("王先生")
            await expect(billing.locator("#qc-number")).to_have_value("13399998888")
            await screenshot(billing, tmp_path, "demo-pop-unknown-zh.png")
            await billing.click("#qc-create")
            await expect(billing.locator("#cust-name")).to_have_text("王先生", timeout=WAIT)
            await billing.goto(f"{r.base}/desk?lang=en")
            await expect(billing.locator("#cust-number")).to_contain_text("Caller name 王先生")
            await screenshot(billing, tmp_path, "demo-pop-unknown-en.png")
