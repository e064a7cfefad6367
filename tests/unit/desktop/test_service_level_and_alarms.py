"""Service level with callers still waiting past the target, thresholds from the site,
labelled alarms and their history."""

from __future__ import annotations

from agent_desktop import alarms, kpi
from agent_desktop.wallboard import ServiceInfo, WallboardState
from cti import events as ev

T0 = 1_700_000_000.0


def test_service_level_formula_counts_waiting_beyond_target() -> None:
    # answered within T / (answered + abandoned after T + waiting beyond T)
    assert kpi.service_level(8, 10, 0, 0) == 80.0
    assert kpi.service_level(8, 10, 2, 0) == 8 / 12 * 100
    assert kpi.service_level(8, 10, 2, 4) == 50.0
    assert kpi.service_level(0, 0, 0, 3) == 0.0  # nobody answered, three waiting too long
    assert kpi.service_level(0, 0, 0, 0) is None
    assert kpi.waiting_beyond([5.0, 20.0, 20.5, 153.0], 20.0) == 2
    assert "waiting beyond T" in kpi.SERVICE_LEVEL_FORMULA["en"]
    assert "超过 T 秒" in kpi.SERVICE_LEVEL_FORMULA["zh"]


def board(**kw: object) -> WallboardState:
    return WallboardState(
        {"billing": ServiceInfo("billing", "账单查询", "Billing", 80, 20, **kw)},  # type: ignore[arg-type]
        short_abandon=5.0,
    )


def test_a_building_queue_pulls_the_service_level_down_at_once() -> None:
    b = board()
    for i in range(4):
        b.apply(ev.CallQueued(f"c{i}", T0 + i, "billing"))
    b.apply(ev.CallAnswered("c0", T0 + 10, "1001", "x", waited=10.0))
    b.apply(ev.CallQueued("c9", T0 + 10, "billing"))
    # at T0+15: c1..c3 wait 14, 13, 12 s (within 20): SL is still 1/1.
    assert b.snapshot(T0 + 15, [])["services"][0]["service_level"] == 100.0
    # at T0+25: c1 (24 s), c2 (23 s), c3 (22 s) are past the target, c9 (15 s) is not.
    s = b.snapshot(T0 + 25, [])["services"][0]
    assert s["waiting_beyond_target"] == 3 and s["service_level"] == 25.0
    assert b.snapshot(T0 + 25, [])["overall"]["service_level"] == 25.0
    # c1 hangs up after 30 s: now an abandon after T, no longer a waiting caller.
    b.apply(ev.CallEnded("c1", T0 + 31, "abandoned", summary={"wait_seconds": 30.0}))
    s = b.snapshot(T0 + 31, [])["services"][0]
    assert (s["abandoned_after_target"], s["waiting_beyond_target"]) == (1, 3)  # c9 now 21 s
    assert s["service_level"] == 20.0
    # A caller who gave up within the target counts on neither side.
    b.apply(ev.CallQueued("c5", T0 + 40, "billing"))
    b.apply(ev.CallEnded("c5", T0 + 50, "abandoned", summary={"wait_seconds": 10.0}))
    s = b.snapshot(T0 + 50, [])["services"][0]
    assert s["abandoned"] == 2 and s["abandoned_after_target"] == 1


def test_thresholds_per_service_and_labelled_alarms_with_history() -> None:
    strict = alarms.from_limits({"waiting": (1, 2), "service_level": (5, 20)})
    b = board(thresholds=strict)
    b.apply(ev.CallQueued("c1", T0, "billing"))
    b.apply(ev.CallQueued("c2", T0 + 1, "billing"))
    snap = b.snapshot(T0 + 5, [])
    got = {(a["scope"], a["metric"]): a for a in snap["alarms"]}
    assert got[("billing", "waiting")] == {
        "scope": "billing",
        "metric": "waiting",
        "level": "warn",
        "value": 2,
        "limit": 1,
        "above": True,
    }
    assert ("overall", "waiting") not in got  # the site default (warn above 3) holds there
    b.apply(ev.CallQueued("c3", T0 + 6, "billing"))
    snap = b.snapshot(T0 + 30, [])  # three waiting, all past 20 s: SL 0 %
    got = {(a["scope"], a["metric"]): a for a in snap["alarms"]}
    assert got[("billing", "waiting")]["level"] == "critical"
    sl = got[("billing", "service_level")]
    assert (sl["level"], sl["value"], sl["limit"], sl["above"]) == ("critical", 0.0, 60, False)
    assert snap["level"] == "critical"
    for cid in ("c1", "c2", "c3"):
        b.apply(ev.CallAnswered(cid, T0 + 31, "1001", "x", waited=31.0))
    snap = b.snapshot(T0 + 32, [])
    history = [(h["scope"], h["metric"], h["was"], h["level"]) for h in snap["alarm_history"]]
    # newest first: the waiting alarm cleared; before it, raised and escalated.
    assert ("billing", "waiting", "critical", "ok") in history[:3]
    assert history.index(("billing", "waiting", "warn", "critical")) > history.index(
        ("billing", "waiting", "critical", "ok")
    )
    assert history[-1][:2] == ("billing", "waiting") and history[-1][2:] == ("ok", "warn")


def test_history_is_bounded() -> None:
    h = alarms.History(limit=3)
    for i in range(5):
        level = "warn" if i % 2 == 0 else "critical"
        h.observe([{"scope": "s", "metric": "waiting", "level": level}], float(i))
    assert [e["at"] for e in h.recent()] == [4.0, 3.0, 2.0]
