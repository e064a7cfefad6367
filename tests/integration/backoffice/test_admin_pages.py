"""The admin pages over real HTTP: roles, CSRF, audit entries with old and new values,
hostile text shown as text, bad input refused with a clear message and nothing stored."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook

from crm.services.tickets import open_ticket
from crm.uow import UnitOfWork
from tests.integration.backoffice.kit import HOSTILE, site


async def test_users_create_link_deactivate_and_their_session_ends(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        token = await s.login("root")
        new = {"username": "li", "display_name": HOSTILE[0], "password": "li-pw-1234",
               "role": "agent", "agent_id": "1001", "extension": "8001"}  # fmt: skip
        # Without the CSRF token: refused, nothing created.
        assert (await s.post("/admin/users", new, None)).status == 403
        assert [e for e in s.audit("user.create") if e.object_id == "li"] == []
        made = await s.post("/admin/users", new, token)
        assert made.status == 303 and made.headers["Location"] == "/admin/users?saved=created"
        page = await (await s.client.get("/admin/users")).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE[0] not in page
        assert 'value="1001"' in page
        [linked] = [e for e in s.audit("user.update") if e.object_id == "li"]
        assert linked.actor == "root"
        assert linked.detail == {"agent_id": {"old": None, "new": "1001"},
                                 "extension": {"old": None, "new": "8001"}}  # fmt: skip
        # A short password and a duplicate name are refused with a message, nothing stored.
        short = await s.post("/admin/users", {**new, "username": "wu", "password": "x"}, token)
        assert short.status == 400 and "at least 8 characters" in await short.text()
        again = await s.post("/admin/users", new, token)
        assert again.status == 400 and "already exists" in await again.text()
        # A supervisor may not manage users.
        boss = await s.login("boss")
        assert (await s.post("/admin/users/li", {"action": "deactivate"}, boss)).status == 403
        # Li logs in; the admin deactivates li; li's next page load goes to the login form.
        await s.login("li", password="li-pw-1234")
        assert (await s.client.get("/kb", allow_redirects=False)).status == 200
        li_cookies = s.client.session.cookie_jar.filter_cookies(s.client.make_url("/"))
        token = await s.login("root")
        done = await s.post("/admin/users/li", {"action": "deactivate"}, token)
        assert done.status == 303
        [change] = [e for e in s.audit("user.update") if "active" in (e.detail or {})]
        assert change.detail == {"active": {"old": True, "new": False}}
        s.client.session.cookie_jar.clear()
        s.client.session.cookie_jar.update_cookies(li_cookies)
        gone = await s.client.get("/kb", allow_redirects=False)
        assert gone.status == 302 and gone.headers["Location"].startswith("/login")
        # Reset password and change role: audited (the password never in the log).
        token = await s.login("root")
        await s.post("/admin/users/li", {"action": "password", "password": "new-pw-5678"}, token)
        await s.post("/admin/users/li", {"action": "save", "role": "supervisor",
                                         "department_id": "", "agent_id": "1001",
                                         "extension": "8001"}, token)  # fmt: skip
        details = [e.detail for e in s.audit("user.update") if e.object_id == "li"]
        assert {"password": "changed"} in details
        assert {"role": {"old": "agent", "new": "supervisor"}} in details
        assert "new-pw-5678" not in str(details)
        own = await s.post("/admin/users/root", {"action": "deactivate"}, token)
        assert own.status == 400 and "cannot deactivate yourself" in await own.text()


async def test_department_tree_create_rename_move_deactivate(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        token = await s.login("root")
        for code, name, parent in (("HQ", "总部", ""), ("N", "华北", "1"), ("BJ", "北京", "2")):
            made = await s.post("/admin/departments",
                                {"code": code, "name": name, "kind": "region",
                                 "parent_id": parent}, token)  # fmt: skip
            assert made.status == 303, await made.text()
        dup = await s.post("/admin/departments", {"code": "HQ", "name": "x", "kind": "region"},
                           token)  # fmt: skip
        assert dup.status == 400 and "code already used" in await dup.text()
        assert (await s.post("/admin/departments/3", {"action": "rename", "name": HOSTILE[1]},
                             token)).status == 303  # fmt: skip
        assert (await s.post("/admin/departments/3", {"action": "move", "parent_id": "1"},
                             token)).status == 303  # fmt: skip
        cycle = await s.post("/admin/departments/1", {"action": "move", "parent_id": "3"}, token)
        assert cycle.status == 400 and "under itself" in await cycle.text()
        assert (await s.post("/admin/departments/2", {"action": "deactivate"}, token)).status == 303
        page = await (await s.client.get("/admin/departments")).text()
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page and HOSTILE[1] not in page
        details = [e.detail for e in s.audit("department.update")]
        assert {"name": {"old": "北京", "new": HOSTILE[1]}} in details
        assert {"parent_id": {"old": 2, "new": 1}} in details
        assert {"active": {"old": True, "new": False}} in details
        # Department staff cannot change the tree.
        staff = await s.login("staff1")
        assert (await s.post("/admin/departments/1", {"action": "deactivate"}, staff)).status == 403


async def test_category_sla_reasons_and_alarm_limits(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        token = await s.login("root", lang="zh")
        page = await (await s.client.get("/admin/categories")).text()
        assert "工单类别与时限" in page and 'value="2880"' in page  # repair: 48 h built in
        changed = await s.post("/admin/categories/repair",
                               {"name_zh": "报修", "name_en": "Repair", "sla_minutes": "90",
                                "active": "on"}, token)  # fmt: skip
        assert changed.status == 303
        bad = await s.post("/admin/categories/repair",
                           {"name_zh": "报修", "name_en": "Repair", "sla_minutes": "abc"},
                           token)  # fmt: skip
        assert bad.status == 400 and "未保存" in await bad.text()
        with UnitOfWork(s.sql) as uow:
            ticket = open_ticket(uow, actor="a1001", title="停水", category="repair")
            uow.commit()
        assert ticket.due == ticket.opened_at + timedelta(minutes=90)
        [audit] = s.audit("category.update")
        assert audit.detail["old"]["sla_minutes"] == 2880  # type: ignore[index]
        assert audit.detail["new"]["sla_minutes"] == 90  # type: ignore[index]
        # A not-ready reason with a hostile name is stored and shown as text.
        added = await s.post("/admin/reasons", {"kind": "not_ready", "code": "coaching",
                                                "name_zh": HOSTILE[0], "name_en": "Coaching",
                                                "active": "on"}, token)  # fmt: skip
        assert added.status == 303
        page = await (await s.client.get("/admin/reasons")).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE[0] not in page
        code = await s.post("/admin/reasons", {"kind": "disposition", "code": "Bad!",
                                               "name_zh": "x", "name_en": "x"}, token)  # fmt: skip
        assert code.status == 400
        # Alarm limits: stored, refused when not finite, cleared.
        ok = await s.post("/admin/alarms", {"service": "repair", "metric": "waiting",
                                            "warn": "2", "critical": "4"}, token)  # fmt: skip
        assert ok.status == 303
        nan = await s.post("/admin/alarms", {"service": "repair", "metric": "waiting",
                                             "warn": "nan", "critical": "4"}, token)  # fmt: skip
        assert nan.status == 400
        page = await (await s.client.get("/admin/alarms")).text()
        assert 'id="alarm-repair-waiting"' in page
        [alarm] = s.audit("alarm.update")
        assert alarm.detail == {"old": None, "new": {"service": "repair", "metric": "waiting",
                                                     "warn": 2.0, "critical": 4.0}}  # fmt: skip
        # Supervisors may not change settings.
        boss = await s.login("boss")
        assert (await s.post("/admin/alarms", {"metric": "waiting", "warn": "1",
                                               "critical": "2"}, boss)).status == 403  # fmt: skip


async def test_audit_log_filters_pages_and_exports(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        token = await s.login("root")
        for n in range(55):
            await s.post("/admin/alarms", {"service": "", "metric": "waiting",
                                           "warn": str(n), "critical": "99"}, token)  # fmt: skip
        first = await (await s.client.get("/admin/audit?action=alarm.update")).text()
        assert first.count("<tr><td>") == 50 and 'id="next"' in first
        second = await (await s.client.get("/admin/audit?action=alarm.update&page=2")).text()
        assert second.count("<tr><td>") == 5 and 'id="next"' not in second
        none = await (await s.client.get("/admin/audit?actor=nobody")).text()
        assert "Nothing matches these filters." in none
        bad = await s.client.get("/admin/audit?from=yesterday")
        assert bad.status == 400
        xlsx = await s.client.get("/admin/audit/export.xlsx?action=alarm.update&actor=root")
        assert xlsx.status == 200
        book = load_workbook(io.BytesIO(await xlsx.read()))
        rows = list(book.active.iter_rows(values_only=True))
        assert rows[0] == ("at", "actor", "action", "object_type", "object_id", "detail")
        assert len(rows) == 56 and {r[2] for r in rows[1:]} == {"alarm.update"}
        # Times are in the site's zone (Asia/Shanghai): the same instant as the log's UTC.
        newest = s.audit("alarm.update")[0].at
        assert rows[1][0] == (newest + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        csv = await s.client.get("/admin/audit/export.csv?action=alarm.update")
        assert (await csv.read()).startswith(b"\xef\xbb\xbfat,actor,action")
        assert len(s.audit("audit.export")) == 2  # who took the log away is logged too
        boss = await s.login("boss")
        assert boss and (await s.client.get("/admin/audit", allow_redirects=False)).status == 403
