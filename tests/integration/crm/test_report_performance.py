"""Worked examples for service level, AHT/ASA, abandons, agent performance and incident
statistics, on SQLite and PostgreSQL (the engine fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime

from multidict import MultiDict
from sqlalchemy import Engine

from crm import reports
from crm.api.report_views import REPORT_NAMES, run_report
from crm.model.interaction import InteractionRecord
from crm.services.incidents import close_incident, link_tickets, open_incident
from crm.services.tickets import open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock

SH = reports.zone("Asia/Shanghai")
SINCE, UNTIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)


def _calls(engine: Engine) -> None:
    at = lambda d, h, m=0: datetime(2026, 3, d, h, m, tzinfo=UTC)  # noqa: E731
    store = InteractionStore(engine)
    for call in [
        # Beijing 2026-03-01 23:00: answered by 1001 after 10 s.
        InteractionRecord("a", at(1, 15), service="repair", agent_answered="1001",
                          wait_seconds=10, talk_seconds=100, hold_seconds=20, wrapup_seconds=30,
                          end_reason="completed"),
        # Beijing 2026-03-02 01:00: answered by 1001 after 40 s (outside a 20 s target).
        InteractionRecord("b", at(1, 17), service="repair", agent_answered="1001",
                          wait_seconds=40, talk_seconds=200, end_reason="completed"),
        # Beijing 2026-03-02 02:00: the caller gave up after 60 s.
        InteractionRecord("c", at(1, 18), service="repair", wait_seconds=60,
                          end_reason="abandoned"),
        # Beijing 2026-03-02 10:00: billing, answered by 1002 at once.
        InteractionRecord("d", at(2, 2), service="billing", agent_answered="1002",
                          wait_seconds=0, talk_seconds=60, end_reason="completed"),
        # IVR only: never offered to an agent, counted nowhere below.
        InteractionRecord("e", at(2, 3), service="billing", end_reason="ivr_hangup"),
    ]:  # fmt: skip
        store.record_interaction(call)


def test_service_level_by_service(engine: Engine) -> None:
    _calls(engine)
    with UnitOfWork(engine, write=False) as uow:
        rows = reports.service_level(uow.connection, SINCE, UNTIL, {"billing": 5.0})
    assert rows == [
        {"service": "billing", "target_seconds": 5.0, "offered": 1, "answered": 1,
         "answered_in_target": 1, "abandoned": 0, "service_level": 1.0, "abandon_rate": 0.0},
        {"service": "repair", "target_seconds": 20.0, "offered": 3, "answered": 2,
         "answered_in_target": 1, "abandoned": 1, "service_level": 0.333,
         "abandon_rate": 0.333},
    ]  # fmt: skip


def test_aht_asa_and_abandons_by_local_day(engine: Engine) -> None:
    _calls(engine)
    with UnitOfWork(engine, write=False) as uow:
        times = reports.handle_times_by_day(uow.connection, SINCE, UNTIL, SH)
        lost = reports.abandons_by_day(uow.connection, SINCE, UNTIL, SH)
        utc_times = reports.handle_times_by_day(uow.connection, SINCE, UNTIL)
    assert times == [
        {"day": "2026-03-01", "answered": 1, "asa_seconds": 10.0, "aht_seconds": 150.0},
        {"day": "2026-03-02", "answered": 2, "asa_seconds": 20.0, "aht_seconds": 130.0},
    ]
    assert [r["day"] for r in utc_times] == ["2026-03-01", "2026-03-02"]
    assert utc_times[0]["answered"] == 2  # a and b are both on 1 March in UTC
    assert lost == [
        {"day": "2026-03-01", "offered": 1, "abandoned": 0, "abandon_rate": 0.0,
         "mean_wait_before_abandon_seconds": None},
        {"day": "2026-03-02", "offered": 3, "abandoned": 1, "abandon_rate": 0.333,
         "mean_wait_before_abandon_seconds": 60.0},
    ]  # fmt: skip


def test_agent_performance(engine: Engine) -> None:
    _calls(engine)
    with UnitOfWork(engine, write=False) as uow:
        rows = reports.agent_performance(uow.connection, SINCE, UNTIL)
    assert rows == [
        {"agent": "1001", "answered": 2, "talk_seconds": 300.0, "mean_talk_seconds": 150.0,
         "mean_hold_seconds": 10.0, "mean_wrapup_seconds": 15.0, "aht_seconds": 175.0},
        {"agent": "1002", "answered": 1, "talk_seconds": 60.0, "mean_talk_seconds": 60.0,
         "mean_hold_seconds": 0.0, "mean_wrapup_seconds": 0.0, "aht_seconds": 60.0},
    ]  # fmt: skip


def test_incident_fault_rates_by_area_and_type(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        cut = open_incident(uow, actor="sup", type="cable", title="光缆中断",
                            areas=["北京/朝阳区", "北京/海淀区"])  # fmt: skip
        power = open_incident(uow, actor="sup", type="power", title="停电", areas=["北京/朝阳区"])
        again = open_incident(uow, actor="sup", type="cable", title="又断了", areas=["北京/朝阳区"])
        ids = [open_ticket(uow, actor="a", title=f"t{n}", category="repair").id for n in range(3)]
        link_tickets(uow, cut.id or 0, [i or 0 for i in ids[:2]], "sup")
        link_tickets(uow, power.id or 0, [ids[2] or 0], "sup")
        uow.commit()
    clock.advance(hours=3)
    with UnitOfWork(engine, clock=clock) as uow:
        close_incident(uow, cut.id or 0, actor="sup")
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        rows = reports.incident_stats(uow.connection)
    assert again.id is not None
    assert rows == [
        {"area": "北京/朝阳区", "type": "cable", "incidents": 2, "open": 1, "tickets": 2,
         "mean_hours_to_close": 3.0},
        {"area": "北京/朝阳区", "type": "power", "incidents": 1, "open": 1, "tickets": 1,
         "mean_hours_to_close": None},
        {"area": "北京/海淀区", "type": "cable", "incidents": 1, "open": 0, "tickets": 2,
         "mean_hours_to_close": 3.0},
    ]  # fmt: skip


def test_every_listed_report_runs(engine: Engine) -> None:
    """The reports page offers REPORT_NAMES: each must run (on an empty database too)."""
    _calls(engine)
    q = MultiDict({"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "tz": "Asia/Shanghai"})
    now = datetime(2026, 3, 3, tzinfo=UTC)
    with UnitOfWork(engine, write=False) as uow:
        for name in REPORT_NAMES:
            assert isinstance(run_report(uow, name, q, now), list), name
        assert run_report(uow, "service-level", q, now)[1]["offered"] == 3
