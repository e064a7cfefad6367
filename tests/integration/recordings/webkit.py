"""Logging in to the web app in tests (aiohttp TestClient)."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from crm.auth import create_user
from crm.uow import UnitOfWork


def add_users(sql: object, *users: tuple[str, str]) -> None:
    with UnitOfWork(sql) as uow:  # type: ignore[arg-type]
        for name, role in users:
            create_user(uow, username=name, password=f"{name}-password", role=role)
        uow.commit()


async def login(client: TestClient, name: str) -> str:
    """Log in as ``name``; the CSRF token for JSON posts."""
    client.session.cookie_jar.clear()
    page = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', await page.text()).group(1)
    resp = await client.post("/login", data={"csrf": csrf, "username": name,
                                             "password": f"{name}-password"},
                             allow_redirects=False)
    assert resp.status == 302, name
    return csrf
