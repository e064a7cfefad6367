from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crm.model.followup import FollowUpState
from crm.model.ticket import IllegalTransition, TicketAction, TicketState
from crm.repository.tickets import StaleTicket
from crm.services.followups import record_followup_result
from crm.services.incidents import close_incident, link_tickets, open_incident
from crm.services.tickets import change_ticket, open_ticket
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


def test_ticket_life_with_history(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(uow, actor="agent1", title="宽带断网", category="repair").id
        uow.commit()
    steps = [
        (TicketAction.DISPATCH, {"department_id": None, "assignee": "tech1"}),
        (TicketAction.START, {}),
        (TicketAction.SUSPEND, {"reason": "等配件"}),
        (TicketAction.RESUME, {}),
        (TicketAction.RESOLVE, {"resolution": "replaced modem"}),
        (TicketAction.CLOSE, {}),
        (TicketAction.REOPEN, {"reason": "again"}),
    ]
    for action, args in steps:
        clock.advance(minutes=10)
        with UnitOfWork(engine, clock=clock) as uow:
            change_ticket(uow, tid, action, "tech1", **args)
            uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        ticket = uow.tickets.get(tid)
        history = uow.tickets.history(tid)
        audit = uow.audit_log.query(object_type="ticket", object_id=str(tid), limit=50)
    assert ticket is not None and ticket.state is TicketState.REOPENED
    assert [h.name for h in history] == [
        "opened",
        "dispatched",
        "started",
        "suspended",
        "resumed",
        "resolved",
        "closed",
        "reopened",
    ]
    assert history[3].detail == {"reason": "等配件"} and history[3].actor == "tech1"
    assert len(audit) == 1 + len(steps)


def test_illegal_transition_is_refused_and_nothing_changes(
    engine: Engine, clock: FakeClock
) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(uow, actor="a", title="t", category="consultation").id
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow, pytest.raises(IllegalTransition) as error:
        change_ticket(uow, tid, "close", "a")
    assert error.value.ticket_id == tid
    with UnitOfWork(engine, clock=clock) as uow:
        assert uow.tickets.get(tid).state is TicketState.NEW  # type: ignore[union-attr]
        assert [h.name for h in uow.tickets.history(tid)] == ["opened"]


def test_concurrent_edit_is_detected(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(
            uow, actor="a", title="t", category="repair", department_id=None, assignee="x"
        ).id
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        stale = uow.tickets.get(tid)
    with UnitOfWork(engine, clock=clock) as uow:
        change_ticket(uow, tid, "start", "x")
        uow.commit()
    assert stale is not None
    stale.start("y", clock())
    with UnitOfWork(engine, clock=clock) as uow, pytest.raises(StaleTicket):
        uow.tickets.save(stale)


def test_unsatisfied_followup_reopens_and_redispatches(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(uow, actor="a", title="t", category="repair", assignee="tech1").id
        change_ticket(uow, tid, "start", "tech1")
        change_ticket(uow, tid, "resolve", "tech1", resolution="done")
        [followup] = uow.followups.find(ticket_id=tid)
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        record_followup_result(uow, followup.id, satisfaction=1, comment="没修好", actor="qa1")
        uow.commit()
    with UnitOfWork(engine, clock=clock) as uow:
        ticket = uow.tickets.get(tid)
        names = [h.name for h in uow.tickets.history(tid)]
        done = uow.followups.get(followup.id)
    assert ticket is not None and ticket.state is TicketState.ASSIGNED
    assert ticket.assignee == "tech1"
    assert names[-2:] == ["reopened", "dispatched"]
    assert done is not None and done.state is FollowUpState.DONE and done.satisfaction == 1


def test_satisfied_followup_closes(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(uow, actor="a", title="t", category="repair", assignee="t1").id
        change_ticket(uow, tid, "resolve", "t1", resolution="done")
        [followup] = uow.followups.find(ticket_id=tid)
        record_followup_result(uow, followup.id, satisfaction=5, comment="很好", actor="qa")
        uow.commit()
        assert uow.tickets.get(tid).state is TicketState.CLOSED  # type: ignore[union-attr]


def test_incident_with_fifty_tickets(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        incident = open_incident(
            uow,
            actor="sup",
            type="cable",
            title="光缆被挖断",
            areas=["北京/朝阳区"],
            description="Fiber cut",
        )
        ids = [
            open_ticket(uow, actor="a", title=f"no signal {i}", category="repair", assignee="t1").id
            for i in range(50)
        ]
        link_tickets(uow, incident.id, ids, "sup")
        uow.commit()
    with UnitOfWork(engine, clock=clock, write=False) as uow:
        [announcement] = uow.announcements.find(incident_id=incident.id)
        assert announcement.state.value == "published" and "北京/朝阳区" in announcement.body
        assert [i.id for i in uow.incidents.open_for_area("北京/朝阳区/望京")] == [incident.id]
        assert uow.incidents.open_for_area("上海") == []
    clock.advance(hours=3)
    with UnitOfWork(engine, clock=clock) as uow:
        resolved = close_incident(uow, incident.id, actor="sup")
        uow.commit()
    assert sorted(resolved) == sorted(ids)
    with UnitOfWork(engine, clock=clock, write=False) as uow:
        tickets = uow.tickets.find(incident_id=incident.id)
        assert {t.state for t in tickets} == {TicketState.RESOLVED}
        assert len(uow.followups.find(pending_only=True)) == 50
        assert uow.incidents.open_for_area("北京/朝阳区") == []
        [announcement] = uow.announcements.find(incident_id=incident.id)
        assert announcement.state.value == "revoked"


def test_ticket_opened_during_a_call_links_to_its_interaction(
    engine: Engine, clock: FakeClock
) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        tid = open_ticket(uow, actor="a", title="t", category="complaint", call_id="live.1").id
        uow.commit()
    from crm.model.interaction import InteractionRecord

    store = InteractionStore(engine, clock=clock)
    assert store.record_interaction(InteractionRecord(call_id="live.1", started_at=clock()))
    got = store.get_interaction("live.1")
    assert got is not None and got.ticket_ids == (tid,)
