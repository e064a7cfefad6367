"""The administrator's day in real Chromium: create a user linked to an agent; deactivate
it and that user's open session ends; change a category's SLA and a new ticket follows;
read the audit log of all of that and export it. Every admin page is photographed in both
languages (var/screenshots/admin-<page>-<lang>.png)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.async_api import Page, expect

from crm.services.tickets import open_ticket
from crm.uow import UnitOfWork
from tests.e2e.browser import chromium, log_in, screenshot
from tests.integration.desktop.kit import PASSWORD, desk_rig

WAIT = 30_000
PAGES = ("users", "departments", "categories", "reasons", "alarms", "audit")


async def shoot_all(page: Page, base: str, tmp: Path) -> None:
    for lang in ("zh", "en"):
        for name in PAGES:
            await page.goto(f"{base}/admin/{name}?lang={lang}")
            await expect(page.locator("#admin-tabs")).to_be_visible(timeout=WAIT)
            await screenshot(page, tmp, f"admin-{name}-{lang}.png")


async def test_admin_day(tmp_path: Path) -> None:
    async with desk_rig(tmp_path, time_scale=0.05) as r:
        r.add_user("root", "admin")
        async with chromium() as browser:
            admin = await (await browser.new_context()).new_page()
            await log_in(admin, r.base, "root", "/admin/users?lang=en")
            # Create a user, linked to agent 1001 and extension 8001.
            form = admin.locator("#new-user")
            await form.locator("input[name=username]").fill("li")
            await form.locator("input[name=display_name]").fill("李<b>四</b>")
            await form.locator("input[name=password]").fill(PASSWORD)
            await form.locator("select[name=role]").select_option("agent")
            await form.locator("input[name=agent_id]").fill("1001")
            await form.locator("input[name=extension]").fill("8001")
            await form.locator("button[type=submit]").click()
            await expect(admin.locator("#saved")).to_be_visible(timeout=WAIT)
            row = admin.locator("#user-li")
            await expect(row).to_contain_text("李<b>四</b>")  # shown as text
            await expect(row.locator("input[name=agent_id]")).to_have_value("1001")
            await expect(row.locator("input[name=extension]")).to_have_value("8001")

            # Li logs in elsewhere; the admin deactivates li; li's next page load: login.
            li = await (await browser.new_context()).new_page()
            await log_in(li, r.base, "li", "/status")
            await row.get_by_role("button", name="Deactivate").click()
            await expect(admin.locator("#user-li .status")).to_have_text(
                "Deactivated", timeout=WAIT
            )
            await li.reload()
            await expect(li.locator("input[name=password]")).to_be_visible(timeout=WAIT)
            assert "/login" in li.url

            # The repair category's SLA: 48 h -> 90 min; a new repair ticket follows.
            await admin.goto(f"{r.base}/admin/categories")
            repair = admin.locator("#category-repair")
            await repair.locator("input[name=sla_minutes]").fill("90")
            await repair.get_by_role("button", name="Save").click()
            await expect(admin.locator("#saved")).to_be_visible(timeout=WAIT)
            await expect(admin.locator("#category-repair input[name=sla_minutes]")).to_have_value(
                "90"
            )
            with UnitOfWork(r.sql) as uow:
                ticket = open_ticket(uow, actor="li", title="停水", category="repair")
                uow.commit()
            assert ticket.due == ticket.opened_at + timedelta(minutes=90)

            # The audit log of all of that, filtered to the admin, then exported.
            await admin.goto(f"{r.base}/admin/audit")
            await admin.locator("#audit-filter input[name=actor]").fill("root")
            await admin.locator("#audit-filter button").click()
            table = admin.locator("#audit")
            for action in ("user.create", "user.update", "category.update"):
                await expect(table).to_contain_text(action, timeout=WAIT)
            await expect(table).to_contain_text('"sla_minutes": 90')
            await expect(table).to_contain_text('"active": {"new": false, "old": true}')
            async with admin.expect_download() as download:
                await admin.locator("#export-xlsx").click()
            saved = tmp_path / "audit-log.xlsx"  # openpyxl goes by the file's extension
            await (await download.value).save_as(saved)
            book = load_workbook(saved, read_only=True)
            rows = list(book.active.iter_rows(values_only=True))
            assert rows[0][:3] == ("at", "actor", "action")
            assert {r[1] for r in rows[1:]} == {"root"}
            actions = [r[2] for r in rows[1:]]
            assert {"user.create", "user.update", "category.update"} <= set(actions)
            await shoot_all(admin, r.base, tmp_path)
