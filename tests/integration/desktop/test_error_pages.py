"""403 and 404 reach people as pages in their language; JSON clients keep JSON."""

from __future__ import annotations

from pathlib import Path

from tests.integration.desktop.kit import client, desk_rig, login

HTML = {"Accept": "text/html,application/xhtml+xml"}


async def test_forbidden_and_missing_pages_are_bilingual(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        r.add_user("dept1", "department_staff")
        async with client() as session:
            await login(session, r.base, "dept1")
            async with session.get(f"{r.base}/no/such/page?lang=zh", headers=HTML) as resp:
                text = await resp.text()
                assert resp.status == 404 and "找不到该页面" in text and "返回首页" in text
            async with session.get(f"{r.base}/no/such/page?lang=en", headers=HTML) as resp:
                assert resp.status == 404 and "Page not found" in await resp.text()
            # department staff have no recordings: refused, in their language
            async with session.get(f"{r.base}/recordings?lang=zh", headers=HTML) as resp:
                text = await resp.text()
                assert resp.status == 403 and "无权访问" in text, text
                assert "recordings are for" not in text
            async with session.get(f"{r.base}/recordings?lang=en", headers=HTML) as resp:
                assert resp.status == 403 and "Not allowed" in await resp.text()
            async with session.get(f"{r.base}/no/such.json") as resp:
                assert resp.status == 404 and "找不到" not in await resp.text()
