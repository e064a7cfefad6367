"""The customer pages over real HTTP with real sessions: search (name, any number form,
account), the 360 view, edit (audited, CSRF), the archive lock (409), import with a
preview, per-row errors and update-existing, export; roles and hostile text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from crm.model.customer import Contact, Customer, CustomerKind
from crm.model.interaction import InteractionRecord
from crm.model.organization import Role
from crm.model.ticket import TicketCategory
from crm.services.customers import add_customer, make_phone
from crm.services.tickets import open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.pages import HOSTILE, USERS, Site, site

AGENT, BOSS, STAFF = USERS[Role.AGENT], USERS[Role.SUPERVISOR], USERS[Role.DEPARTMENT_STAFF]


def seed(sql: Any) -> None:
    with UnitOfWork(sql) as uow:
        add_customer(
            uow,
            Customer(
                name="王芳",
                account_number="AC-1001",
                grade="gold",
                tags={"VIP"},
                phones=[make_phone("138 0013 8000")],
            ),
            "seed",
        )
        add_customer(
            uow,
            Customer(
                name="王建国",
                kind=CustomerKind.GROUP,
                account_number="AC-1002",
                contacts=[
                    Contact(name="李经理", title="经理", phones=[make_phone("010-6552 9988")])
                ],
            ),
            "seed",
        )
        add_customer(uow, Customer(name=HOSTILE[0], account_number=HOSTILE[1]), "seed")
        uow.commit()


def customer_id(sql: Any, account: str) -> int:
    with UnitOfWork(sql, write=False) as uow:
        found = uow.customers.id_by_account(account)
    assert found is not None
    return found


async def page(s: Site, path: str, status: int = 200) -> str:
    resp = await s.client.get(path, allow_redirects=False)
    text = await resp.text()
    assert resp.status == status, (path, resp.status, text[:300])
    return text


async def test_search_by_name_any_number_form_and_account(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        await s.login(AGENT)
        by_name = await page(s, "/customers?q=王")
        assert "王芳" in by_name and "王建国" in by_name
        assert "alert" not in by_name.split("<tbody>")[1]  # the hostile name is no 王
        forms = ("13800138000", "+86 138-0013-8000", "008613800138000", "１３８００１３８０００")
        for form in forms:
            found = await page(s, f"/customers?q={aiohttp.helpers.quote(form)}")
            assert "王芳" in found and "王建国" not in found, form
        contact_phone = await page(s, "/customers?q=01065529988")
        assert "王建国" in contact_phone and "王芳" not in contact_phone
        by_account = await page(s, "/customers?q=AC-1002")
        assert "王建国" in by_account and "王芳" not in by_account
        none = await page(s, "/customers?q=nobody")
        assert 'id="no-customers"' in none
        # htmx asks for the rows only
        resp = await s.client.get("/customers?q=王", headers={"HX-Request": "true"})
        fragment = await resp.text()
        assert "王芳" in fragment and "<html" not in fragment
        restore = await s.client.get(
            "/customers?q=王", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
        assert "<html" in await restore.text()  # the back button gets the whole page


async def test_paging_on_the_server(tmp_path: Path) -> None:
    def many(sql: Any) -> None:
        with UnitOfWork(sql) as uow:
            for i in range(60):
                add_customer(uow, Customer(name=f"Zhang {i:03d}"), "seed")
            uow.commit()

    async with site(tmp_path, prepare=many) as s:
        await s.login(AGENT)
        first = await page(s, "/customers?q=Zhang")
        assert "Zhang 000" in first and "Zhang 024" in first and "Zhang 025" not in first
        assert 'id="next-page"' in first and 'id="prev-page"' not in first
        third = await page(s, "/customers?q=Zhang&page=3")
        assert "Zhang 050" in third and "Zhang 059" in third and 'id="next-page"' not in third
        assert "Zhang 049" not in third
        junk = await page(s, "/customers?page=abc")  # a bad page number is page 1
        assert "Zhang 059" in junk  # newest first without a query


async def test_360_view_shows_everything_and_is_audited(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        cid = customer_id(s.sql, "AC-1001")
        with UnitOfWork(s.sql) as uow:
            ticket = open_ticket(
                uow, actor="seed", title="电视没信号", category=TicketCategory.REPAIR,
                customer_id=cid,
            )  # fmt: skip
            uow.commit()
        store = InteractionStore(s.sql)
        now = datetime.now(UTC)
        store.record_interaction(
            InteractionRecord(
                call_id="call-1", started_at=now, customer_id=cid, caller_number="13800138000",
                agent_answered="a1001", recording_refs=["call-1.wav"], talk_seconds=42,
            )
        )  # fmt: skip
        store.record_interaction(
            InteractionRecord(
                call_id="call-2", started_at=now, customer_id=cid, caller_number="13800138000",
                agent_answered="a1002", recording_refs=["call-2.wav"],
            )
        )  # fmt: skip
        await s.login(AGENT)
        view = await page(s, f"/customers/{cid}")
        for seen in ("王芳", "AC-1001", "138 0013 8000", "gold", "VIP", "电视没信号", "call-1"):
            assert seen in view, seen
        # the agent's own call has its recording link; a colleague's call does not
        assert 'href="/recordings/calls/call-1"' in view
        assert 'href="/recordings/calls/call-2"' not in view
        assert [e.object_id for e in s.audit("customer.open")] == [str(cid)]
        await s.login(BOSS)
        boss_view = await page(s, f"/customers/{cid}")
        assert 'href="/recordings/calls/call-2"' in boss_view
        assert ticket.id is not None
        await page(s, "/customers/999999", 404)
        await page(s, "/customers/abc", 404)


async def test_edit_is_audited_needs_csrf_and_escapes_hostile_text(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        cid = customer_id(s.sql, "AC-1001")
        token = await s.login(AGENT)
        form = {"name": HOSTILE[1], "phones": "13900139000\n010 8888 7777", "tags": "VIP, 投诉",
                "grade": "silver", "email": "", "kind": "individual"}  # fmt: skip
        headers = {"Origin": s.origin}
        no_token = await s.client.post(
            f"/customers/{cid}/edit", data=form, headers=headers, allow_redirects=False
        )
        assert no_token.status == 403
        saved = await s.client.post(
            f"/customers/{cid}/edit", data={**form, "csrf": token}, headers=headers,
            allow_redirects=False,
        )  # fmt: skip
        assert saved.status == 303, await saved.text()
        view = await page(s, f"/customers/{cid}")
        assert "&lt;img src=x onerror=alert(1)&gt;" in view and "<img src" not in view
        assert "投诉" in view and "silver" in view and "010 8888 7777" in view
        [entry] = s.audit("customer.update")
        assert entry.actor == AGENT and "name" in entry.detail["fields"]
        bad = await s.client.post(
            f"/customers/{cid}/edit", data={"csrf": token, "name": "x", "phones": "not a number"},
            headers=headers, allow_redirects=False,
        )  # fmt: skip
        assert bad.status == 400 and "not a number" in await bad.text()
        assert len(s.audit("customer.update")) == 1
        # department staff may not search or edit customers from these pages
        token = await s.login(STAFF)
        assert (await s.client.get("/customers", allow_redirects=False)).status == 403
        refused = await s.client.post(
            f"/customers/{cid}/edit", data={"csrf": token, "name": "x"}, headers=headers,
            allow_redirects=False,
        )  # fmt: skip
        assert refused.status == 403


async def test_archive_lock_makes_the_archive_read_only(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        cid = customer_id(s.sql, "AC-1001")
        token = await s.login(BOSS)
        headers = {"Origin": s.origin}
        url = f"/customers/{cid}/archive"
        first = await s.client.post(
            url, data={"csrf": token, "key": "contract", "value": "HT-2024-001", "lock": "1"},
            headers=headers, allow_redirects=False,
        )  # fmt: skip
        assert first.status == 303
        view = await page(s, f"/customers/{cid}")
        assert "HT-2024-001" in view and 'id="archive-locked"' in view
        assert 'id="archive-form"' not in view
        again = await s.client.post(
            url, data={"csrf": token, "key": "contract", "value": "forged"}, headers=headers,
            allow_redirects=False,
        )  # fmt: skip
        assert again.status == 409
        assert "forged" not in await page(s, f"/customers/{cid}")
        listed = await page(s, "/customers?q=AC-1001")
        assert "Archive locked" in listed


CSV_NEW = (
    "name,phones,account_number,grade,email\n"
    "赵六,13700137000,AC-2001,gold,\n"
    ",13700137001,AC-2002,,\n"  # no name
    "钱七,not-a-phone,AC-2003,,bad-mail\n"
    "王芳,13800138000,AC-1001,,\n"  # existing account
)


async def upload(
    s: Site, token: str, data: str, filename: str = "customers.csv", **query: str
) -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("file", data.encode(), filename=filename, content_type="text/csv")
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return await s.client.post(
        f"/customers/import?{q}", data=form, headers={"X-CSRF-Token": token, "Origin": s.origin}
    )


async def test_import_preview_then_import_with_per_row_errors(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        token = await s.login(BOSS)
        preview = await upload(s, token, CSV_NEW, mode="add", commit="0")
        text = await preview.text()
        assert preview.status == 200
        assert 'id="rows-new">1<' in text and 'id="rows-refused">3<' in text
        for reason in ("a customer needs a name", "not-a-phone", "bad-mail", "already belongs"):
            assert reason in text, reason
        with UnitOfWork(s.sql, write=False) as uow:
            assert uow.customers.id_by_account("AC-2001") is None  # the preview wrote nothing
        done = await upload(s, token, CSV_NEW, mode="add", commit="1")
        assert 'id="rows-new">1<' in await done.text()
        assert customer_id(s.sql, "AC-2001")
        [summary] = s.audit("customer.import_file")
        assert summary.actor == BOSS and summary.detail["imported"] == 1
        # agents may not import
        agent_token = await s.login(AGENT)
        assert (await upload(s, agent_token, CSV_NEW, commit="1")).status == 403
        # no CSRF token: refused
        token = await s.login(BOSS)
        form = aiohttp.FormData()
        form.add_field("file", CSV_NEW.encode(), filename="c.csv")
        bare = await s.client.post("/customers/import?commit=1", data=form,
                                   headers={"Origin": s.origin})  # fmt: skip
        assert bare.status == 403
        garbage = await upload(s, token, "PK\x03\x04 not a workbook", "c.xlsx", commit="0")
        assert garbage.status == 400 and 'id="import-error"' in await garbage.text()


async def test_import_update_existing_changes_only_changed_fields(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        cid = customer_id(s.sql, "AC-1001")
        token = await s.login(BOSS)
        data = (
            "account_number,name,grade\n"
            "AC-1001,王芳,platinum\n"  # grade changes
            "AC-1002,王建国,\n"  # nothing changes (grade empty both)
            "AC-3001,新客户,\n"  # new
            f"AC-1001,{HOSTILE[0]},x\n"  # the same account twice in one file
        )
        preview = await upload(s, token, data, mode="update", commit="0")
        text = await preview.text()
        assert 'id="rows-updated">1<' in text and 'id="rows-unchanged">1<' in text
        assert 'id="rows-new">1<' in text and "also on row 2" in text
        assert HOSTILE[0] not in text
        with UnitOfWork(s.sql, write=False) as uow:
            assert uow.customers.get(cid).grade == "gold"  # type: ignore[union-attr]
        await upload(s, token, data, mode="update", commit="1")
        with UnitOfWork(s.sql, write=False) as uow:
            updated = uow.customers.get(cid)
        assert updated is not None and updated.grade == "platinum" and updated.name == "王芳"
        assert updated.phones and updated.tags == {"VIP"}  # columns not in the file are kept
        [entry] = s.audit("customer.import_update")
        assert entry.object_id == str(cid)
        assert entry.detail["changes"] == {"grade": {"old": "gold", "new": "platinum"}}
        # in "add" mode the same file refuses the known accounts
        added = await upload(s, token, data, mode="add", commit="0")
        assert "already belongs" in await added.text()


async def test_export_is_audited_and_reimportable(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        await s.login(BOSS)
        resp = await s.client.get("/customers/export?format=csv")
        body = await resp.text()
        assert resp.status == 200 and "AC-1001" in body and "王建国" in body
        assert "attachment" in resp.headers["Content-Disposition"]
        xlsx = await s.client.get("/customers/export?format=xlsx")
        assert (await xlsx.read())[:2] == b"PK"
        assert len(s.audit("customer.export")) == 2
        await s.login(AGENT)
        assert (await s.client.get("/customers/export", allow_redirects=False)).status == 403


async def test_pages_in_chinese(tmp_path: Path) -> None:
    async with site(tmp_path, prepare=seed) as s:
        await s.login(AGENT, lang="zh")
        listed = await page(s, "/customers")
        assert "客户" in listed and "Customers" not in listed
