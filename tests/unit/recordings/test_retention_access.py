from __future__ import annotations

from recordings.access import may_amend, may_hold, may_play, may_score
from recordings.retention import DAY, Candidate, RetentionPolicy, due


def test_retention_per_service_and_legal_hold() -> None:
    policy = RetentionPolicy(default_days=30, per_service={"complaint": 365, "vip": 0})
    now = 1_000 * DAY
    calls = [
        Candidate("old", "billing", now - 31 * DAY, False),
        Candidate("young", "billing", now - 29 * DAY, False),
        Candidate("held", "billing", now - 400 * DAY, True),
        Candidate("complaint", "complaint", now - 100 * DAY, False),
        Candidate("old-complaint", "complaint", now - 366 * DAY, False),
        Candidate("vip", "vip", now - 900 * DAY, False),
        Candidate("none", None, now - 40 * DAY, False),
    ]
    assert due(policy, calls, now) == ["old-complaint", "none", "old"]
    assert due(RetentionPolicy(), calls, now) == []


def test_access() -> None:
    assert may_play({"qa"}, "x", []) and may_play({"supervisor"}, "x", [])
    assert may_play({"agent"}, "1001", ["1001", "1002"])
    assert not may_play({"agent"}, "1003", ["1001"])
    assert not may_play({"department_staff"}, "1001", ["1001"])
    assert may_score({"qa"}) and not may_score({"supervisor"}) and not may_score({"agent"})
    assert may_amend({"supervisor"}) and not may_amend({"agent"})
    assert may_hold({"admin"}) and not may_hold({"qa"})
