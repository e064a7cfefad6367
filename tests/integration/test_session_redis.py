"""Sessions in Redis (``web.session_store: redis``): two web apps (two nodes) share them,
and a logout on one ends the session on the other. Real redis-server."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from crm.auth import create_user
from crm.db import make_engine
from crm.uow import UnitOfWork
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.cluster.redisproc import RedisProcess
from tests.integration.enginekit import rig, settings_for

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_two_web_nodes_share_sessions_and_their_end(
    tmp_path: Path, redis_server: RedisProcess
) -> None:
    settings = dataclasses.replace(
        settings_for(tmp_path), redis_url=redis_server.url, web_session_store="redis"
    )
    async with rig(tmp_path, settings=settings) as r:
        sql = make_engine(r.engine.settings.database_url)
        with UnitOfWork(sql) as uow:
            create_user(uow, username="boss", password="boss-password", role="supervisor")
            uow.commit()
        auth = crm_authenticator(sql)
        node_a = make_app(r.engine, authenticate=auth, crm_sql=sql)
        node_b = make_app(r.engine, authenticate=auth, crm_sql=sql)
        try:
            async with (
                TestClient(TestServer(node_a, host="127.0.0.1")) as a,
                TestClient(TestServer(node_b, host="127.0.0.1")) as b,
            ):
                form = CSRF.search(await (await a.get("/login")).text())
                assert form is not None
                data = {"csrf": form.group(1), "username": "boss", "password": "boss-password"}
                resp = await a.post("/login", data=data, allow_redirects=False)
                assert resp.status == 302
                cookie = resp.cookies["cti_session"].value
                b.session.cookie_jar.update_cookies({"cti_session": cookie})
                assert (await b.get("/wallboard", allow_redirects=False)).status == 200
                await a.get("/logout", allow_redirects=False)
                after = await b.get("/wallboard", allow_redirects=False)
                assert after.status == 302 and after.headers["Location"].startswith("/login")
        finally:
            sql.dispose()
