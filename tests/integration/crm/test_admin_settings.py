"""Administrator settings on both databases: SLA times that new tickets follow, reasons,
alarm limits, the department tree and the user's agent link, each audited old -> new."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from crm.auth import create_user, update_user
from crm.model.settings import ReasonKind, SettingError
from crm.services import settings
from crm.services.organization import add_department, change_department
from crm.services.tickets import open_ticket
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


def _audit(engine: Engine, action: str) -> list[dict[str, object]]:
    with UnitOfWork(engine, write=False) as uow:
        return [e.detail or {} for e in uow.audit_log.query(action=action)]


def test_category_sla_drives_new_tickets_due_time(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        before = open_ticket(uow, actor="a", title="old", category="repair")
        settings.set_category(uow, "admin", "repair", name_zh="报修", name_en="Repair",
                              sla_minutes=90)  # fmt: skip
        after = open_ticket(uow, actor="a", title="new", category="repair")
        other = open_ticket(uow, actor="a", title="q", category="consultation")
        uow.commit()
    assert before.due == clock.now + timedelta(hours=48)  # the built-in time
    assert after.due == clock.now + timedelta(minutes=90)
    assert other.due == clock.now + timedelta(hours=4)  # untouched category keeps its time
    with UnitOfWork(engine, write=False) as uow:
        assert uow.tickets.get(after.id or 0).due == clock.now + timedelta(minutes=90)  # type: ignore[union-attr]
    [detail] = _audit(engine, "category.update")
    assert detail["old"]["sla_minutes"] == 48 * 60  # type: ignore[index]
    assert detail["new"]["sla_minutes"] == 90  # type: ignore[index]


def test_priority_caps_the_category_time(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        settings.set_priority(uow, "admin", 1, name_zh="紧急", name_en="Urgent", sla_minutes=30)
        urgent = open_ticket(uow, actor="a", title="u", category="repair", priority=1)
        normal = open_ticket(uow, actor="a", title="n", category="repair", priority=3)
        uow.commit()
    assert urgent.due == clock.now + timedelta(minutes=30)
    assert normal.due == clock.now + timedelta(hours=48)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name_zh": "", "name_en": "Repair", "sla_minutes": 60}, "Chinese name"),
        ({"name_zh": "报修", "name_en": "Repair", "sla_minutes": 0}, "SLA minutes"),
        ({"name_zh": "报修", "name_en": "x" * 101, "sla_minutes": 60}, "English name"),
    ],
)
def test_bad_category_values_are_refused(
    engine: Engine, fields: dict[str, object], message: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(SettingError, match=message):
        settings.set_category(uow, "admin", "repair", **fields)  # type: ignore[arg-type]


def test_reasons_start_from_the_built_in_list_and_change(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        built_in = settings.reasons(uow, ReasonKind.NOT_READY)
        settings.set_reason(uow, "admin", ReasonKind.NOT_READY, "coaching",
                            name_zh="辅导", name_en="Coaching")  # fmt: skip
        settings.set_reason(uow, "admin", ReasonKind.NOT_READY, "lunch",
                            name_zh="午餐", name_en="Lunch", active=False)  # fmt: skip
        with pytest.raises(SettingError, match="code"):
            settings.set_reason(uow, "admin", ReasonKind.DISPOSITION, "Bad Code!",
                                name_zh="x", name_en="x")  # fmt: skip
        uow.commit()
    assert "lunch" in [r.code for r in built_in]
    with UnitOfWork(engine, write=False) as uow:
        now = {r.code: r for r in settings.reasons(uow, ReasonKind.NOT_READY)}
        dispositions = settings.reasons(uow, ReasonKind.DISPOSITION)
    assert [r.code for r in built_in] + ["coaching"] == list(now)
    assert now["lunch"].active is False and now["lunch"].name_zh == "午餐"
    assert "resolved" in [r.code for r in dispositions]  # the other kind is untouched
    [lunch] = [d for d in _audit(engine, "not_ready.update")]
    assert lunch["old"]["active"] is True and lunch["new"]["active"] is False  # type: ignore[index]


def test_alarm_limits_are_stored_checked_and_cleared(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        settings.set_alarm_limit(uow, "admin", "repair", "waiting", 2, 5)
        settings.set_alarm_limit(uow, "admin", "", "longest_wait", 20, 40)
        for bad in ((float("nan"), 5.0), (-1.0, 5.0)):
            with pytest.raises(SettingError):
                settings.set_alarm_limit(uow, "admin", "repair", "waiting", *bad)
        with pytest.raises(SettingError, match="metric"):
            settings.set_alarm_limit(uow, "admin", "repair", "bogus", 1, 2)
        settings.clear_alarm_limit(uow, "admin", "", "longest_wait")
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        limits = uow.settings.alarm_limits()
    assert [(a.service, a.metric, a.warn, a.critical) for a in limits] == [
        ("repair", "waiting", 2.0, 5.0)
    ]
    [cleared] = _audit(engine, "alarm.clear")
    assert cleared["old"]["warn"] == 20.0 and cleared["new"] is None  # type: ignore[index]


def test_department_rename_move_deactivate_and_no_cycles(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        hq = add_department(uow, actor="a", code="HQ", name="总部", kind="head_office").id or 0
        north = add_department(uow, actor="a", code="N", name="华北", kind="region", parent_id=hq)
        bj = add_department(uow, actor="a", code="BJ", name="北京", kind="department",
                            parent_id=north.id)  # fmt: skip
        change_department(uow, bj.id or 0, actor="admin", name="北京维修")
        change_department(uow, bj.id or 0, actor="admin", parent_id=hq)
        change_department(uow, north.id or 0, actor="admin", active=False)
        with pytest.raises(ValueError, match="under itself"):
            change_department(uow, hq, actor="admin", parent_id=bj.id)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        moved, region = uow.departments.get(bj.id or 0), uow.departments.get(north.id or 0)
    assert moved is not None and (moved.name, moved.parent_id) == ("北京维修", hq)
    assert region is not None and region.active is False
    details = _audit(engine, "department.update")
    assert {"active": {"old": True, "new": False}} in details
    assert {"parent_id": {"old": north.id, "new": hq}} in details
    assert {"name": {"old": "北京", "new": "北京维修"}} in details


def test_user_agent_link_is_audited_and_unique(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        create_user(uow, username="li", password="pw-123456", role="agent")
        create_user(uow, username="wang", password="pw-123456", role="agent")
        update_user(uow, "li", actor="admin", agent_id="1001", extension="8001")
        with pytest.raises(ValueError, match="already linked"):
            update_user(uow, "wang", actor="admin", agent_id="1001")
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        li = uow.users.by_username("li")
    assert li is not None and (li.agent_id, li.extension) == ("1001", "8001")
    [detail] = [d for d in _audit(engine, "user.update") if "agent_id" in d]
    assert detail["agent_id"] == {"old": None, "new": "1001"}
