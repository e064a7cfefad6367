from __future__ import annotations

import pytest

from recordings.scorecard import (
    FormError,
    agreement,
    calibrate,
    check_answers,
    parse_form,
    score,
    trend,
)

FORM = {
    "name": "basic",
    "sections": [
        {"title": {"zh": "开场", "en": "Opening"}, "questions": [
            {"id": "greet", "text": {"zh": "问候", "en": "Greeting"}, "weight": 2},
            {"id": "name", "text": "Name", "weight": 1}]},
        {"title": "Compliance", "questions": [
            {"id": "card", "text": "No card number read back", "weight": 3, "fatal": True}]},
    ],
}


def test_weights_partial_and_na() -> None:
    form = parse_form(FORM)
    assert score(form, {"greet": "yes", "name": "no", "card": "yes"}).percent == 83.3
    assert score(form, {"greet": "partial", "name": "na", "card": "yes"}).percent == 80.0
    s = score(form, {"greet": "yes", "name": "yes", "card": "na"})
    assert s.percent == 100.0 and s.sections == (100.0, None)


def test_fatal_zeroes() -> None:
    s = score(parse_form(FORM), {"greet": "yes", "name": "yes", "card": "no"})
    assert s.fatal and s.percent == 0.0


def test_bad_forms_and_answers() -> None:
    with pytest.raises(FormError):
        parse_form({"name": "x", "sections": []})
    with pytest.raises(FormError):
        parse_form({"name": "x", "sections": [{"title": "a", "questions": [
            {"id": "q", "text": "t"}, {"id": "q", "text": "t"}]}]})
    form = parse_form(FORM)
    with pytest.raises(FormError):
        check_answers(form, {"greet": "maybe"}, complete=False)
    with pytest.raises(FormError):
        check_answers(form, {"greet": "yes"}, complete=True)
    with pytest.raises(FormError):
        check_answers(form, {"nope": "yes"}, complete=False)


def test_calibration_and_trend() -> None:
    form = parse_form(FORM)
    rows = calibrate(form, {"greet": "yes", "name": "no", "card": "yes"},
                     {"greet": "yes", "name": "yes", "card": "yes"})
    assert [r[3] for r in rows] == [True, False, True] and agreement(rows) == 66.7
    day = 1_800_000_000.0
    assert trend([(day, 80.0), (day + 60, 90.0), (day + 86400, 70.0), (None, 1.0)]) == [
        ("2027-01-15", 85.0, 2), ("2027-01-16", 70.0, 1)]
