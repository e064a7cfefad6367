from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.model.cadence import Cadence, CadenceRule, cadence, contacts
from crm.model.rollup import preorder, roll_up

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def days(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(days=d) for d in offsets]


def test_a_weekly_caller_silent_for_over_two_weeks_has_broken_cadence() -> None:
    # Calls on days 0, 7, 14, 21, 28: median gap 7 days. Silent 15 days > 2 x 7.
    assert cadence(days(0, 7, 14, 21, 28), T0 + timedelta(days=43)) == Cadence(
        contacts=5, median_interval_days=7.0, days_since_last=15.0, regular=True, broken=True
    )
    # Silent 14 days is exactly twice the median: not yet broken.
    assert not cadence(days(0, 7, 14, 21, 28), T0 + timedelta(days=42)).broken


def test_an_irregular_caller_is_not_regular_whatever_the_silence() -> None:
    # Gaps 1, 29, 1: the 29-day gap is far over twice the median of 1 day.
    found = cadence(days(0, 1, 30, 31), T0 + timedelta(days=80))
    assert (found.contacts, found.median_interval_days, found.regular, found.broken) == (
        4,
        1.0,
        False,
        False,
    )


def test_too_few_contacts_are_no_cadence() -> None:
    assert not cadence(days(0, 7, 14), T0 + timedelta(days=60)).regular
    assert cadence([], T0) == Cadence(0, None, None, False, False)
    rule = CadenceRule(min_contacts=3)
    assert cadence(days(0, 7, 14), T0 + timedelta(days=60), rule).broken


def test_calls_on_the_same_morning_are_one_contact() -> None:
    same_day = [*days(0, 7, 14, 21), T0 + timedelta(days=21, minutes=5)]
    assert contacts(same_day, timedelta(hours=12)) == days(0, 7, 14, 21)
    assert cadence(same_day, T0 + timedelta(days=36)).broken  # 15 days > 2 x 7


def test_roll_up_sums_each_subtree() -> None:
    # 1 HQ > 2 North > 3 Beijing; 1 HQ > 4 South; 9 is unknown.
    parents = {1: None, 2: 1, 3: 2, 4: 1}
    own = {3: {"tickets": 2.0}, 2: {"tickets": 1.0}, 4: {"tickets": 5.0}, None: {"tickets": 7.0}}
    assert roll_up(parents, {**own, 9: {"tickets": 100.0}}) == {
        1: {"tickets": 8.0},
        2: {"tickets": 3.0},
        3: {"tickets": 2.0},
        4: {"tickets": 5.0},
    }
    assert preorder(parents) == [(1, 0), (2, 1), (3, 2), (4, 1)]
    assert preorder(parents, root=2) == [(2, 0), (3, 1)]
    assert roll_up({1: 2, 2: 1}, {1: {"n": 1.0}}) == {1: {"n": 1.0}, 2: {"n": 1.0}}  # a cycle
