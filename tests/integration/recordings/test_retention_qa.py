"""Retention deletes expired files unless on legal hold, each deletion audited; QA
evaluations lock on submit and amendments keep before/after (real SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crm.db import create_schema, make_engine
from crm.schema import audit_log
from recordings.config import RecordingsConfig
from recordings.qa import EvaluationLocked, QaStore
from recordings.registry import Registry
from recordings.retention import DAY, RetentionPolicy
from recordings.retention_job import set_legal_hold, sweep
from recordings.schema import create_tables
from tests.unit.recordings.test_scorecard import FORM


@pytest.fixture
def sql(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    create_schema(engine)
    create_tables(engine)
    create_tables(engine)  # idempotent at every start-up
    yield engine
    engine.dispose()


def test_retention_sweep(sql, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reg = Registry(sql)
    now = 1_000 * DAY
    for call_id, service, age in (("c-old", "billing", 40), ("c-new", "billing", 5),
                                  ("c-held", "billing", 90), ("c-compl", "complaint", 40)):
        reg.ensure_call(call_id, now - age * DAY, service=service)
        name = f"{call_id}-1.wav"
        (tmp_path / name).write_bytes(b"RIFF....")
        reg.add_segment(call_id, 1, "mix", name, channel="x", agent="1001",
                        started_at=now - age * DAY)
        reg.update_call(call_id, ended_at=now - age * DAY)
    set_legal_hold(reg, "c-held", True, "boss")
    config = RecordingsConfig(directory=str(tmp_path), retention=RetentionPolicy(
        default_days=30, per_service={"complaint": 365}))
    assert sweep(config, reg, now) == ["c-old"]
    assert not (tmp_path / "c-old-1.wav").exists()
    assert (tmp_path / "c-held-1.wav").exists() and (tmp_path / "c-new-1.wav").exists()
    assert reg.call("c-old")["deleted_at"] == now
    assert [s["status"] for s in reg.segments("c-old")] == ["deleted"]
    assert sweep(config, reg, now) == []
    set_legal_hold(reg, "c-held", False, "boss")
    assert sweep(config, reg, now) == ["c-held"]
    with sql.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.object_id)
                            .order_by(audit_log.c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("boss", "recording.legal_hold", "c-held"),
        ("system:retention", "recording.delete", "c-old"),
        ("boss", "recording.legal_hold", "c-held"),
        ("system:retention", "recording.delete", "c-held")]


def test_evaluation_locks_and_amendments(sql) -> None:  # type: ignore[no-untyped-def]
    qa = QaStore(sql)
    qa.ensure_forms([FORM], 1.0)
    qa.ensure_forms([FORM], 2.0)  # unchanged: no new version
    changed = {**FORM, "sections": FORM["sections"][:1]}
    qa.ensure_forms([changed], 3.0)
    forms = qa.forms()
    assert [(f["name"], f["version"]) for f in forms] == [("basic", 2)]
    v1 = 1
    eid = qa.evaluate(call_id="c1", form_id=v1, evaluator="qa1", agent="1001",
                      answers={"greet": "yes"}, comment="", submit=False, now=10.0)
    assert qa.get(eid)["status"] == "draft"
    same = qa.update_draft(eid, answers={"greet": "yes", "name": "no", "card": "yes"},
                           comment="ok", submit=True, now=11.0)
    assert same == eid
    ev = qa.get(eid)
    assert ev["status"] == "submitted" and ev["score"] == 83.3 and ev["submitted_at"] == 11.0
    with pytest.raises(EvaluationLocked):
        qa.update_draft(eid, answers={"name": "yes"}, comment="", submit=True, now=12.0)
    with pytest.raises(ValueError):
        qa.amend(eid, actor="sup", answers={"name": "yes"}, reason=" ", now=12.0)
    qa.amend(eid, actor="sup", answers={"card": "no"}, reason="read the card back", now=13.0)
    ev = qa.get(eid)
    assert ev["score"] == 0.0 and ev["fatal"] and ev["amendments"] == 1
    (a,) = qa.amendments(eid)
    assert a["actor"] == "sup" and a["before"]["score"] == 83.3 and a["after"]["score"] == 0.0
    assert [e["id"] for e in qa.for_agent("1001")] == [eid]
