"""Each role logs in from the front door (/) in Chromium and lands on its home, in both
languages, with the navigation its role allows; a screenshot of each home in each
language is kept under var/screenshots/ (home-<role>-<lang>.png)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from cti.webkit import nav
from tests.e2e.browser import chromium, screenshot
from tests.integration.desktop.kit import PASSWORD, desk_rig

# One user per role; the agent's name is a routing agent of the rig (user = agent id).
USERS = {
    "agent": "a1001",
    "supervisor": "boss",
    "qa": "qa1",
    "department_staff": "staff1",
    "admin": "root",
}
# What each home shows in Chinese (its heading or a landmark), for the homes that exist.
LANDMARK_ZH = {"/desk": "坐席工作台", "/recordings": "通话录音", "/wallboard": "监控大屏"}


async def test_each_role_lands_on_its_home_in_both_languages(tmp_path: Path) -> None:
    async with desk_rig(tmp_path, time_scale=0.05) as r:
        for role, name in USERS.items():
            r.add_user(name, role)
        registered = {
            getattr(res, "canonical", None) for res in r.engine.web_runner.app.router.resources()
        }
        homes = dict(nav.HOMES)
        async with chromium() as browser:
            for role, name in USERS.items():
                context = await browser.new_context()
                page = await context.new_page()
                await page.goto(f"{r.base}/")
                await expect(page.locator("input[name=username]")).to_be_visible()
                await page.fill("input[name=username]", name)
                await page.fill("input[name=password]", PASSWORD)
                await page.click("button[type=submit]")
                await page.wait_for_url(lambda url: "/login" not in url)
                landed = page.url.removeprefix(r.base).split("?")[0]
                if homes[role] in registered:
                    assert landed == homes[role], (role, landed)
                for lang in ("zh", "en"):
                    await page.goto(f"{r.base}{landed}?lang={lang}")
                    html_lang = await page.get_attribute("html", "lang")
                    assert html_lang == ("zh-CN" if lang == "zh" else "en"), (role, lang)
                    nav_bar = page.locator("nav.main")
                    await expect(nav_bar).to_be_visible()
                    if lang == "zh" and landed in LANDMARK_ZH:
                        await expect(page.locator("body")).to_contain_text(LANDMARK_ZH[landed])
                    await screenshot(page, tmp_path, f"home-{role}-{lang}.png")
                # The language switch and the logout are on every home.
                await page.click("#logout, a[href='/logout']")
                await page.wait_for_url(f"{r.base}/login")
                await context.close()
        assert homes["agent"] == "/desk" and homes["qa"] == "/recordings"
