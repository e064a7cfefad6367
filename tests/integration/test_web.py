"""The web app over real HTTP: health, login, CSRF, role-less access refused, escaping."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from crm.auth import create_user
from crm.db import make_engine
from crm.uow import UnitOfWork
from cti.simulator import CallerSpec
from cti.web import make_app
from cti.webauth import crm_authenticator
from tests.integration.enginekit import rig, until


async def test_status_page_needs_login_and_escapes_caller_names(tmp_path: Path) -> None:
    async with rig(tmp_path, time_scale=0.05) as r:
        sql = make_engine(r.engine.settings.database_url)
        try:
            with UnitOfWork(sql) as uow:
                create_user(uow, username="boss", password="correct-horse", role="supervisor")
                uow.commit()
            app = make_app(r.engine, authenticate=crm_authenticator(sql), crm_sql=sql)
            async with TestClient(TestServer(app)) as client:
                health = await client.get("/health")
                assert health.status == 200 and (await health.json())["ami"] == {"sim": True}

                page = await client.get("/", allow_redirects=False)
                assert page.status == 302 and page.headers["Location"].startswith("/login")
                api = await client.get("/calls.json")
                assert api.status == 401
                assert (await api.json())["status"] == 401

                form = await client.get("/login")
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', await form.text()).group(1)
                no_csrf = await client.post(
                    "/login",
                    data={"username": "boss", "password": "correct-horse"},
                    allow_redirects=False,
                )
                assert no_csrf.status == 403
                wrong = await client.post(
                    "/login",
                    data={"csrf": csrf, "username": "boss", "password": "nope-nope"},
                    allow_redirects=False,
                )
                assert wrong.status == 302 and "error=1" in wrong.headers["Location"]
                ok = await client.post(
                    "/login",
                    data={"csrf": csrf, "username": "boss", "password": "correct-horse"},
                    allow_redirects=False,
                )
                assert ok.status == 302
                cookie = ok.cookies["cti_session"]
                assert cookie["httponly"] and cookie["samesite"] == "Strict"

                cid = r.sim.place_call(
                    CallerSpec(
                        number="13800138000",
                        name="<script>alert(1)</script>",
                        dtmf=["1"],
                        patience=None,
                    )
                )
                await until(
                    lambda: (
                        cid in r.engine.model.live()
                        and r.engine.model.calls[cid].caller_name.startswith("<script")
                    ),
                    10,
                    "the call to be live with its caller name",
                )
                await until(
                    lambda: all(x.pbx_version for x in r.engine.sessions.values()),
                    10,
                    "CoreSettings answered",
                )
                html = await (await client.get("/status?lang=en")).text()
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
                assert "<script>alert(1)" not in html
                assert "Live calls" in html
                # The PBX's version is Asterisk's (CoreSettings), not the AMI banner's.
                pbx = re.search(r'class="pbx-version">([^<]*)<', html)
                ami = re.search(r'class="ami-version">([^<]*)<', html)
                assert pbx is not None and pbx.group(1) == "22.10.1", html
                assert ami is not None and ami.group(1) == "11.0.0"
                assert "Asterisk version" in html
                zh = await (await client.get("/status?lang=zh")).text()
                assert "当前通话" in zh
                calls = await (await client.get("/calls.json")).json()
                assert cid in calls
                # the same login opened the CRM API (its own token cookie)
                me = await client.get("/api/me")
                assert me.status == 200, await me.text()
                await client.get("/logout", allow_redirects=False)
                client.session.cookie_jar.clear()
                assert (await client.get("/api/me")).status == 401
        finally:
            sql.dispose()
