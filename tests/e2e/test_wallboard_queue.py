"""End to end: callers wait past the target while no agent is free; the wallboard's service
level falls by the formula it states, and the crossed thresholds show labelled alarms that
stay in the history. The layout holds at 1366×768 and 1920×1080."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from cti import events as ev
from cti.demo import DEMO_AGENTS, DEMO_SERVICES
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

WAIT = 30_000
TARGET = 4  # seconds (real: the engine's clock) a caller may wait


async def tiles_on_one_row(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    boxes = [await t.bounding_box() for t in await page.locator(".tile").all()]
    assert len(boxes) == 10 and all(b is not None for b in boxes)
    tops = {round(b["y"]) for b in boxes if b}
    assert len(tops) == 1, f"tiles on {len(tops)} rows at width {width}"
    assert max(b["x"] + b["width"] for b in boxes if b) <= width
    overflow = await page.evaluate("document.documentElement.scrollWidth > innerWidth")
    assert not overflow, f"the page scrolls sideways at width {width}"


async def test_waiting_callers_pull_service_level_down_and_raise_labelled_alarms(
    tmp_path: Path,
) -> None:
    services = tuple(dataclasses.replace(s, target_seconds=TARGET) for s in DEMO_SERVICES)
    settings = dataclasses.replace(
        settings_for(tmp_path, agents=DEMO_AGENTS[:1]),
        services=services,
        # site thresholds: warn above 0 waiting, critical above 1
        thresholds=(("waiting", 0.0, 1.0),),
    )
    # 0.1 real s per model s: the agent answers the first call in 0.5 s and talks 10 min.
    phones = [AgentPhone("1001", answer_after=5.0, talk_time=6000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.1) as r:
        r.add_user("boss", "supervisor")
        queued: list[ev.CallQueued] = []
        answered: list[ev.CallAnswered] = []
        r.engine.bus.subscribe(queued.append, ev.CallQueued)
        r.engine.bus.subscribe(answered.append, ev.CallAnswered)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await log_in(page, r.base, "boss", "/wallboard?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)
            await expect(page.locator("#sl-formula")).to_contain_text(
                "服务水平 = T 秒内接听数 ÷ (接听数 + 超过 T 秒后放弃数 + 已等待超过 T 秒的排队数)"
            )
            await expect(page.locator("#alarms")).to_have_text("无告警")

            first = r.sim.place_call(CallerSpec("13800000001", "甲", dtmf=["1"]))
            await until(lambda: len(answered) == 1, 30, "the first call answered")
            assert answered[0].call_id == first and answered[0].waited <= TARGET
            service = queued[0].service
            await expect(page.locator("#o-service_level")).to_have_text("100.0%", timeout=WAIT)
            # The only agent is on a long call: nobody is free for the next two callers.
            later = [
                r.sim.place_call(CallerSpec(f"1380000000{i}", f"客户{i}", dtmf=["1"]))
                for i in (2, 3)
            ]
            await until(lambda: len(queued) == 3, 30, "two more callers waiting")
            assert {q.call_id for q in queued[1:]} == set(later)
            assert all(q.service == service for q in queued)
            # Within the target they count on neither side: still 100 %, 2 waiting.
            await expect(page.locator("#o-waiting")).to_have_text("2", timeout=WAIT)
            # Past the target: answered in T 1 ÷ (answered 1 + abandoned after T 0 +
            # waiting beyond T 2) = 33.3 %, while nobody has hung up yet.
            await expect(page.locator("#o-service_level")).to_have_text("33.3%", timeout=WAIT)
            row = page.locator(f"#services tr[data-service='{service}']")
            await expect(row.locator("td[data-metric='service_level']")).to_have_text("33.3%")
            await expect(row.locator("td[data-metric='service_level']")).to_have_class(
                "num critical"
            )
            label = next(s.label_zh for s in services if s.name == service)
            alarms = page.locator("#alarms")
            await expect(alarms).to_contain_text(f"{label}：排队 2，高于严重阈值 1")
            await expect(alarms).to_contain_text(f"{label}：服务水平 33.3%，低于严重阈值 70.0%")
            await expect(alarms).to_contain_text("总计：排队 2，高于严重阈值 1")
            history = page.locator("#alarm-history")
            await expect(history).to_contain_text(f"{label}：排队 1，高于预警阈值 0")
            await expect(page.locator("#alarm")).to_contain_text("高于严重阈值")
            # The chart is ECharts' with a legend and named axes.
            chart = page.locator("#chart svg")
            for text in ("呼入", "接听", "放弃", "呼叫数", "时段"):
                await expect(chart.get_by_text(text, exact=True).first).to_be_visible()
            await tiles_on_one_row(page)
            await screenshot(page, tmp_path, "wallboard-queue-1920.png")
            # The chart's quarter hours are the site's (Asia/Shanghai), not UTC's.
            local = datetime.now(ZoneInfo("Asia/Shanghai"))
            bucket = (local.hour * 60 + local.minute) // 15
            filled = [i for i, b in enumerate(r.desk.wallboard()["chart"]) if b[0]]
            assert filled and all(abs(i - bucket) <= 1 for i in filled), (filled, bucket)
            # ECharts is served by the app (no CDN), its licence beside it.
            scripts = await page.eval_on_selector_all("script[src]", "s => s.map(x => x.src)")
            assert all(src.startswith(r.base) for src in scripts), scripts
            lic = await page.request.get(f"{r.base}/static/echarts.LICENSE.txt")
            assert lic.ok and "Apache License" in await lic.text()

            await page.set_viewport_size({"width": 1366, "height": 768})
            await page.goto(f"{r.base}/wallboard?lang=en")
            await expect(page.locator("#o-service_level")).to_have_text("33.3%", timeout=WAIT)
            label_en = next(s.label_en for s in services if s.name == service)
            await expect(page.locator("#alarms")).to_contain_text(
                f"{label_en}: Waiting 2, above the critical threshold 1"
            )
            await expect(page.locator("#sl-formula")).to_contain_text(
                "answered within T ÷ (answered + abandoned after T + waiting beyond T)"
            )
            await tiles_on_one_row(page)
            await screenshot(page, tmp_path, "wallboard-queue-1366.png")
