"""Occupancy from state changes, and today's totals rebuilt from CRM rows (both pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from agent_desktop.occupancy import Occupancy
from agent_desktop.seed import seed
from agent_desktop.wallboard import ServiceInfo, WallboardState

DAY = 20_000 * 86400.0  # a midnight (UTC)


def test_occupancy_splits_time_at_each_change() -> None:
    occ = Occupancy()
    occ.observe("a", "ready", DAY + 100)
    occ.observe("a", "ringing", DAY + 130)  # idle: 30 s ready
    occ.observe("a", "on_call", DAY + 140)  # idle: 10 s ringing
    occ.observe("a", "wrap_up", DAY + 200)  # busy: 60 s
    occ.observe("a", "not_ready", DAY + 220)  # busy: 20 s; a break counts as neither
    overall, per = occ.figures(DAY + 1000)
    assert per == {"a": 66.7} and overall == 66.7  # 80 busy / (80 + 40)
    occ.observe("b", "ready", DAY + 900)
    overall, per = occ.figures(DAY + 1000)  # b idle 100 s so far (still open)
    assert per["b"] == 0.0 and overall == round(100 * 80 / 220, 1)
    rows = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    assert occ.annotate(DAY + 1000, rows) == overall
    assert [r["occupancy"] for r in rows] == [66.7, 0.0, None]


def test_occupancy_starts_afresh_each_day() -> None:
    occ = Occupancy()
    occ.observe("a", "on_call", DAY - 600)  # since before midnight, still on the call
    overall, _ = occ.figures(DAY + 60)
    assert overall == 100.0
    occ.observe("a", "ready", DAY + 60)  # only today's 60 s of that call count
    occ.observe("a", "not_ready", DAY + 120)
    assert occ.figures(DAY + 500) == (50.0, {"a": 50.0})


def row(call_id: str, service: str | None, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "call_id": call_id,
        "service": service,
        "agent_answered": None,
        "end_reason": "completed",
        "wait_seconds": 0.0,
        "talk_seconds": 0.0,
        "hold_seconds": 0.0,
        "wrapup_seconds": 0.0,
        "started_at": datetime.fromtimestamp(DAY + 3600, UTC),
        "ended_at": datetime.fromtimestamp(DAY + 3700, UTC),
        "extra": {"timeline": [["new", DAY + 3600], ["waiting", DAY + 3610]]},
    }
    base.update(kw)
    return base


def test_seed_counts_rows_as_the_events_would() -> None:
    board = WallboardState({"billing": ServiceInfo("billing", target_seconds=20.0)})
    rows = [
        row(
            "1",
            "billing",
            agent_answered="1001",
            wait_seconds=10.0,
            talk_seconds=100.0,
            wrapup_seconds=20.0,
        ),
        row(
            "2",
            "billing",
            agent_answered="1002",
            wait_seconds=30.0,
            talk_seconds=50.0,
            hold_seconds=10.0,
        ),
        row("3", "billing", end_reason="abandoned", wait_seconds=40.0),
        row("4", "billing", end_reason="abandoned", wait_seconds=2.0),  # short
        row("5", None, end_reason="ivr_hangup"),  # never queued: not offered
        row("6", "billing", started_at=datetime.fromtimestamp(DAY - 50, UTC), extra={}),
    ]
    assert seed(board, rows, DAY + 7200) == 4
    t = board.totals["billing"]
    assert (t.offered, t.answered, t.answered_in_target) == (4, 2, 1)
    assert (t.abandoned, t.short_abandoned, t.handled) == (1, 1, 2)
    assert t.wait_answered == 40.0 and t.handle_seconds == 180.0
    snap = board.snapshot(DAY + 7200, [])
    assert snap["overall"]["aht"] == 90.0 and snap["overall"]["service_level"] == 33.3
    assert sum(b[0] for b in snap["chart"]) == 4 and snap["chart"][4][0] == 4  # 01:00-01:15
