"""Worked examples for the call, repair, roll-up and churn reports, on both databases."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import Engine

from crm import reports
from crm.api.report_views import run_report
from crm.model.customer import Customer
from crm.model.interaction import InteractionRecord
from crm.services.customers import add_customer
from crm.services.organization import add_department
from crm.services.tickets import change_ticket, open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


def _call(call_id: str, at: datetime, **fields: object) -> InteractionRecord:
    return InteractionRecord(call_id=call_id, started_at=at, **fields)  # type: ignore[arg-type]


def test_calls_by_local_day_and_by_service_and_end_reason(engine: Engine) -> None:
    store = InteractionStore(engine)
    # 23:30 and 00:30 in Beijing are two days there, one day in UTC.
    calls = [
        _call("a", datetime(2026, 3, 1, 15, 30, tzinfo=UTC), service="repair",
              end_reason="agent_hangup", agent_answered="1001", wait_seconds=20, talk_seconds=100),
        _call("b", datetime(2026, 3, 1, 16, 30, tzinfo=UTC), service="repair",
              end_reason="caller_abandon", wait_seconds=40),
        _call("c", datetime(2026, 3, 2, 2, 0, tzinfo=UTC), service="billing",
              end_reason="agent_hangup", agent_answered="1002", wait_seconds=0, talk_seconds=50),
    ]  # fmt: skip
    for call in calls:
        store.record_interaction(call)
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    with UnitOfWork(engine, write=False) as uow:
        conn = uow.connection
        utc_days = reports.calls_by_day(conn, since, until)
        local_days = reports.calls_by_day(conn, since, until, reports.zone("Asia/Shanghai"))
        by_service = reports.calls_by(conn, "service", since, until)
        by_end = reports.calls_by(conn, "end_reason", since, until)
    assert [(d["day"], d["calls"]) for d in utc_days] == [("2026-03-01", 2), ("2026-03-02", 1)]
    assert local_days == [
        {"day": "2026-03-01", "calls": 1, "answered": 1, "mean_wait_seconds": 20.0,
         "mean_talk_seconds": 100.0},
        {"day": "2026-03-02", "calls": 2, "answered": 1, "mean_wait_seconds": 20.0,
         "mean_talk_seconds": 50.0},
    ]  # fmt: skip
    assert reports.zone("+08:00").utcoffset(None) == timedelta(hours=8)
    assert by_service == [
        {"service": "repair", "calls": 2, "answered": 1, "mean_wait_seconds": 30.0,
         "mean_talk_seconds": 100.0},
        {"service": "billing", "calls": 1, "answered": 1, "mean_wait_seconds": 0.0,
         "mean_talk_seconds": 50.0},
    ]  # fmt: skip
    assert [(r["end_reason"], r["calls"], r["answered"]) for r in by_end] == [
        ("agent_hangup", 2, 2),
        ("caller_abandon", 1, 0),
    ]


def _org_and_repairs(engine: Engine, clock: FakeClock) -> dict[str, int]:
    """HQ > North > Beijing repair; HQ > South. Repairs: one fixed in 2 h, one fixed, reopened
    and fixed again 11 h after opening, one still open in South; one consultation."""
    with UnitOfWork(engine, clock=clock) as uow:
        hq = add_department(uow, actor="a", code="HQ", name="总部", kind="head_office").id
        north = add_department(uow, actor="a", code="N", name="华北", kind="region", parent_id=hq)
        bj = add_department(uow, actor="a", code="BJ", name="北京维修", kind="department",
                            parent_id=north.id)  # fmt: skip
        south = add_department(uow, actor="a", code="S", name="华南", kind="region", parent_id=hq)
        ids = {
            "hq": hq or 0,
            "north": north.id or 0,
            "bj": bj.id or 0,
            "south": south.id or 0,
            "t1": open_ticket(uow, actor="a", title="断网", category="repair",
                              department_id=bj.id).id or 0,
            "t2": open_ticket(uow, actor="a", title="没信号", category="repair",
                              department_id=bj.id).id or 0,
            "t3": open_ticket(uow, actor="a", title="漏水", category="repair",
                              department_id=south.id).id or 0,
            "t4": open_ticket(uow, actor="a", title="咨询", category="consultation",
                              department_id=bj.id).id or 0,
        }  # fmt: skip
        uow.commit()
    steps = [
        (2, "t1", "resolve", {"resolution": "重启"}),
        (2, "t2", "resolve", {"resolution": "换线"}),
        (1, "t2", "reopen", {"reason": "又坏了"}),
        (0, "t2", "dispatch", {"department_id": ids["bj"]}),
        (6, "t2", "resolve", {"resolution": "换机顶盒"}),
    ]
    for hours, ticket, action, args in steps:
        clock.advance(hours=hours)
        with UnitOfWork(engine, clock=clock) as uow:
            change_ticket(uow, ids[ticket], action, "tech", **args)
            uow.commit()
    return ids


def test_repair_statistics_by_department_rolled_up(engine: Engine, clock: FakeClock) -> None:
    ids = _org_and_repairs(engine, clock)
    with UnitOfWork(engine, write=False) as uow:
        everything = reports.repair_stats(uow.connection)
        north_only = reports.repair_stats(uow.connection, root=ids["north"])
    shape = [
        (r["code"], r["depth"], r["tickets"], r["own_tickets"], r["resolved"],
         r["mean_hours_to_resolve"], r["first_time_fix_rate"])
        for r in everything
    ]  # fmt: skip
    # t1 took 2 h, t2 finally 11 h: mean 6.5 h. Of the two ever resolved, t1 stayed fixed.
    assert shape == [
        ("HQ", 0, 3, 0, 2, 6.5, 0.5),
        ("N", 1, 2, 0, 2, 6.5, 0.5),
        ("BJ", 2, 2, 2, 2, 6.5, 0.5),
        ("S", 1, 1, 1, 0, None, None),
    ]
    assert [(r["code"], r["depth"]) for r in north_only] == [("N", 0), ("BJ", 1)]


def test_ticket_rollup_and_subtree_reports(engine: Engine, clock: FakeClock) -> None:
    ids = _org_and_repairs(engine, clock)
    clock.advance(hours=10)  # the consultation (4 h) is now late
    with UnitOfWork(engine, write=False) as uow:
        rollup = reports.tickets_rollup(uow.connection, clock())
        north = uow.departments.subtree_ids(ids["north"])
        by_category = reports.tickets_by(uow.connection, "category", department_ids=north)
        rows = run_report(uow, "tickets-rollup", {"department_id": str(ids["south"])}, clock())
    assert [
        (r["code"], r["tickets"], r["own_tickets"], r["open"], r["resolved"], r["breached"])
        for r in rollup
    ] == [
        ("HQ", 4, 0, 2, 2, 1),
        ("N", 3, 0, 1, 2, 1),
        ("BJ", 3, 3, 1, 2, 1),
        ("S", 1, 1, 1, 0, 0),
    ]
    assert by_category == [
        {"category": "consultation", "tickets": 1},
        {"category": "repair", "tickets": 2},
    ]
    assert [(r["code"], r["tickets"]) for r in rows] == [("S", 1)]
    sheet = load_workbook(io.BytesIO(reports.to_xlsx(rollup, "rollup"))).active
    assert [c.value for c in sheet[1]][:4] == ["department_id", "code", "name", "depth"]
    assert sheet["C2"].value == "总部"
    csv_text = reports.to_csv_bytes(rollup).decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(f"{ids['hq']},HQ,总部,0,4,0,2,2,1")


def test_churn_warnings_worked_example(engine: Engine, clock: FakeClock) -> None:
    now = clock()
    with UnitOfWork(engine, clock=clock) as uow:
        names = ["周期断了", "周期正常", "不规律", "太少", "投诉多"]
        cid = {n: add_customer(uow, Customer(name=n, account_number=n), "seed") for n in names}
        for n in range(2):
            open_ticket(uow, actor="a", title=f"投诉{n}", category="complaint",
                        customer_id=cid["投诉多"])  # fmt: skip
        open_ticket(uow, actor="a", title="投诉", category="complaint", customer_id=cid["太少"])
        uow.commit()
    calls = {
        "周期断了": [-43, -36, -29, -22, -15],  # weekly, then 15 days silent (> 2 x 7)
        "周期正常": [-38, -31, -24, -17, -10],  # weekly, 10 days silent
        "不规律": [-80, -79, -50, -49],  # gaps 1, 29, 1: no steady cadence
        "太少": [-60, -53, -46],  # three contacts are no cadence
    }
    store = InteractionStore(engine, clock=clock)
    for name, offsets in calls.items():
        for i, day in enumerate(offsets):
            at = now + timedelta(days=day)
            store.record_interaction(_call(f"{name}{i}", at, customer_id=cid[name]))
            # A second call five minutes later is the same contact.
            store.record_interaction(
                _call(f"{name}{i}b", at + timedelta(minutes=5), customer_id=cid[name])
            )
    with UnitOfWork(engine, write=False) as uow:
        warnings = reports.churn_warnings(uow.connection, now)
        stricter = run_report(uow, "churn-warnings", {"complaints": "3"}, now)
    assert warnings == [
        {"customer_id": cid["周期断了"], "name": "周期断了", "account_number": "周期断了",
         "reasons": "cadence", "contacts": 5, "median_interval_days": 7.0,
         "days_since_last_contact": 15.0, "complaints": 0},
        {"customer_id": cid["投诉多"], "name": "投诉多", "account_number": "投诉多",
         "reasons": "complaints", "contacts": 0, "median_interval_days": None,
         "days_since_last_contact": None, "complaints": 2},
    ]  # fmt: skip
    assert [r["name"] for r in stricter] == ["周期断了"]
