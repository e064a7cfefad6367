"""End to end: after 30 simulated calls the wallboard in Chromium shows the figures that
the CRM's interaction rows give, computed here independently; supervisors act on agents."""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path
from typing import Any

from playwright.async_api import expect
from sqlalchemy import select

from crm.schema import interactions
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import settings_for, until

WAIT = 30_000
SHORT = 0.05  # short-abandon threshold (real seconds; the simulator runs at 0.02)
TARGET = 0.25  # a service-level target this fast run can miss


def figures_from_crm(rows: list[Any]) -> dict[str, Any]:
    offered = [r for r in rows if r.service]
    answered = [r for r in offered if r.agent_answered]
    long_ab = [r for r in offered if r.end_reason == "abandoned" and r.wait_seconds >= SHORT]
    in_target = [r for r in answered if r.wait_seconds <= TARGET]
    # abandoned after the target (callers who gave up sooner were never failed)
    late = [r for r in offered if r.end_reason == "abandoned" and r.wait_seconds > TARGET]
    handle = sum(r.talk_seconds + r.hold_seconds + (r.wrapup_seconds or 0) for r in answered)
    waits = sum(r.wait_seconds for r in answered)
    n, d = len(answered), len(answered) + len(late)  # nobody waits at the end
    return {
        "offered": str(len(offered)),
        "answered": str(n),
        "abandoned": str(len(long_ab)),
        "service_level": f"{round(100 * len(in_target) / d, 1):.1f}%" if d else "—",
        "asa": f"{round(waits / n, 1):.1f}s" if n else "—",
        "aht": f"{round(handle / n, 1):.1f}s" if n else "—",
        "waiting": "0",
    }


async def test_wallboard_matches_the_crm_after_30_calls(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS, wrap_up=0.05)
    phones = [AgentPhone(a.extension, answer_after=2.0, talk_time=8.0) for a in DEMO_AGENTS]
    async with desk_rig(tmp_path, settings=settings, phones=phones, time_scale=0.02) as r:
        r.add_user("boss", "supervisor")
        board = r.desk.board
        board.short_abandon = SHORT
        for info in board.services.values():
            info.target_seconds = TARGET
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await log_in(page, r.base, "boss", "/wallboard?lang=zh")
            await expect(page.locator("#conn")).to_have_class("conn up", timeout=WAIT)

            rng = random.Random(6)
            ids = []
            for i in range(30):
                key = rng.choice(["1", "2", "3", "4", "0"])
                patience = rng.choice([None, None, None, 1.0, 6.0, 20.0])
                ids.append(
                    r.sim.place_call(
                        CallerSpec(f"1380000{i:04d}", f"客户{i}", dtmf=[key], patience=patience)
                    )
                )
                await asyncio.sleep(0.05)  # pacing of arrivals, not synchronization
            await until(lambda: set(ids) <= set(r.sim.ended_calls()), 120, "all calls ended")
            await r.engine.writer.drain(timeout=30)
            await until(lambda: r.desk._wrapups.empty() and not r.engine.model.live(), 30, "idle")

            def rows() -> list[Any]:
                with r.sql.connect() as conn:
                    return list(conn.execute(select(interactions)).all())

            await until(
                lambda: len(rows()) == 30 and all(x.end_reason for x in rows()),
                30,
                "30 rows written",
            )
            # Wrap-up lengths reach the CRM through the desk's writer thread: wait for them.
            await until(
                lambda: all((x.wrapup_seconds or 0) > 0 for x in rows() if x.agent_answered),
                30,
                "wrap-ups written",
            )
            want = figures_from_crm(rows())
            assert int(want["offered"]) > 0 and int(want["answered"]) > 0
            for key, text in want.items():
                await expect(page.locator(f"#o-{key}")).to_have_text(text, timeout=WAIT)
            await expect(page.locator("#agents tbody tr")).to_have_count(3)
            # Occupancy (busy / busy + idle, today): overall tile and per agent, in zh.
            pct = re.compile(r"^\d+\.\d%$")
            await expect(page.locator("#o-occupancy")).to_have_text(pct, timeout=WAIT)
            tile = page.locator(".tile[data-metric='occupancy'] .label")
            await expect(tile).to_have_text("占用率")
            await expect(
                page.locator("#agents tr[data-agent='a1001'] td[data-metric='occupancy']")
            ).to_have_text(pct)
            await screenshot(page, tmp_path, "wallboard.png")

            # Supervisor actions: set an agent not ready, then log one out.
            row = page.locator("#agents tr[data-agent='a1002']")
            await row.locator("button[data-action='not_ready']").click()
            await until(
                lambda: r.engine.router.router.agents["a1002"].state.value == "not_ready",
                20,
                "a1002 not ready",
            )
            await page.locator(
                "#agents tr[data-agent='a1003'] button[data-action='logout']"
            ).click()
            await until(
                lambda: r.engine.router.router.agents["a1003"].state.value == "logged_out",
                20,
                "a1003 logged out",
            )
            await expect(page.locator("#agents tr[data-agent='a1003']")).to_contain_text("未登录")
            await page.goto(f"{r.base}/wallboard?lang=en")
            await expect(page.locator("#o-offered")).to_have_text(want["offered"], timeout=WAIT)
            await expect(tile).to_have_text("Occupancy")
            await screenshot(page, tmp_path, "wallboard-en.png")
