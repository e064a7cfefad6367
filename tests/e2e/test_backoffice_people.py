"""End to end in Chromium: an agent searches a customer (a number as typed), opens the 360
view and searches the knowledge base; a supervisor imports customers with a preview,
edits a customer and takes an article through review to published, which the agent then
finds. A screenshot of every page in both languages (var/screenshots/customers-*, kb-*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.browser import chromium, screenshot
from tests.integration.crm.pages import site
from tests.integration.crm.test_customer_pages import seed as seed_customers
from tests.integration.crm.test_knowledge_pages import seed as seed_articles

WAIT = 20_000


def seed(sql: Any) -> None:
    seed_customers(sql)
    seed_articles(sql)


async def log_in(page: Page, base: str, username: str, next_path: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"{base}{next_path}")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", f"{username}-password")
    await page.click("button[type=submit], input[type=submit]")
    await page.wait_for_url(f"{base}{next_path}")


async def both(page: Page, tmp: Path, name: str) -> None:
    """Screenshots of the page as it is, in Chinese and in English."""
    url = page.url.split("?lang=")[0].split("&lang=")[0]
    for lang in ("zh", "en"):
        joiner = "&" if "?" in url else "?"
        await page.goto(f"{url}{joiner}lang={lang}")
        await screenshot(page, tmp, f"{name}-{lang}.png")
    await expect(page.locator("header")).to_contain_text("Log out")


async def test_agent_and_supervisor_days(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        base = s.origin
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 900})
            # The agent: search by a number as the caller said it, open the 360 view.
            await log_in(page, base, "a1001", "/customers?lang=zh")
            await expect(page.locator("h2")).to_have_text("客户")
            # Active search (htmx): the rows change as the agent types, no page load.
            await page.fill("input[name=q]", "王")
            rows = page.locator("#customers tbody tr")
            await expect(rows).to_have_count(2, timeout=WAIT)
            await expect(page).to_have_url(f"{base}/customers?q=%E7%8E%8B")
            await page.fill("input[name=q]", "+86 138-0013-8000")
            await page.press("input[name=q]", "Enter")
            rows = page.locator("#customers tbody tr")
            await expect(rows).to_have_count(1, timeout=WAIT)
            await expect(rows.first).to_contain_text("王芳")
            await both(page, tmp_path, "customers-search")
            await page.click("text=王芳")
            await expect(page.locator("#customer-name")).to_contain_text("王芳")
            await expect(page.locator("#grade")).to_have_text("gold")
            await both(page, tmp_path, "customers-view")
            # The hostile customer's name is shown as text.
            await page.goto(f"{base}/customers?q=%3Cscript")
            await expect(page.locator("#customers tbody")).to_contain_text(
                "<script>alert(1)</script>"
            )
            # The knowledge base: jieba-segmented search.
            await page.goto(f"{base}/kb?lang=zh")
            await page.fill("input[name=q]", "电视没信号")
            await page.press("input[name=q]", "Enter")
            await expect(page.locator("#kb-results")).to_contain_text("电视没有信号怎么办")
            await both(page, tmp_path, "kb-search")
            await page.click("text=电视没有信号怎么办")
            await expect(page.locator("#article-body")).to_contain_text("机顶盒")
            await both(page, tmp_path, "kb-article")

            # The supervisor: import with a preview, edit a customer, review an article.
            await log_in(page, base, "boss", "/customers/import?lang=en")
            csv = tmp_path / "new.csv"
            csv.write_text("name,phones,account_number\n孙八,13600136000,AC-5001\n,1,AC-5002\n")
            await page.set_input_files("#import-file", str(csv))
            await page.click("#preview")
            await expect(page.locator("#report-title")).to_contain_text("Preview")
            await expect(page.locator("#row-errors")).to_contain_text("a customer needs a name")
            await screenshot(page, tmp_path, "customers-import-en.png")
            await page.click("#do-import")
            await expect(page.locator("#report-title")).to_have_text("Imported")
            await expect(page.locator("#rows-new")).to_have_text("1")
            await page.goto(f"{base}/customers/import?lang=zh")
            await screenshot(page, tmp_path, "customers-import-zh.png")
            await page.goto(f"{base}/customers?q=AC-5001")
            await page.click("text=孙八")
            await page.click("#edit-customer")
            await both(page, tmp_path, "customers-edit")
            await page.fill("#grade", "silver")
            await page.click("#customer-form button[type=submit]")
            await expect(page.locator("#grade")).to_have_text("silver")

            await page.goto(f"{base}/kb/edit?lang=en")
            await both(page, tmp_path, "kb-editor")
            await page.click("#new-article")
            await page.fill("input[name=title]", "宽带断网怎么办")
            await page.fill("input[name=category]", "宽带")
            await page.fill("textarea[name=body]", "重启光猫，检查网线。")
            await page.click("#save-article")
            await expect(page.locator("#article-state")).to_have_text("Draft")
            await both(page, tmp_path, "kb-edit")
            await page.click("#review-submit")
            await expect(page.locator("#article-state")).to_have_text("In review")
            await page.click("#review-publish")
            await expect(page.locator("#article-state")).to_have_text("Published")

            # The agent finds the published article.
            await log_in(page, base, "a1001", "/kb?q=%E5%AE%BD%E5%B8%A6")
            await expect(page.locator("#kb-results")).to_contain_text("宽带断网怎么办")
