"""Web security over real HTTP (issue 12): CSRF bound to the session, open redirects,
login throttling, revocable sessions, bounded JSON bodies."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from sqlalchemy import Engine as SqlEngine

from crm.auth import create_user
from crm.db import make_engine
from crm.login import LoginPolicy
from crm.uow import UnitOfWork
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig

CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')
USERS = {"root": "admin", "a1001": "agent", "boss": "supervisor"}


def password(name: str) -> str:
    return f"{name}-password"


@dataclass
class Web:
    client: TestClient
    sql: SqlEngine
    origin: str

    async def login(self, name: str, pw: str | None = None, **extra: str) -> Any:
        form = await self.client.get("/login")
        token = CSRF_FIELD.search(await form.text())
        assert token is not None
        data = {"csrf": token.group(1), "username": name, "password": pw or password(name)}
        return await self.client.post("/login", data={**data, **extra}, allow_redirects=False)

    async def session_csrf(self) -> str:
        """The session's CSRF token, as every page hands it to its scripts."""
        page = await self.client.get("/status")
        found = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', await page.text())
        assert found is not None
        return found.group(1)


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        hasher = PasswordHasher(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            for name, role in USERS.items():
                create_user(uow, username=name, password=password(name), role=role, hasher=hasher)
            uow.commit()
        app = make_app(
            r.engine, authenticate=crm_authenticator(sql, LoginPolicy(user_failures=5)), crm_sql=sql
        )
        try:
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                yield Web(client, sql, f"http://127.0.0.1:{client.port}")
        finally:
            sql.dispose()


NEW_ADMIN = {"username": "mallory", "password": "mallory-password", "role": "admin"}


async def test_cookie_writes_need_the_sessions_csrf_token_and_this_origin(web: Web) -> None:
    assert (await web.login("root")).status == 302
    c = web.client
    # The session cookie alone, as a cross-site page would send it: refused.
    bare = await c.post("/api/users", json=NEW_ADMIN)
    assert bare.status == 403, await bare.text()
    token = await web.session_csrf()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    evil = await c.post(
        "/api/users",
        json=NEW_ADMIN,
        headers={"X-CSRF-Token": token, "Origin": "http://127.0.0.1:1"},
    )
    assert evil.status == 403
    wrong = await c.post("/api/users", json=NEW_ADMIN, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status == 403
    ok = await c.post(
        "/api/users", json=NEW_ADMIN, headers={"X-CSRF-Token": token, "Origin": web.origin}
    )
    assert ok.status == 201, await ok.text()
    # Pages' writes too (routing), and the token is the session's: a new login, a new token.
    reload_ = await c.post("/routing/reload", headers={"Origin": web.origin})
    assert reload_.status == 403
    c.session.cookie_jar.clear()
    assert (await web.login("root")).status == 302
    assert await web.session_csrf() != token


async def test_bearer_clients_need_no_csrf_token(web: Web) -> None:
    async with aiohttp.ClientSession() as api:  # no cookie jar use: token only
        login = await api.post(
            f"{web.origin}/api/login", json={"username": "root", "password": password("root")}
        )
        assert login.status == 200 and "Set-Cookie" not in login.headers
        bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
        made = await api.post(f"{web.origin}/api/users", json=NEW_ADMIN, headers=bearer)
        assert made.status == 201, await made.text()


@pytest.mark.parametrize(
    "nxt",
    [
        "/%09/evil.host",
        "//evil.host",
        "/\\evil.host",
        "\\\\evil.host",
        "/\t/evil.host",
        "https://evil.host",
        "%2F%2Fevil.host",
        "javascript:alert(1)",
    ],
)
async def test_login_never_redirects_off_site(web: Web, nxt: str) -> None:
    page = await web.client.get("/login", params={"next": nxt})
    assert 'name="next" value="/"' in await page.text()
    resp = await web.login("boss", next=nxt)
    assert resp.status == 302 and resp.headers["Location"] == "/", resp.headers["Location"]


async def test_login_keeps_a_same_site_next(web: Web) -> None:
    resp = await web.login("boss", next="/wallboard?lang=en")
    assert resp.headers["Location"] == "/wallboard?lang=en"


async def test_repeated_failures_lock_the_username_with_a_bilingual_429(web: Web) -> None:
    for _ in range(5):
        wrong = await web.login("boss", "wrong-password")
        assert wrong.status == 302 and "error=1" in wrong.headers["Location"]
    locked = await web.login("boss")  # the right password, too late
    assert locked.status == 429
    wait = int(locked.headers["Retry-After"])
    assert 1 <= wait <= 900
    assert "登录失败次数过多" in await locked.text()
    web.client.session.cookie_jar.update_cookies({"cti_lang": "en"})
    again = await web.login("boss")
    assert again.status == 429 and "Too many failed logins" in await again.text()
    assert "cti_session" not in again.cookies
    # The API shares the lock, with a problem body and Retry-After.
    api = await web.client.post(
        "/api/login", json={"username": "boss", "password": password("boss")}
    )
    assert api.status == 429 and int(api.headers["Retry-After"]) >= 1
    detail = (await api.json())["detail"]
    assert "登录失败次数过多" in detail and "too many failed logins" in detail
    # Another user is not affected.
    assert (await web.login("a1001")).status == 302


async def test_unknown_usernames_pay_for_a_hash_check_too(tmp_path: Path) -> None:
    """Timing: an unknown name is checked against a dummy hash, so it costs one verify."""
    from crm.login import LoginGate

    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append(str(password))
            return super().verify(hash, password)

    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        from crm.db import create_schema

        create_schema(sql)
        gate = LoginGate(sql, hasher=Counting(time_cost=1, memory_cost=8192))
        with pytest.raises(Exception, match="wrong username or password"):
            await gate.login("nobody-here", "guess-1", "192.0.2.1")
        assert calls == ["guess-1"]
        gate.close()
    finally:
        sql.dispose()


async def test_a_login_flood_is_refused_quickly_not_queued(tmp_path: Path) -> None:
    from crm.db import create_schema
    from crm.login import Busy, LoginGate

    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        create_schema(sql)
        gate = LoginGate(sql, policy=LoginPolicy(hash_workers=1, hash_queue=2, ip_failures=10_000))
        started = time.monotonic()
        results = await asyncio.gather(
            *(gate.login(f"user{i}", "wrong-password", "192.0.2.9") for i in range(30)),
            return_exceptions=True,
        )
        busy = [r for r in results if isinstance(r, Busy)]
        assert len(busy) == 27, results  # 1 hashing + 2 waiting; the rest refused at once
        assert gate.refused_busy == 27
        assert time.monotonic() - started < 30
        gate.close()
    finally:
        sql.dispose()


async def test_logout_ends_the_session_on_the_server(web: Web) -> None:
    ok = await web.login("boss")
    cookie = ok.cookies["cti_session"].value
    assert (await web.client.get("/wallboard", allow_redirects=False)).status == 200
    await web.client.get("/logout", allow_redirects=False)
    # A copy of the old cookie (stolen, or another tab) no longer works.
    web.client.session.cookie_jar.update_cookies({"cti_session": cookie})
    replay = await web.client.get("/wallboard", allow_redirects=False)
    assert replay.status == 302 and replay.headers["Location"].startswith("/login")
    api = await web.client.get("/api/me")
    assert api.status == 401


async def _admin_patch(web: Web, username: str, change: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as api:
        login = await api.post(
            f"{web.origin}/api/login", json={"username": "root", "password": password("root")}
        )
        bearer = {"Authorization": f"Bearer {(await login.json())['token']}"}
        resp = await api.patch(f"{web.origin}/api/users/{username}", json=change, headers=bearer)
        assert resp.status == 200, await resp.text()


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"role": "qa"}, {"password": "a-brand-new-password"}],
    ids=["deactivated", "new-role", "new-password"],
)
async def test_user_changes_end_their_sessions_at_once(web: Web, change: dict[str, Any]) -> None:
    assert (await web.login("boss")).status == 302
    assert (await web.client.get("/wallboard", allow_redirects=False)).status == 200
    ws = await web.client.ws_connect("/wallboard/ws", headers={"Origin": web.origin})
    first = await ws.receive_json(timeout=10)
    assert first
    await _admin_patch(web, "boss", change)
    page = await web.client.get("/wallboard", allow_redirects=False)
    assert page.status == 302
    # The open wallboard socket is closed too (policy violation), without a message from it.
    msg = await ws.receive(timeout=15)
    while msg.type == aiohttp.WSMsgType.TEXT:
        msg = await ws.receive(timeout=15)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
    await ws.close()


async def test_nested_json_is_a_400_even_before_login(web: Web) -> None:
    deep = '{"username":' + "[" * 50_000 + "]" * 50_000 + ', "password": "x"}'
    resp = await web.client.post(
        "/api/login", data=deep, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400, await resp.text()
    assert "deeper" in (await resp.json())["detail"]
    nan = await web.client.post(
        "/api/login", data='{"username": NaN}', headers={"Content-Type": "application/json"}
    )
    assert nan.status == 400


async def test_nested_json_is_a_400_on_the_pages_json_posts(web: Web) -> None:
    assert (await web.login("root")).status == 302
    headers = {
        "X-CSRF-Token": await web.session_csrf(),
        "Origin": web.origin,
        "Content-Type": "application/json",
    }
    deep = "[" * 5_000 + "]" * 5_000  # past Python's recursion limit, under the size caps
    for path in ("/routing/reload", "/recordings/calls/x/pause"):
        resp = await web.client.post(path, data=deep, headers=headers)
        assert resp.status == 400, (path, await resp.text())


async def test_per_address_lockout_and_hashing_off_the_default_pool(tmp_path: Path) -> None:
    import threading

    from crm.db import create_schema
    from crm.login import LoginGate, Throttled

    threads: set[str] = set()

    class Watching(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            threads.add(threading.current_thread().name)
            return super().verify(hash, password)

    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        create_schema(sql)
        hasher = Watching(time_cost=1, memory_cost=8192)
        with UnitOfWork(sql) as uow:
            create_user(uow, username="boss", password=password("boss"), role="supervisor",
                        hasher=hasher)  # fmt: skip
            uow.commit()
        gate = LoginGate(sql, hasher=hasher, policy=LoginPolicy(ip_failures=3, refusal_delay=0.0))
        for name in ("x1", "x2", "x3"):  # three different usernames, one address
            with pytest.raises(Exception, match="wrong username"):
                await gate.login(name, "guess", "198.51.100.1")
        with pytest.raises(Throttled) as locked:
            await gate.login("boss", password("boss"), "198.51.100.1")
        assert locked.value.retry_after >= 1
        token, who = await gate.login("boss", password("boss"), "198.51.100.2")
        assert token and who.username == "boss"
        # Every password check ran in the gate's own threads, never the default executor
        # that the database work and the recorder share.
        assert threads and all(t.startswith("login-hash") for t in threads), threads
        gate.close()
    finally:
        sql.dispose()
