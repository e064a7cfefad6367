"""The ticket-work services on SQLite and PostgreSQL (the 0002 migration on both):
work log, escalation, follow-up dimensions, announcement editing and audiences on the desk."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from agent_desktop.crmview import CrmDesk
from crm.auth import create_user
from crm.model.organization import Department, UnitKind
from crm.model.ticket import TicketError
from crm.model.worklog import WorkLogError
from crm.repository import ticket_queries as q
from crm.services.announcements import (
    change_announcement,
    create_announcement,
    edit_announcement,
)
from crm.services.followups import record_followup_result
from crm.services.tickets import add_work_log, change_ticket, escalate_ticket, open_ticket
from crm.uow import UnitOfWork


def test_work_log_escalation_and_dimensions(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        t = open_ticket(uow, actor="a1", title="断网", category="repair", priority=3)
        assert t.id is not None
        change_ticket(uow, t.id, "dispatch", "sup", department_id=None, assignee="rep1")
        add_work_log(uow, t.id, actor="rep1", minutes=30, note="检查线路")
        add_work_log(uow, t.id, actor="rep1", minutes=15, note="更换接头")
        with pytest.raises(WorkLogError):
            add_work_log(uow, t.id, actor="rep1", minutes=0, note="x")
        escalate_ticket(uow, t.id, actor="sup")
        escalate_ticket(uow, t.id, actor="sup")
        with pytest.raises(TicketError):
            escalate_ticket(uow, t.id, actor="sup")  # already urgent
        change_ticket(uow, t.id, "resolve", "rep1", resolution="好了")
        with pytest.raises(TicketError):
            add_work_log(uow, t.id, actor="rep1", minutes=5, note="after")  # resolved
        f = uow.followups.find(ticket_id=t.id)[0]
        assert f.id is not None
        record_followup_result(
            uow,
            f.id,
            satisfaction=5,
            comment=None,
            actor="qa",
            attitude=5,
            timeliness=4,
            result_score=5,
        )
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        assert uow.work_log.total_minutes(t.id) == 45
        assert [e.note for e in uow.work_log.for_ticket(t.id)] == ["检查线路", "更换接头"]
        ticket = uow.tickets.get(t.id)
        assert ticket is not None and int(ticket.priority) == 1
        assert ticket.state.value == "closed"  # satisfied: closed
        done = uow.followups.get(f.id)
        assert done is not None and (done.attitude, done.timeliness, done.result_score) == (
            5,
            4,
            5,
        )
        assert [r.id for r in q.mine(uow.connection, "a1").rows] == [t.id]
        assert [r.id for r in q.mine(uow.connection, "rep1").rows] == [t.id]  # assignee
        assert q.mine(uow.connection, "nobody").rows == []
        assert [e.action for e in uow.audit_log.query(object_type="ticket")].count(
            "ticket.escalate"
        ) == 2


def test_a_sub_units_desk_shows_announcements_for_its_parent(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        billing = Department(code="BIL", name="账务部", kind=UnitKind.DEPARTMENT)
        uow.departments.add(billing)
        team = Department(
            code="BIL1", name="账务一组", kind=UnitKind.DEPARTMENT, parent_id=billing.id
        )
        repair = Department(code="REP", name="维修部", kind=UnitKind.DEPARTMENT)
        uow.departments.add(team)
        uow.departments.add(repair)
        for name, dept in (("a-team", team.id), ("a-repair", repair.id)):
            create_user(uow, username=name, password="x" * 12, role="agent", department_id=dept)
        made = create_announcement(
            uow, actor="sup", title="账务通知", body="b", audience=[billing.id]
        )  # type: ignore[list-item]
        assert made.id is not None
        change_announcement(uow, made.id, "publish", "sup")
        edit_announcement(uow, made.id, actor="sup", title="账务通知（更正）", body="b2")
        uow.commit()
    desk = CrmDesk(engine)
    assert [a["title"] for a in desk.announcements("a-team")] == ["账务通知（更正）"]
    assert desk.announcements("a-repair") == []
    with UnitOfWork(engine) as uow:
        change_announcement(uow, made.id, "revoke", "sup")
        with pytest.raises(Exception, match="revoked"):
            edit_announcement(uow, made.id, actor="sup", title="x", body="y")
        uow.commit()
    assert desk.announcements("a-team") == []
