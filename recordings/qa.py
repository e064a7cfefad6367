"""QA evaluations in the database: forms by version, drafts, locked submissions, amendments.

A submitted evaluation is locked: it changes only through :meth:`QaStore.amend`, which
keeps the answers before and after, who changed them, when and why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from recordings.schema import qa_amendments, qa_evaluations, qa_forms
from recordings.scorecard import Form, check_answers, parse_form, score


class EvaluationLocked(PermissionError):
    def __init__(self, evaluation_id: int) -> None:
        super().__init__(f"evaluation {evaluation_id} is submitted; amend it instead")
        self.evaluation_id = evaluation_id


class EvaluationNotFound(LookupError):
    pass


class QaStore:
    def __init__(self, sql: Engine) -> None:
        self.sql = sql

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.sql.connect() as conn:
            conn.execution_options(crm_write=True)
            with conn.begin():
                yield conn

    # ---- forms --------------------------------------------------------------------
    def ensure_forms(self, definitions: Sequence[Mapping[str, Any]], now: float) -> None:
        """Store each configured form; a changed definition becomes a new version, so
        evaluations keep the form they were scored on."""
        for raw in definitions:
            form = parse_form(raw)  # refuse a broken form at start-up
            with self._write() as conn:
                latest = conn.execute(
                    select(qa_forms.c.version, qa_forms.c.definition)
                    .where(qa_forms.c.name == form.name)
                    .order_by(qa_forms.c.version.desc())).first()
                if latest is not None and latest.definition == dict(raw):
                    continue
                conn.execute(insert(qa_forms).values(
                    name=form.name, version=(latest.version + 1) if latest else 1,
                    definition=dict(raw), created_at=now))

    def forms(self) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            newest = (select(qa_forms.c.name, func.max(qa_forms.c.version).label("v"))
                      .group_by(qa_forms.c.name).subquery())
            rows = conn.execute(select(qa_forms).join(
                newest, (newest.c.name == qa_forms.c.name) & (newest.c.v == qa_forms.c.version)
            ).order_by(qa_forms.c.name))
            return [dict(r._mapping) for r in rows]

    def form(self, form_id: int) -> tuple[dict[str, Any], Form]:
        with self.sql.connect() as conn:
            row = conn.execute(select(qa_forms).where(qa_forms.c.id == form_id)).first()
        if row is None:
            raise EvaluationNotFound(f"form {form_id}")
        return dict(row._mapping), parse_form(row.definition)

    # ---- evaluations --------------------------------------------------------------
    def evaluate(self, *, call_id: str, form_id: int, evaluator: str, agent: str | None,
                 answers: Mapping[str, str], comment: str, submit: bool, now: float) -> int:
        _row, form = self.form(form_id)
        clean = check_answers(form, answers, complete=submit)
        result = score(form, clean)
        with self._write() as conn:
            draft = conn.execute(select(qa_evaluations.c.id).where(
                qa_evaluations.c.call_id == call_id, qa_evaluations.c.form_id == form_id,
                qa_evaluations.c.evaluator == evaluator,
                qa_evaluations.c.status == "draft")).first()
            values = dict(answers=clean, comment=comment, score=result.percent,
                          fatal=result.fatal, status="submitted" if submit else "draft",
                          submitted_at=now if submit else None)
            if draft is not None:
                conn.execute(update(qa_evaluations).where(qa_evaluations.c.id == draft.id)
                             .values(**values))
                return int(draft.id)
            res = conn.execute(insert(qa_evaluations).values(
                call_id=call_id, form_id=form_id, evaluator=evaluator, agent=agent,
                created_at=now, amendments=0, **values))
            return int(res.inserted_primary_key[0])

    def amend(self, evaluation_id: int, *, actor: str, answers: Mapping[str, str],
              reason: str, now: float) -> None:
        if not reason.strip():
            raise ValueError("an amendment needs a reason")
        ev = self.get(evaluation_id)
        if ev["status"] != "submitted":
            raise ValueError("only a submitted evaluation is amended; edit the draft")
        _row, form = self.form(ev["form_id"])
        clean = check_answers(form, {**ev["answers"], **answers}, complete=True)
        result = score(form, clean)
        with self._write() as conn:
            conn.execute(insert(qa_amendments).values(
                evaluation_id=evaluation_id, actor=actor, at=now, reason=reason.strip(),
                before={"answers": ev["answers"], "score": ev["score"]},
                after={"answers": clean, "score": result.percent}))
            conn.execute(update(qa_evaluations).where(qa_evaluations.c.id == evaluation_id)
                         .values(answers=clean, score=result.percent, fatal=result.fatal,
                                 amendments=qa_evaluations.c.amendments + 1))

    def update_draft(self, evaluation_id: int, **kwargs: Any) -> int:
        ev = self.get(evaluation_id)
        if ev["status"] != "draft":
            raise EvaluationLocked(evaluation_id)
        return self.evaluate(call_id=ev["call_id"], form_id=ev["form_id"],
                             evaluator=ev["evaluator"], agent=ev["agent"], **kwargs)

    def get(self, evaluation_id: int) -> dict[str, Any]:
        with self.sql.connect() as conn:
            row = conn.execute(select(qa_evaluations)
                               .where(qa_evaluations.c.id == evaluation_id)).first()
        if row is None:
            raise EvaluationNotFound(f"evaluation {evaluation_id}")
        return dict(row._mapping)

    def for_call(self, call_id: str) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            rows = conn.execute(select(qa_evaluations).where(qa_evaluations.c.call_id == call_id)
                                .order_by(qa_evaluations.c.id))
            return [dict(r._mapping) for r in rows]

    def for_agent(self, agent: str, *, submitted_only: bool = True) -> list[dict[str, Any]]:
        q = select(qa_evaluations).where(qa_evaluations.c.agent == agent)
        if submitted_only:
            q = q.where(qa_evaluations.c.status == "submitted")
        with self.sql.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                q.order_by(qa_evaluations.c.submitted_at))]

    def amendments(self, evaluation_id: int) -> list[dict[str, Any]]:
        with self.sql.connect() as conn:
            rows = conn.execute(select(qa_amendments)
                                .where(qa_amendments.c.evaluation_id == evaluation_id)
                                .order_by(qa_amendments.c.id))
            return [dict(r._mapping) for r in rows]
