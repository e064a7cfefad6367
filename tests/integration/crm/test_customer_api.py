"""Customer files and the archive through the REST API."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from crm.model.organization import Role
from tests.integration.crm.test_api import Api, open_api

LIMIT = 4096
CSV = (
    "\ufeff客户名称,类型,户号,电话,标签\r\n"
    "张伟,个人,BJ-1,+86 138 0013 8000,VIP\r\n"
    "坏号码,个人,BJ-2,12,\r\n"
    "华为,集团,G-1,4008308300,\r\n"
).encode()


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[Api]:
    async with open_api(engine, upload_limit=LIMIT) as opened:
        yield opened


def _auth(api: Api, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[role]}"}


def _form(data: bytes, filename: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("note", "ignored")
    form.add_field("file", data, filename=filename, content_type="text/csv")
    return form


async def test_import_upload_reports_rejected_rows(api: Api) -> None:
    async with api.client.post(
        "/api/customers/import",
        data=_form(CSV, "客户.csv"),
        headers=_auth(api, Role.SUPERVISOR),
    ) as response:
        assert response.status == 200
        report = await response.json()
    assert (report["total"], report["imported"], report["rejected_rows"]) == (3, 2, [3])
    assert report["rejected"] == [
        {"row": 3, "column": "电话", "reason": "'12' is not a phone number"}
    ]
    found = await api.call("GET", "/customers/lookup?phone=13800138000", Role.AGENT)
    assert [c["name"] for c in found] == ["张伟"]
    audit = await api.call("GET", "/audit?action=customer.import_file")
    assert audit[0]["actor"] == "u_supervisor" and audit[0]["detail"]["source"] == "客户.csv"


async def test_import_of_a_raw_body_and_a_dry_run(api: Api) -> None:
    async with api.client.post(
        "/api/customers/import?dry_run=1&format=csv",
        data=CSV,
        headers={**_auth(api, Role.ADMIN), "Content-Type": "text/csv"},
    ) as response:
        report = await response.json()
    assert report["dry_run"] and report["imported"] == 2 and report["customer_ids"] == []
    assert await api.call("GET", "/customers?q=张", Role.AGENT) == []
    async with api.client.post(
        "/api/customers/import?format=xlsx",
        data=b"PK\x03\x04 broken",
        headers=_auth(api, Role.ADMIN),
    ) as response:
        assert response.status == 400
        assert "XLSX" in (await response.json())["detail"]


async def test_oversized_uploads_are_refused_with_413(api: Api) -> None:
    big = CSV + b"x" * LIMIT
    async with api.client.post(
        "/api/customers/import", data=_form(big, "big.csv"), headers=_auth(api, Role.ADMIN)
    ) as response:
        assert response.status == 413
        problem = await response.json(content_type="application/problem+json")
        assert problem["status"] == 413 and str(LIMIT) in problem["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the cap must hold while the body streams in.
        for _ in range(4):
            yield b"y" * (LIMIT // 2)

    async with api.client.post(
        "/api/customers/import?format=csv",
        data=chunks(),
        headers=_auth(api, Role.ADMIN),
    ) as response:
        assert response.status == 413
    assert await api.call("GET", "/customers?q=张", Role.AGENT) == []


async def test_only_supervisors_and_admins_move_customer_files(api: Api) -> None:
    for role in (Role.AGENT, Role.QA, Role.DEPARTMENT_STAFF):
        async with api.client.post(
            "/api/customers/import", data=_form(CSV, "c.csv"), headers=_auth(api, role)
        ) as response:
            assert response.status == 403
        await api.call("GET", "/customers/export", role, expect=403)


async def test_export_downloads_csv_and_xlsx_that_import_reads_back(api: Api) -> None:
    async with api.client.post(
        "/api/customers/import", data=_form(CSV, "c.csv"), headers=_auth(api, Role.ADMIN)
    ) as response:
        assert (await response.json())["imported"] == 2
    async with api.client.get(
        "/api/customers/export", headers=_auth(api, Role.SUPERVISOR)
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        exported = await response.read()
    text = exported.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("account_number,name,kind")
    assert "张伟" in text and "VIP" in text and "+86 138 0013 8000" in text
    async with api.client.get(
        "/api/customers/export?format=xlsx", headers=_auth(api, Role.SUPERVISOR)
    ) as response:
        sheet = load_workbook(io.BytesIO(await response.read())).active
    assert [sheet.cell(r, 2).value for r in (2, 3)] == ["张伟", "华为"]
    # Importing the export again refuses every row: the account numbers are taken.
    async with api.client.post(
        "/api/customers/import", data=_form(exported, "again.csv"), headers=_auth(api, Role.ADMIN)
    ) as response:
        again = await response.json()
    assert again["imported"] == 0 and again["rejected_rows"] == [2, 3]
    audit = await api.call("GET", "/audit?action=customer.export&actor=u_supervisor")
    assert [a["detail"]["format"] for a in audit] == ["xlsx", "csv"]


async def test_the_locked_archive_is_read_only(api: Api) -> None:
    customer = await api.call(
        "POST", "/customers", Role.AGENT, expect=201, json={"name": "王芳", "phones": []}
    )
    cid = customer["id"]
    await api.call(
        "PATCH",
        f"/customers/{cid}/archive",
        Role.AGENT,
        json={"changes": {"合同号": "HT-2024-7", "开户日期": "2024-03-01"}},
    )
    locked = await api.call(
        "PATCH", f"/customers/{cid}/archive", Role.SUPERVISOR, json={"lock": True}
    )
    assert locked == {
        "customer_id": cid,
        "archive": {"合同号": "HT-2024-7", "开户日期": "2024-03-01"},
        "locked": True,
    }
    refused = await api.call(
        "PATCH",
        f"/customers/{cid}/archive",
        Role.ADMIN,
        json={"changes": {"合同号": "forged"}},
        expect=409,
    )
    assert refused["customer_id"] == cid and "locked" in refused["detail"]
    await api.call(
        "PATCH", f"/customers/{cid}", Role.AGENT, json={"archive": {"合同号": "x"}}, expect=409
    )
    read = await api.call("GET", f"/customers/{cid}/archive", Role.AGENT)
    assert read == locked
    await api.call("GET", "/customers/999999/archive", Role.AGENT, expect=404)
    actions = [
        (a["actor"], a["action"])
        for a in await api.call("GET", f"/audit?object_type=customer&object_id={cid}")
    ]
    assert ("u_agent", "customer.archive_open") in actions
    assert ("u_supervisor", "customer.archive") in actions
    assert ("u_admin", "customer.archive") not in actions  # the refused write left nothing
