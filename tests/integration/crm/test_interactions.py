from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from crm.model.interaction import InteractionRecord, UnknownInteractionField
from crm.store import InteractionStore
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


def _call(clock: FakeClock, call_id: str = "1700000000.42", **kw: object) -> InteractionRecord:
    values: dict[str, object] = dict(
        call_id=call_id,
        started_at=clock(),
        ended_at=clock() + timedelta(minutes=5),
        caller_number="+86 138 1234 5678",
        caller_name="张伟",
        service="repair",
        queue="repair-zh",
        ivr_steps=[{"node": "main", "input": "2", "at": "09:00:03"}, {"node": "repair"}],
        wait_seconds=12.5,
        agents_offered=["1001", "1002"],
        agent_answered="1002",
        transfers=[{"from": "1002", "to": "billing", "kind": "blind"}],
        talk_seconds=230.0,
        hold_seconds=15.0,
        wrapup_seconds=30.0,
        end_reason="caller_hangup",
        recording_refs=["rec/2026/03/02/1700000000.42.wav"],
        extra={"lang": "zh"},
    )
    values.update(kw)
    return InteractionRecord(**values)  # type: ignore[arg-type]


def test_replaying_a_call_twice_leaves_one_row(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    call = _call(clock)
    assert store.record_interaction(call) is True
    assert store.record_interaction(call) is False
    assert store.record_interaction(_call(clock, notes="replayed")) is False
    assert store.count_interactions() == 1
    assert store.get_interaction(call.call_id) == call


def test_whole_journey_round_trips(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    call = _call(clock, disposition="resolved", notes="换了机顶盒", transcript_ref="tr/1.json")
    store.record_interaction(call)
    got = store.get_interaction(call.call_id)
    assert got == call
    assert got is not None and got.started_at.tzinfo is not None


def test_later_fields_fill_in(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    call = _call(clock)
    store.record_interaction(call)
    assert store.update_interaction(call.call_id, disposition="repair-booked", notes="上门") is True
    assert store.update_interaction(call.call_id, transcript_ref="tr/42.json") is True
    got = store.get_interaction(call.call_id)
    assert got is not None
    assert (got.disposition, got.notes, got.transcript_ref) == (
        "repair-booked",
        "上门",
        "tr/42.json",
    )
    assert got.ivr_steps == call.ivr_steps
    assert store.count_interactions() == 1


def test_fields_that_arrive_first_wait_for_the_call(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    assert store.update_interaction("early.1", disposition="callback") is False
    assert store.record_interaction(_call(clock, call_id="early.1")) is True
    assert store.record_interaction(_call(clock, call_id="early.1")) is False
    got = store.get_interaction("early.1")
    assert got is not None
    assert got.disposition == "callback"
    assert got.agent_answered == "1002"
    assert store.count_interactions() == 1


def test_unknown_field_is_refused(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    with pytest.raises(UnknownInteractionField) as error:
        store.update_interaction("x.1", colour="blue")
    assert error.value.call_id == "x.1"


def test_missing_call_is_none(engine: Engine) -> None:
    assert InteractionStore(engine).get_interaction("nope") is None


def test_every_write_is_audited(engine: Engine, clock: FakeClock) -> None:
    store = InteractionStore(engine, clock=clock)
    store.record_interaction(_call(clock))
    store.record_interaction(_call(clock))
    store.update_interaction("1700000000.42", disposition="done", actor="agent:1002")
    with UnitOfWork(engine, write=False) as uow:
        entries = uow.audit_log.query(object_type="interaction", object_id="1700000000.42")
    assert [(e.actor, e.action) for e in entries] == [
        ("agent:1002", "interaction.update"),
        ("system:engine", "interaction.record"),
    ]
