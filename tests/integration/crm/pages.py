"""A real engine + CRM + web app behind an aiohttp test server, with one user per role
logged in through the real form: for the back-office page tests and the list bench."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from crm.auth import create_user
from crm.db import make_engine
from crm.model.organization import Role
from crm.uow import UnitOfWork
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig

CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')
META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
USERS = {
    Role.AGENT: "a1001",
    Role.SUPERVISOR: "boss",
    Role.QA: "qa1",
    Role.DEPARTMENT_STAFF: "staff1",
    Role.ADMIN: "root",
}
HOSTILE = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


@dataclass
class Site:
    client: TestClient
    sql: Any
    engine: Any

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.client.port}"

    async def login(self, name: str, lang: str = "en") -> str:
        """Log in through the form; returns the session's CSRF token (from a page's meta)."""
        jar = self.client.session.cookie_jar
        jar.clear()
        jar.update_cookies({"cti_lang": lang})
        form = await self.client.get("/login")
        token = CSRF_FIELD.search(await form.text())
        assert token is not None
        data = {"csrf": token.group(1), "username": name, "password": f"{name}-password"}
        resp = await self.client.post("/login", data=data, allow_redirects=False)
        assert resp.status == 302 and "error" not in resp.headers["Location"], name
        meta = META.search(await (await self.client.get("/kb")).text())
        assert meta is not None, "the page carries the session's CSRF token"
        return meta.group(1)

    def audit_all(self, object_id: str) -> list[Any]:
        with UnitOfWork(self.sql, write=False) as uow:
            return uow.audit_log.query(object_id=object_id, limit=10_000)

    def audit(self, action: str) -> list[Any]:
        with UnitOfWork(self.sql, write=False) as uow:
            return uow.audit_log.query(action=action, limit=10_000)


@contextlib.asynccontextmanager
async def site(tmp: Path, prepare: Callable[[Any], None] | None = None) -> AsyncIterator[Site]:
    async with rig(tmp, time_scale=0.05, prepare=prepare) as r:
        sql = make_engine(r.engine.settings.database_url)
        fast = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for role, name in USERS.items():
                create_user(uow, username=name, password=f"{name}-password", role=role, hasher=fast)
            uow.commit()
        app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                yield Site(client, sql, r.engine)
        finally:
            sql.dispose()
