"""End to end in Chromium: a page on another port of 127.0.0.1 (same site, other origin,
so SameSite cookies go with its requests) tries to make a logged-in admin create an
admin, by a script's fetch and by an auto-submitted form. Both are refused."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from playwright.async_api import expect

from crm.uow import UnitOfWork
from tests.e2e.browser import chromium, log_in
from tests.integration.desktop.kit import desk_rig
from tests.integration.enginekit import until

WAIT = 30_000

ATTACK = """<!doctype html><html><body>
<p id="out">running</p>
<form id="f" method="post" action="TARGET/routing/reload" target="sink"></form>
<iframe name="sink"></iframe>
<script>
fetch("TARGET/api/users", {
  method: "POST", credentials: "include", mode: "no-cors",
  headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({username: "mallory", password: "mallory-password", role: "admin"})
}).then(() => { document.getElementById("out").textContent = "sent"; },
        () => { document.getElementById("out").textContent = "sent"; });
document.getElementById("f").submit();
</script></body></html>"""


@contextlib.asynccontextmanager
async def attacker_site(target: str) -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=ATTACK.replace("TARGET", target), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def test_a_page_on_another_port_cannot_make_the_admin_create_an_admin(
    tmp_path: Path,
) -> None:
    async with desk_rig(tmp_path, time_scale=0.05) as r:
        r.add_user("root", "admin")
        async with attacker_site(r.base) as evil, chromium() as browser:
            context = await browser.new_context()
            admin = await context.new_page()
            await log_in(admin, r.base, "root", "/status")
            attacked = []

            def note(response: object) -> None:
                url = getattr(response, "url", "")
                if url.startswith(r.base):
                    attacked.append((url, getattr(response, "status", 0)))

            context.on("response", note)
            trap = await context.new_page()
            await trap.goto(evil)
            await expect(trap.locator("#out")).to_have_text("sent", timeout=WAIT)
            targets = {f"{r.base}/api/users", f"{r.base}/routing/reload"}
            await until(lambda: targets <= {u for u, _ in attacked}, 30, "both forged requests")
            # Both reached the server with the admin's cookie and were refused.
            statuses = dict(attacked)
            assert statuses[f"{r.base}/api/users"] == 403, attacked
            assert statuses[f"{r.base}/routing/reload"] == 403, attacked
            with UnitOfWork(r.sql, write=False) as uow:
                assert uow.users.by_username("mallory") is None
            # The admin's own session still works and may write with its token.
            me = await admin.request.get(f"{r.base}/api/me")
            assert me.status == 200
