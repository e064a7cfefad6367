"""A real engine (simulator over TCP), the CRM on SQLite and the web app over HTTP, with
helpers to log in per role and post forms with the session's CSRF token."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from crm.auth import create_user
from crm.db import make_engine
from crm.model.audit import AuditEntry
from crm.uow import UnitOfWork
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig

META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
LOGIN_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
USERS = {"root": "admin", "boss": "supervisor", "a1001": "agent", "staff1": "department_staff"}


@dataclass
class Site:
    client: TestClient
    sql: Any
    engine: Any

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.client.port}"

    async def login(self, name: str, lang: str = "en", password: str | None = None) -> str:
        """Log in through the form; returns the session's CSRF token (from a page's meta)."""
        self.client.session.cookie_jar.clear()
        self.client.session.cookie_jar.update_cookies({"cti_lang": lang})
        token = LOGIN_CSRF.search(await (await self.client.get("/login")).text())
        assert token is not None
        data = {"csrf": token.group(1), "username": name, "password": password or f"{name}-pw-1"}
        resp = await self.client.post("/login", data=data, allow_redirects=False)
        assert resp.status == 302 and "error" not in resp.headers["Location"], name
        return await self.csrf()

    async def csrf(self) -> str:
        meta = META.search(await (await self.client.get("/status")).text())
        assert meta is not None
        return meta.group(1)

    async def post(
        self, path: str, data: dict[str, str], token: str | None, **kw: Any
    ) -> ClientResponse:
        form = dict(data)
        if token is not None:
            form["csrf"] = token
        return await self.client.post(
            path, data=form, headers={"Origin": self.origin}, allow_redirects=False, **kw
        )

    def audit(self, action: str) -> list[AuditEntry]:
        with UnitOfWork(self.sql, write=False) as uow:
            return uow.audit_log.query(action=action)


@contextlib.asynccontextmanager
async def site(tmp: Path) -> AsyncIterator[Site]:
    async with rig(tmp, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for name, role in USERS.items():
                create_user(uow, username=name, password=f"{name}-pw-1", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                yield Site(client, sql, r.engine)
        finally:
            sql.dispose()
