"""A big customer import does not stop call handling (issue 12, item 12).

SQLite has one write lock for the whole database. An import written in one transaction
held it for the whole file (31 s for 10 MB) and every other writer waiting longer than
the busy timeout failed: a login answered 500, calls' interactions were not written.
Here a file that takes seconds to import runs through the HTTP API while logins and the
engine's interaction writes go on; the busy timeout is cut to 5 s so that a smaller
file stands for the 10 MB one (the import's transaction outlasts the timeout many times
over if it is one transaction). Every login and every write must succeed meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from crm import db
from crm.api import setup_crm_api
from crm.auth import create_user
from crm.model.interaction import InteractionRecord
from crm.model.organization import Role
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.test_api import FAST, PASSWORD

ROWS = 80_000


def big_csv(rows: int) -> bytes:
    lines = ["客户名称,类型,户号,电话,标签,区域"]
    lines += [f"客户{i},个人,ACC-{i},1380{i:07d},VIP,北京/朝阳区" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.slow
async def test_logins_and_call_writes_go_on_during_a_big_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 5000)
    sql = db.make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    await asyncio.to_thread(db.create_schema, sql)
    with UnitOfWork(sql) as uow:
        create_user(uow, username="boss", password=PASSWORD, role=Role.SUPERVISOR, hasher=FAST)
        uow.commit()
    app = web.Application()
    setup_crm_api(app, engine=sql, hasher=FAST, upload_limit=20 * 1024 * 1024)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    store = InteractionStore(sql)
    base = f"http://127.0.0.1:{server.port}/api"
    login = {"username": "boss", "password": PASSWORD}
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/login", json=login) as resp:
                token = (await resp.json())["token"]
            data = big_csv(ROWS)

            async def run_import() -> tuple[int, dict]:
                async with http.post(
                    f"{base}/customers/import?format=csv",
                    data=io.BytesIO(data),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                    timeout=aiohttp.ClientTimeout(total=240),
                ) as resp:
                    return resp.status, await resp.json(content_type=None)

            importing = asyncio.create_task(run_import())
            statuses: list[int] = []
            failures: list[str] = []
            written: list[str] = []
            slowest = 0.0
            n = 0
            while not importing.done():
                n += 1
                started = time.monotonic()
                async with http.post(f"{base}/login", json=login) as resp:
                    statuses.append(resp.status)
                call = InteractionRecord(
                    call_id=f"call-{n}", started_at=datetime.now(UTC), caller_number="13900000000"
                )
                try:
                    await asyncio.to_thread(store.record_interaction, call)
                    written.append(call.call_id)
                except Exception as exc:  # what the engine's writer would have retried
                    failures.append(f"{call.call_id}: {type(exc).__name__}: {exc}")
                slowest = max(slowest, time.monotonic() - started)
            status, report = await importing
    finally:
        await server.close()
    print(f"writes during the import: {n}, slowest login+write {slowest:.2f}s")
    assert status == 200, report
    assert report["imported"] == ROWS and report["rejected"] == []
    assert n >= 3, "the import was too quick to overlap with anything"
    assert failures == [], failures[:3]
    assert set(statuses) == {200}, statuses
    with UnitOfWork(sql, write=False) as uow:
        assert uow.customers.count() == ROWS
    assert store.count_interactions() == len(written) == n
    sql.dispose()
