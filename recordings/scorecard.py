"""QA scorecards without I/O: a form's shape, checking answers, the score, calibration.

A form has sections of questions; each question has a weight and may be *fatal* (a "no"
on it zeroes the whole evaluation: e.g. reading a card number back to the caller).
Answers are ``yes`` (full weight), ``partial`` (half), ``no`` (none) or ``na`` (left out
of both sides of the fraction). The score is a percentage with one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VALUES: dict[str, float | None] = {"yes": 1.0, "partial": 0.5, "no": 0.0, "na": None}


class FormError(ValueError):
    """A scorecard definition or an answer sheet that does not fit its form."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text_zh: str
    text_en: str
    weight: float
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    title_zh: str
    title_en: str
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    sections: tuple[Section, ...]

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]


@dataclass(frozen=True, slots=True)
class Score:
    percent: float
    fatal: bool
    sections: tuple[float | None, ...]  # per-section percent (None when all "na")


def _text(item: Mapping[str, Any], key: str) -> tuple[str, str]:
    value = item.get(key)
    if isinstance(value, Mapping):
        zh, en = str(value.get("zh") or value.get("en") or ""), str(value.get("en") or "")
        return zh, en or zh
    if not value:
        raise FormError(f"{key} is required")
    return str(value), str(value)


def parse_form(raw: Mapping[str, Any]) -> Form:
    """Build a form from its JSON/YAML definition, refusing what would score wrongly."""
    name = str(raw.get("name") or "").strip()
    if not name:
        raise FormError("a scorecard needs a name")
    sections, seen = [], set()
    for s in raw.get("sections") or []:
        qs = []
        for q in s.get("questions") or []:
            qid = str(q.get("id") or "").strip()
            if not qid or qid in seen:
                raise FormError(f"question id {qid!r} is missing or repeated")
            seen.add(qid)
            try:
                weight = float(q.get("weight", 1))
            except (TypeError, ValueError) as exc:
                raise FormError(f"{qid}: weight must be a number") from exc
            if weight < 0:
                raise FormError(f"{qid}: weight must not be negative")
            zh, en = _text(q, "text")
            qs.append(Question(qid, zh, en, weight, bool(q.get("fatal", False))))
        if not qs:
            raise FormError("every section needs at least one question")
        tzh, ten = _text(s, "title")
        sections.append(Section(tzh, ten, tuple(qs)))
    if not sections:
        raise FormError("a scorecard needs at least one section")
    return Form(name, tuple(sections))


def check_answers(form: Form, answers: Mapping[str, str], *, complete: bool) -> dict[str, str]:
    """The answers, normalized; a submitted sheet must answer every question."""
    ids = {q.id for q in form.questions()}
    unknown = set(answers) - ids
    if unknown:
        raise FormError(f"unknown question(s): {sorted(unknown)}")
    out = {}
    for qid, value in answers.items():
        v = str(value).strip().lower()
        if v not in VALUES:
            raise FormError(f"{qid}: answer must be one of {sorted(VALUES)}")
        out[qid] = v
    if complete and ids - set(out):
        raise FormError(f"unanswered: {sorted(ids - set(out))}")
    return out


def _fraction(questions: tuple[Question, ...], answers: Mapping[str, str]) -> float | None:
    got = total = 0.0
    for q in questions:
        value = VALUES.get(answers.get(q.id, "na"))
        if value is None:
            continue
        got += q.weight * value
        total += q.weight
    return None if total == 0 else got / total


def score(form: Form, answers: Mapping[str, str]) -> Score:
    fatal = any(q.fatal and answers.get(q.id) == "no" for q in form.questions())
    whole = _fraction(tuple(form.questions()), answers)
    per = tuple(
        None if (f := _fraction(s.questions, answers)) is None else round(100 * f, 1)
        for s in form.sections
    )
    percent = 0.0 if fatal or whole is None else round(100 * whole, 1)
    return Score(percent, fatal, per)


def calibrate(
    form: Form, a: Mapping[str, str], b: Mapping[str, str]
) -> list[tuple[Question, str, str, bool]]:
    """Per question: the two evaluators' answers and whether they agree."""
    return [(q, a.get(q.id, ""), b.get(q.id, ""), a.get(q.id) == b.get(q.id))
            for q in form.questions()]


def agreement(rows: list[tuple[Question, str, str, bool]]) -> float:
    return round(100 * sum(r[3] for r in rows) / len(rows), 1) if rows else 100.0


def trend(scored: list[tuple[float | None, float | None]]) -> list[tuple[str, float, int]]:
    """Per UTC day: (YYYY-MM-DD, mean score, evaluations), oldest first."""
    import time

    days: dict[str, list[float]] = {}
    for at, value in scored:
        if at is None or value is None:
            continue
        days.setdefault(time.strftime("%Y-%m-%d", time.gmtime(at)), []).append(value)
    return [(d, round(sum(v) / len(v), 1), len(v)) for d, v in sorted(days.items())]
