"""A supervisor runs three reports in real Chromium (the ECharts canvas is drawn), exports
one as XLSX and checks its rows; the reports page is photographed in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Page, expect

from crm.model.interaction import InteractionRecord
from crm.services.tickets import open_ticket
from crm.uow import UnitOfWork
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import desk_rig

WAIT = 30_000
REPORTS = ("calls-by-day", "service-level", "tickets-by-category")


async def run(page: Page, name: str, first: str, last: str) -> None:
    await page.locator("#report-name").select_option(name)
    await page.locator("#report-form input[name=from]").fill(first)
    await page.locator("#report-form input[name=to]").fill(last)
    await page.locator("#run-report").click()
    await page.wait_for_url(f"**report={name}**")
    chart = page.locator("#report-chart")
    await expect(chart).to_have_attribute("data-rendered", "1", timeout=WAIT)
    await expect(chart.locator("canvas")).to_have_count(1)
    # The canvas has pixels drawn on it, not just an element.
    painted = await chart.locator("canvas").evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }"""
    )
    assert painted, name


async def test_supervisor_runs_reports_and_exports_xlsx(tmp_path: Path) -> None:
    async with desk_rig(tmp_path, time_scale=0.05) as r:
        r.add_user("boss", "supervisor")
        today = datetime.now(UTC).replace(microsecond=0)
        for n in range(6):
            r.store.record_interaction(InteractionRecord(
                f"c{n}", today - timedelta(days=n % 3, minutes=5), service="repair",
                agent_answered="1001" if n % 2 else None, wait_seconds=5.0 * n,
                talk_seconds=60, end_reason="completed" if n % 2 else "abandoned"))  # fmt: skip
        with UnitOfWork(r.sql) as uow:
            for category in ("repair", "repair", "complaint"):
                open_ticket(uow, actor="boss", title="t", category=category)
            uow.commit()
        first = (today - timedelta(days=6)).astimezone().date().isoformat()
        last = (today + timedelta(days=1)).date().isoformat()
        async with chromium() as browser:
            context = await browser.new_context(accept_downloads=True)
            page = await context.new_page()
            await log_in(page, r.base, "boss", "/reports?lang=en")
            for name in REPORTS:
                await run(page, name, first, last)
            table = page.locator("#report-table")
            await expect(table).to_contain_text("repair")
            await expect(table).to_contain_text("complaint")
            await run(page, "abandons", first, last)
            async with page.expect_download() as download:
                await page.locator("#export-xlsx").click()
            path = tmp_path / "abandons.xlsx"  # openpyxl goes by the file's extension
            await (await download.value).save_as(path)
            rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
            assert rows[0] == (
                "day", "offered", "abandoned", "abandon_rate", "mean_wait_before_abandon_seconds"
            )  # fmt: skip
            assert sum(r[1] for r in rows[1:]) == 6 and sum(r[2] for r in rows[1:]) == 3
            for lang in ("zh", "en"):
                for name in REPORTS:
                    await page.goto(
                        f"{r.base}/reports?report={name}&from={first}&to={last}&lang={lang}"
                    )
                    await expect(page.locator("#report-chart")).to_have_attribute(
                        "data-rendered", "1", timeout=WAIT
                    )
                    await screenshot(page, tmp_path, f"reports-{name}-{lang}.png")
