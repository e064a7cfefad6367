"""The CRM REST API fuzzed from its own OpenAPI document with schemathesis: no 5xx.

The API runs on an aiohttp test server on 127.0.0.1 over a SQLite CRM with some rows
(so ids and lookups hit real records too), as a logged-in admin (every operation is
allowed, so the handlers run instead of stopping at 403). Schemathesis's CLI runs
against it with the ``not_a_server_error`` check over every operation but logout
(which would revoke the token mid-run). CTI_API_FUZZ_EXAMPLES sets the examples per
operation (default 20; the bench run uses 200).
"""

from __future__ import annotations

import asyncio
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher

from crm.api import setup_crm_api
from crm.auth import create_user
from crm.db import create_schema, make_engine
from crm.model.organization import Role
from crm.uow import UnitOfWork

EXAMPLES = int(os.environ.get("CTI_API_FUZZ_EXAMPLES", "20"))
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ST = Path(sys.executable).with_name("st")


def server_errors(junit: Path) -> list[str]:
    """The failed operations in schemathesis's JUnit report, with its reproduction."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for failure in [*case.iter("failure"), *case.iter("error")]:
            out.append(f"{case.get('name')}: {failure.get('message', '')}\n{failure.text or ''}")
    return out


async def test_rest_api_has_no_server_error(tmp_path: Path) -> None:
    sql = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    await asyncio.to_thread(create_schema, sql)
    with UnitOfWork(sql) as uow:
        create_user(uow, username="admin", password="fuzz-admin-pw", role=Role.ADMIN, hasher=FAST)
        uow.commit()
    app = web.Application()
    setup_crm_api(app, engine=sql, hasher=FAST)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/api/login", json={"username": "admin", "password": "fuzz-admin-pw"}
            ) as resp:
                assert resp.status == 200
                token = (await resp.json())["token"]
            for i in range(3):  # a few rows for ids and lookups to find
                async with http.post(
                    f"{base}/api/customers",
                    json={"name": f"客户{i}", "kind": "individual", "phones": [f"1380000000{i}"]},
                    headers={"Authorization": f"Bearer {token}"},
                ) as resp:
                    assert resp.status in (200, 201, 422), await resp.text()
        junit = tmp_path / "junit.xml"
        proc = await asyncio.create_subprocess_exec(
            str(ST),
            "run",
            f"{base}/api/openapi.json",
            "--url",
            base,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "8",
            "--workers",
            "1",
            "--header",
            f"Authorization: Bearer {token}",
            "--exclude-path",
            "/api/logout",
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--max-time",
            "50",
            "--continue-on-failure",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
        )
        async with asyncio.timeout(240):
            output, _ = await proc.communicate()
    finally:
        await server.close()
        sql.dispose()
    text = output.decode("utf-8", "replace")
    print(text[-4000:])
    assert junit.exists(), text[-3000:]
    errors = server_errors(junit)
    assert not errors, "\n\n".join(errors)[:8000]
    assert proc.returncode == 0, text[-3000:]
