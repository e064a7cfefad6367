from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from crm.model.ticket import (
    TRANSITIONS,
    IllegalTransition,
    Ticket,
    TicketAction,
    TicketCategory,
    TicketError,
    TicketState,
    next_state,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALL_PAIRS = list(itertools.product(TicketState, TicketAction))
LEGAL = [pair for pair in ALL_PAIRS if pair in TRANSITIONS]
ILLEGAL = [pair for pair in ALL_PAIRS if pair not in TRANSITIONS]


def test_the_table_covers_the_lifecycle() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(TicketState) * len(TicketAction)
    assert next_state(TicketState.NEW, TicketAction.DISPATCH) is TicketState.ASSIGNED
    assert next_state(TicketState.ASSIGNED, TicketAction.START) is TicketState.IN_PROGRESS
    assert next_state(TicketState.IN_PROGRESS, TicketAction.RESOLVE) is TicketState.RESOLVED
    assert next_state(TicketState.RESOLVED, TicketAction.CLOSE) is TicketState.CLOSED
    assert next_state(TicketState.CLOSED, TicketAction.REOPEN) is TicketState.REOPENED


def _ticket_in(state: TicketState) -> Ticket:
    return Ticket(
        id=7,
        title="无信号",
        category=TicketCategory.REPAIR,
        opened_at=NOW,
        state=state,
        department_id=3,
    )


def _act(ticket: Ticket, action: TicketAction) -> None:
    later = NOW + timedelta(minutes=5)
    match action:
        case TicketAction.DISPATCH:
            ticket.dispatch("sup", later, department_id=4)
        case TicketAction.TRANSFER:
            ticket.transfer("sup", later, department_id=5, reason="wrong team")
        case TicketAction.SUSPEND:
            ticket.suspend("agent", later, reason="waiting for parts / 等配件")
        case TicketAction.RESOLVE:
            ticket.resolve("agent", later, resolution="fixed")
        case TicketAction.RESOLVE_BY_INCIDENT:
            ticket.resolve("agent", later, resolution="fixed", incident_id=9)
        case TicketAction.REOPEN:
            ticket.reopen("agent", later, reason="again")
        case TicketAction.START:
            ticket.start("agent", later)
        case TicketAction.RESUME:
            ticket.resume("agent", later)
        case TicketAction.CLOSE:
            ticket.close("agent", later)


@pytest.mark.parametrize(("state", "action"), LEGAL, ids=lambda v: str(v))
def test_every_legal_transition(state: TicketState, action: TicketAction) -> None:
    ticket = _ticket_in(state)
    _act(ticket, action)
    assert ticket.state is TRANSITIONS[(state, action)]
    [event] = ticket.events
    assert (event.from_state, event.to_state, event.ticket_id) == (state, ticket.state, 7)
    assert event.at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_illegal_transition_is_refused(state: TicketState, action: TicketAction) -> None:
    ticket = _ticket_in(state)
    with pytest.raises(IllegalTransition) as error:
        _act(ticket, action)
    assert error.value.ticket_id == 7
    assert error.value.state is state and error.value.action is action
    assert f"ticket 7: cannot {action.value}" in str(error.value)
    assert ticket.state is state and ticket.events == []


def test_opening_records_an_event_and_a_due_time_per_category() -> None:
    ticket = Ticket.open(
        actor="agent", title="咨询", category=TicketCategory.CONSULTATION, opened_at=NOW
    )
    assert [e.name for e in ticket.events] == ["opened"]
    assert ticket.due == NOW + timedelta(hours=4)
    complaint = Ticket(title="c", category=TicketCategory.COMPLAINT, opened_at=NOW)
    assert complaint.due == NOW + timedelta(hours=24)


def test_breach_flags() -> None:
    ticket = _ticket_in(TicketState.IN_PROGRESS)
    assert not ticket.breached(NOW + timedelta(hours=47))
    assert ticket.breached(NOW + timedelta(hours=49))
    ticket.resolve("agent", NOW + timedelta(hours=10), resolution="ok")
    assert not ticket.breached(NOW + timedelta(days=30))


def test_suspend_needs_a_reason_and_dispatch_a_target() -> None:
    ticket = _ticket_in(TicketState.ASSIGNED)
    with pytest.raises(TicketError):
        ticket.suspend("agent", NOW, reason=" ")
    with pytest.raises(TicketError):
        _ticket_in(TicketState.NEW).dispatch("sup", NOW, department_id=None)
