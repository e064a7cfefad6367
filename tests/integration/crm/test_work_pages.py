"""The ticket-work pages (issue 14) over the real web app: roles, CSRF, the audit,
department scoping, hostile text rendered as text, refusals that write nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from crm.auth import create_user
from crm.model.organization import Department, UnitKind
from crm.services.tickets import change_ticket, open_ticket
from crm.uow import UnitOfWork
from tests.integration.desktop.kit import PASSWORD, DeskRig, client, desk_rig, login

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def seed(r: DeskRig) -> dict[str, Any]:
    with UnitOfWork(r.sql) as uow:
        repair = Department(code="REP", name="维修部", kind=UnitKind.DEPARTMENT)
        billing = Department(code="BIL", name="账务部", kind=UnitKind.DEPARTMENT)
        uow.departments.add(repair)
        uow.departments.add(billing)
        for name, role, dept in (
            ("rep1", "department_staff", repair.id),
            ("rep2", "department_staff", repair.id),
            ("bil1", "department_staff", billing.id),
            ("sup1", "supervisor", None),
            ("a1001", "agent", None),
        ):
            create_user(uow, username=name, password=PASSWORD, role=role, department_id=dept)
        uow.commit()
    cust = r.add_customer("王五", "13900001111", area="北京/朝阳区")
    with UnitOfWork(r.sql) as uow:
        mine = open_ticket(
            uow,
            actor="a1001",
            title=HOSTILE,
            category="repair",
            customer_id=cust,
            department_id=repair.id,
            assignee="rep1",
            call_id="1700000000.1",
        )
        other = open_ticket(
            uow, actor="a1001", title="账务问题", category="consultation", department_id=billing.id
        )
        unassigned = open_ticket(uow, actor="a1001", title="新报修", category="repair")
        uow.commit()
    return {
        "repair": repair.id,
        "billing": billing.id,
        "cust": cust,
        "mine": mine.id,
        "other": other.id,
        "new": unassigned.id,
    }


async def csrf_of(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as resp:
        assert resp.status == 200, (url, resp.status, await resp.text())
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', await resp.text())
    assert found is not None
    return found.group(1)


def audit(r: DeskRig, action: str) -> list[Any]:
    with UnitOfWork(r.sql, write=False) as uow:
        return uow.audit_log.query(action=action)


async def test_department_staff_work_their_queue_only(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        s = seed(r)
        base = r.base
        async with client() as rep1, client() as rep2:
            await login(rep1, base, "rep1")
            await login(rep2, base, "rep2")
            async with rep1.get(f"{base}/tickets/queue?lang=en") as resp:
                text = await resp.text()
                assert resp.status == 200
                assert f'data-ticket="{s["mine"]}"' in text
                assert f'data-ticket="{s["other"]}"' not in text  # billing's: not theirs
                assert f'data-ticket="{s["new"]}"' not in text
                # hostile title: rendered as text, never as markup
                assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
                assert "<img src=x" not in text
            async with rep1.get(f"{base}/tickets/{s['other']}") as resp:
                assert resp.status == 404  # another department's ticket: as if missing
            # assigned to rep1: customer's contact and linked calls shown to rep1 only
            page = await (await rep1.get(f"{base}/tickets/{s['mine']}?lang=en")).text()
            assert "13900001111" in page and "1700000000.1" in page
            page2 = await (await rep2.get(f"{base}/tickets/{s['mine']}?lang=en")).text()
            assert "13900001111" not in page2 and "1700000000.1" not in page2
            assert "Shown only to the person the ticket is assigned to." in page2

            token = await csrf_of(rep1, f"{base}/tickets/{s['mine']}")
            url = f"{base}/tickets/{s['mine']}"
            # no CSRF token: refused, nothing written
            async with rep1.post(f"{url}/start", data={}, allow_redirects=False) as resp:
                assert resp.status == 403
            assert not audit(r, "ticket.start")
            async with rep1.post(
                f"{url}/start", data={"csrf": token}, allow_redirects=False
            ) as resp:
                assert resp.status == 303, await resp.text()
            # a work-log entry with bad minutes: 400, nothing written
            async with rep1.post(
                f"{url}/worklog", data={"csrf": token, "note": "x", "minutes": "-5"}
            ) as resp:
                assert resp.status == 400
            async with rep1.post(
                f"{url}/worklog", data={"csrf": token, "note": HOSTILE, "minutes": "45"}
            ) as resp:
                assert resp.status == 200  # followed the 303 back to the ticket
                text = await resp.text()
                assert "&lt;script&gt;" in text and "<script>alert(1)" not in text
            async with rep1.post(
                f"{url}/suspend", data={"csrf": token, "reason": "等待配件"}
            ) as resp:
                assert resp.status == 200
            async with rep1.post(f"{url}/resolve", data={"csrf": token, "resolution": "x"}) as resp:
                assert resp.status == 409  # suspended: resume first
                assert "Not allowed in the present state." in await resp.text()  # lang=en above
            async with rep1.post(f"{url}/resume", data={"csrf": token}) as resp:
                assert resp.status == 200
            async with rep1.post(
                f"{url}/resolve", data={"csrf": token, "resolution": "更换光猫"}
            ) as resp:
                assert resp.status == 200 and "更换光猫" in await resp.text()
            # another department's ticket: refused even with a valid token (in Chinese)
            async with rep1.post(
                f"{base}/tickets/{s['other']}/start?lang=zh", data={"csrf": token}
            ) as resp:
                assert resp.status == 404 and "未找到，或您无权查看。" in await resp.text()
        with UnitOfWork(r.sql, write=False) as uow:
            t = uow.tickets.get(s["mine"])
            assert t is not None and t.state.value == "resolved" and t.resolution == "更换光猫"
            assert [e.minutes for e in uow.work_log.for_ticket(s["mine"])] == [45]
            assert len(uow.followups.find(ticket_id=s["mine"])) == 1
        for action in ("ticket.start", "ticket.work_log", "ticket.suspend", "ticket.resolve"):
            entries = audit(r, action)
            assert [e.actor for e in entries] == ["rep1"], action


async def test_roles_are_refused_where_they_do_not_belong(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        seed(r)
        async with client() as staff, client() as agent:
            await login(staff, r.base, "rep1")
            await login(agent, r.base, "a1001")
            for path in (
                "/dispatch",
                "/followups",
                "/incidents",
                "/announcements",
                "/tickets/mine",
            ):
                async with staff.get(r.base + path, allow_redirects=False) as resp:
                    assert resp.status == 403, path
            for path in (
                "/dispatch",
                "/followups",
                "/incidents",
                "/announcements",
                "/tickets/queue",
            ):
                async with agent.get(r.base + path, allow_redirects=False) as resp:
                    assert resp.status == 403, path
            async with agent.get(f"{r.base}/tickets/mine") as resp:
                assert resp.status == 200
        async with client() as anon:
            async with anon.get(f"{r.base}/dispatch", allow_redirects=False) as resp:
                assert resp.status == 302 and resp.headers["Location"].startswith("/login")


async def test_supervisor_dispatches_escalates_and_follows_up(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        s = seed(r)
        # an overdue ticket: opened three days ago
        with UnitOfWork(r.sql, clock=lambda: datetime.now(UTC) - timedelta(days=3)) as uow:
            late = open_ticket(uow, actor="a1001", title="超时报修", category="repair")
            uow.commit()
        async with client() as sup:
            await login(sup, r.base, "sup1")
            page = await (await sup.get(f"{r.base}/dispatch?lang=en")).text()
            overdue = page.split('id="overdue"')[1].split("</table>")[0]
            assert f'data-ticket="{late.id}"' in overdue and "overdue" in overdue
            token = await csrf_of(sup, f"{r.base}/dispatch")
            async with sup.post(
                f"{r.base}/dispatch/{late.id}",
                data={"csrf": token, "department_id": str(s["repair"]), "assignee": "rep2"},
            ) as resp:
                assert resp.status == 200
            async with sup.post(
                f"{r.base}/dispatch/{late.id}", data={"csrf": token, "assignee": "nobody"}
            ) as resp:
                assert resp.status == 400
            async with sup.post(f"{r.base}/dispatch/{late.id}/escalate", data={"csrf": token}):
                pass
            with UnitOfWork(r.sql, write=False) as uow:
                t = uow.tickets.get(late.id)
                assert t is not None and t.assignee == "rep2" and t.department_id == s["repair"]
                assert int(t.priority) == 2
            assert [e.actor for e in audit(r, "ticket.escalate")] == ["sup1"]

            # a resolved ticket's follow-up, scored unhappy: reopened, re-dispatched
            with UnitOfWork(r.sql) as uow:
                change_ticket(uow, s["mine"], "resolve", "rep1", resolution="已修复")
                uow.commit()
                f = uow.followups.find(ticket_id=s["mine"])[0]
            page = await (await sup.get(f"{r.base}/followups?lang=zh")).text()
            assert f'data-followup="{f.id}"' in page and "服务态度" in page
            assert "&lt;script&gt;" in page and "<script>alert" not in page
            scores = {"attitude": "4", "timeliness": "2", "result": "1", "overall": "2"}
            async with sup.post(
                f"{r.base}/followups/{f.id}/result", data={**scores, "csrf": "0" * 64}
            ) as resp:
                assert resp.status == 403  # wrong CSRF token
            async with sup.post(
                f"{r.base}/followups/{f.id}/result", data={**scores, "overall": "9", "csrf": token}
            ) as resp:
                assert resp.status == 400
            async with sup.post(
                f"{r.base}/followups/{f.id}/result",
                data={**scores, "csrf": token, "comment": "还是不通"},
            ) as resp:
                assert resp.status == 200
            with UnitOfWork(r.sql, write=False) as uow:
                done = uow.followups.get(f.id)
                assert done is not None and (done.attitude, done.timeliness) == (4, 2)
                assert (done.result_score, done.satisfaction) == (1, 2)
                t = uow.tickets.get(s["mine"])
                assert t is not None and t.state.value == "assigned"
                assert (t.department_id, t.assignee) == (s["repair"], "rep1")
                events = [e.name for e in uow.tickets.history(s["mine"])]
                assert events[-2:] == ["reopened", "dispatched"]
            [entry] = audit(r, "followup.result")
            assert entry.actor == "sup1" and entry.detail["result"] == 1


async def test_incident_and_announcement_pages(tmp_path: Path) -> None:
    async with desk_rig(tmp_path) as r:
        s = seed(r)
        async with client() as sup:
            await login(sup, r.base, "sup1")
            token = await csrf_of(sup, f"{r.base}/incidents")
            async with sup.post(
                f"{r.base}/incidents",
                data={"csrf": token, "type": "cable", "title": HOSTILE, "areas": "北京/朝阳区\n"},
            ) as resp:
                assert resp.status == 200
                page = await resp.text()
                assert "<script>alert" not in page and "&lt;script&gt;" in page
                incident_id = int(str(resp.url).rsplit("/", 1)[1])
            ids = f"{s['mine']}, {s['other']}，{s['new']}"
            async with sup.post(
                f"{r.base}/incidents/{incident_id}/tickets", data={"csrf": token, "ticket_ids": ids}
            ) as resp:
                assert resp.status == 200
            async with sup.post(
                f"{r.base}/incidents/{incident_id}/tickets",
                data={"csrf": token, "ticket_ids": "1; drop"},
            ) as resp:
                assert resp.status == 400
            async with sup.post(
                f"{r.base}/incidents/{incident_id}/announcement",
                data={"csrf": token, "title": "朝阳区光缆中断", "body": "预计今晚 20:00 恢复"},
            ) as resp:
                assert resp.status == 200 and "预计今晚 20:00 恢复" in await resp.text()
            [edit] = audit(r, "announcement.edit")
            assert edit.actor == "sup1" and edit.detail["new"]["title"] == "朝阳区光缆中断"
            async with sup.post(
                f"{r.base}/incidents/{incident_id}/close", data={"csrf": token}
            ) as resp:
                assert resp.status == 200
            with UnitOfWork(r.sql, write=False) as uow:
                for tid in (s["mine"], s["other"], s["new"]):
                    t = uow.tickets.get(tid)
                    assert t is not None and t.state.value == "resolved", tid
                    assert len(uow.followups.find(ticket_id=tid)) == 1
                assert uow.incidents.get(incident_id).state.value == "closed"  # type: ignore[union-attr]

            # announcements: draft for the billing department, publish, revoke
            async with sup.post(
                f"{r.base}/announcements",
                data={"csrf": token, "title": HOSTILE, "body": "b", "audience": str(s["billing"])},
            ) as resp:
                page = await resp.text()
                assert resp.status == 200 and "<script>alert" not in page and "账务部" in page
            with UnitOfWork(r.sql, write=False) as uow:
                made = [a for a in uow.announcements.find() if a.incident_id is None][-1]
            assert made.audience == [s["billing"]] and made.state.value == "draft"
            async with sup.post(
                f"{r.base}/announcements",
                data={"csrf": token, "title": "x", "body": "b", "audience": "99999"},
            ) as resp:
                assert resp.status == 400
            async with sup.post(
                f"{r.base}/announcements/{made.id}/revoke", data={"csrf": token}
            ) as resp:
                assert resp.status == 409  # a draft cannot be revoked
            for action in ("publish", "revoke"):
                async with sup.post(
                    f"{r.base}/announcements/{made.id}/{action}", data={"csrf": token}
                ) as resp:
                    assert resp.status == 200
                assert [e.actor for e in audit(r, f"announcement.{action}")][-1] == "sup1"
            with UnitOfWork(r.sql, write=False) as uow:
                assert uow.announcements.get(made.id).state.value == "revoked"  # type: ignore[arg-type,union-attr]


async def test_follow_up_desk_calls_the_customer_from_the_supervisors_phone(
    tmp_path: Path,
) -> None:
    from cti.demo import DEMO_AGENTS
    from cti.simulator import AgentPhone
    from tests.integration.enginekit import settings_for, until

    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:1])
    phones = [AgentPhone("1001", answer_after=None)]  # rings; enough to see the Originate
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        s = seed(r)
        r.add_user("1001", "supervisor")  # the supervisor whose phone is extension 1001
        with UnitOfWork(r.sql) as uow:
            change_ticket(uow, s["mine"], "resolve", "rep1", resolution="已修复")
            uow.commit()
            f = uow.followups.find(ticket_id=s["mine"])[0]
        router = r.engine.router.router
        async with client() as sup, client() as other:
            await login(sup, r.base, "1001")
            await login(other, r.base, "sup1")
            token = await csrf_of(sup, f"{r.base}/followups")
            async with sup.post(
                f"{r.base}/followups/{f.id}/call",
                data={"csrf": token, "number": "13900001111"},
            ) as resp:
                text = await resp.text()
                assert resp.status == 200 and 'id="called"' in text, text
            await until(
                lambda: any(a.state.value == "ringing" for a in router.agents.values()),
                10,
                "the supervisor's phone rings first",
            )
            # a supervisor who is no agent has no phone to ring: a clear refusal
            token2 = await csrf_of(other, f"{r.base}/followups")
            async with other.post(
                f"{r.base}/followups/{f.id}/call", data={"csrf": token2, "number": "13900001111"}
            ) as resp:
                assert resp.status == 400 and "no agent" in await resp.text()
