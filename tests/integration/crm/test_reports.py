from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import Engine

from crm import reports
from crm.model.interaction import InteractionRecord
from crm.services.tickets import change_ticket, open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


def test_reports_and_exports(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        a = open_ticket(uow, actor="a", title="t1", category="consultation", assignee="x").id
        open_ticket(uow, actor="a", title="t2", category="repair", assignee="x")
        open_ticket(uow, actor="a", title="t3", category="repair")
        uow.commit()
    store = InteractionStore(engine, clock=clock)
    for i in range(3):
        store.record_interaction(
            InteractionRecord(
                call_id=f"c{i}", started_at=clock() + timedelta(minutes=40 * i), customer_id=None
            )
        )
    clock.advance(hours=5)
    with UnitOfWork(engine, clock=clock) as uow:
        change_ticket(uow, a, "resolve", "x", resolution="late")
        uow.commit()
    with engine.connect() as conn:
        assert reports.tickets_by(conn, "category") == [
            {"category": "consultation", "tickets": 1},
            {"category": "repair", "tickets": 2},
        ]
        breaches = reports.sla_breaches(conn, clock())
        assert [b["id"] for b in breaches] == [a]
        hours = reports.calls_by_hour(conn, clock() - timedelta(days=1), clock())
        assert [h["calls"] for h in hours] == [2, 1]
        assert reports.repeat_callers(conn, clock(), min_calls=1) == []
        rows = reports.tickets_by(conn, "state")
    assert reports.to_csv(rows).splitlines()[0] == "state,tickets"
    sheet = load_workbook(io.BytesIO(reports.to_xlsx(rows, "tickets"))).active
    assert [c.value for c in sheet[1]] == ["state", "tickets"]
