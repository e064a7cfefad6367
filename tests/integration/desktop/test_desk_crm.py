"""The desk's CRM work over real websockets: quick-create from an unknown caller's pop,
ticket updates (legal, illegal, not the caller's), announcements by department."""

from __future__ import annotations

from pathlib import Path

from crm.auth import create_user
from crm.services.announcements import change_announcement, create_announcement
from crm.services.organization import add_department
from crm.services.tickets import change_ticket
from crm.uow import UnitOfWork
from cti.demo import DEMO_AGENTS
from cti.simulator import AgentPhone, CallerSpec
from tests.integration.desktop.kit import PASSWORD, DeskRig, client, desk_rig, login, open_tab
from tests.integration.enginekit import settings_for, until


def announce(r: DeskRig, title: str, audience: list[int], action: str | None = "publish") -> None:
    with UnitOfWork(r.sql) as uow:
        a = create_announcement(
            uow, actor="boss", title=title, body=f"{title}。", audience=audience
        )
        uow.commit()
    assert a.id is not None
    for step in {"publish": ["publish"], "revoke": ["publish", "revoke"], None: []}[action]:
        with UnitOfWork(r.sql) as uow:
            change_announcement(uow, a.id, step, "boss")
            uow.commit()


async def test_quick_create_tickets_and_announcements(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, agents=DEMO_AGENTS[:2])
    phones = [AgentPhone("1001", answer_after=1.0, talk_time=100000.0)]
    async with desk_rig(tmp_path, settings=settings, phones=phones) as r:
        r.engine.router.command("a1002", "not_ready", "break")
        with UnitOfWork(r.sql) as uow:
            north = add_department(uow, actor="t", code="N", name="北区", kind="department")
            south = add_department(uow, actor="t", code="S", name="南区", kind="department")
            uow.commit()
        with UnitOfWork(r.sql) as uow:
            for user, dept in (("a1001", north.id), ("a1002", south.id)):
                create_user(uow, username=user, password=PASSWORD, role="agent", department_id=dept)
            uow.commit()
        assert north.id is not None and south.id is not None
        announce(r, "全员通知", [])
        announce(r, "北区停电", [north.id])
        announce(r, "南区培训", [south.id])
        announce(r, "草稿", [], action=None)
        announce(r, "已撤回", [], action="revoke")
        known = r.add_customer("李四", "13900000002")
        foreign = r.add_ticket(known, "别人的工单")
        ws_url = r.base.replace("http", "ws") + "/desk/ws"
        async with client() as a, client() as b:
            await login(a, r.base, "a1001")
            await login(b, r.base, "a1002")
            tab, tab_b = await open_tab(a, ws_url), await open_tab(b, ws_url)
            await until(lambda: bool(tab.messages and tab_b.messages), 10, "snapshots")
            # Announcements: everyone's and their own department's, published ones only.
            seen = {x["title"] for x in tab.messages[0]["announcements"]}
            assert seen == {"全员通知", "北区停电"}
            seen_b = {x["title"] for x in tab_b.messages[0]["announcements"]}
            assert seen_b == {"全员通知", "南区培训"}

            # An unknown caller: the pop has a context without a customer.
            cid = r.sim.place_call(CallerSpec("13700007777", "", dtmf=["0"]))
            await until(
                lambda: (
                    (p := tab.last_pop()) is not None
                    and p["context"] is not None
                    and p["status"] == "connected"
                ),
                30,
                "pop of the unknown caller, answered",
            )
            assert tab.last_pop()["context"]["customer"] is None  # type: ignore[index]
            empty = await tab.ask("customer_create", call_id=cid, name="")
            assert empty["type"] == "error" and empty["code"] == "invalid"
            made = await tab.ask("customer_create", call_id=cid, name="新客户王")
            assert made["ok"], made
            card = made["customer"]
            await until(
                lambda: ((tab.last_pop() or {}).get("context") or {}).get("customer") == card,
                10,
                "the pop shows the new customer",
            )
            assert r.store.find_customer_by_phone("13700007777").id == card["id"]  # type: ignore[union-attr]

            # Tickets: one of the new customer's, moved through the desk.
            ticket = (
                await tab.ask("ticket_create", call_id=cid, title="无法上网", category="repair")
            )["ticket"]
            assert ticket["state"] == "new"
            illegal = await tab.ask(
                "ticket_update", call_id=cid, ticket_id=ticket["id"], action="start"
            )
            assert illegal["type"] == "error" and illegal["code"] == "illegal_transition"
            assert (illegal["ticket"], illegal["state"], illegal["action"]) == (
                ticket["id"],
                "new",
                "start",
            )
            with UnitOfWork(r.sql) as uow:  # the back office dispatches it
                change_ticket(uow, ticket["id"], "dispatch", "boss", department_id=north.id)
                uow.commit()
            blank = await tab.ask(
                "ticket_update", call_id=cid, ticket_id=ticket["id"], action="suspend"
            )
            assert (blank["code"], blank["action"]) == ("text_needed", "suspend"), blank
            for action, want in (("start", "in_progress"), ("suspend", "suspended")):
                ok = await tab.ask(
                    "ticket_update",
                    call_id=cid,
                    ticket_id=ticket["id"],
                    action=action,
                    text="等待配件",
                )
                assert ok.get("ok") and ok["ticket"]["state"] == want, ok
            again = await tab.ask(
                "ticket_update", call_id=cid, ticket_id=ticket["id"], action="start"
            )
            assert (again["code"], again["state"], again["action"]) == (
                "illegal_transition",
                "suspended",
                "start",
            )
            pop_tickets = (tab.last_pop() or {})["context"]["tickets"]
            assert [t["state"] for t in pop_tickets if t["id"] == ticket["id"]] == ["suspended"]
            unknown = await tab.ask(
                "ticket_update", call_id=cid, ticket_id=ticket["id"], action="fly"
            )
            assert unknown["code"] == "invalid"
            theirs = await tab.ask("ticket_update", call_id=cid, ticket_id=foreign, action="start")
            assert theirs["code"] == "forbidden"
            other = await tab_b.ask(
                "ticket_update", call_id=cid, ticket_id=ticket["id"], action="close"
            )
            assert other["code"] == "forbidden"  # not a1002's call

            assert (await tab.ask("hangup", call_id=cid))["ok"]
            await r.engine.writer.drain(timeout=20)
            await until(
                lambda: (x := r.store.get_interaction(cid)) is not None and bool(x.end_reason),
                20,
                "interaction written",
            )
            row = r.store.get_interaction(cid)
            assert row is not None and row.customer_id == card["id"]
            assert ticket["id"] in row.ticket_ids
            await tab.close()
            await tab_b.close()
