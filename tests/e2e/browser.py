"""Headless Chromium for the end-to-end tests: the system's, never a downloaded one."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from tests.integration.desktop.kit import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
KEEP = REPO / "var" / "screenshots"  # copies kept for people to look at (gitignored)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(page: Page, base: str, username: str, next_path: str) -> None:
    await page.goto(f"{base}{next_path}")  # redirected to the login form, then back
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit], input[type=submit]")
    # The login sends the browser back to the page it came from, query included.
    await page.wait_for_url(f"{base}{next_path}")


async def screenshot(page: Page, tmp: Path, name: str) -> Path:
    out = tmp / "screenshots" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(out), full_page=True)
    KEEP.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, KEEP / name)
    return out
