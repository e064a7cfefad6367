"""The incremental wallboard figures, fed events by hand."""

from __future__ import annotations

from agent_desktop.wallboard import ServiceInfo, WallboardState
from cti import events as ev

T0 = 1_700_000_000.0  # a Unix time; the tests use offsets from it


def board() -> WallboardState:
    return WallboardState(
        {"billing": ServiceInfo("billing", "账单查询", "Billing", 80, 20)}, short_abandon=5.0
    )


def ended(cid: str, at: float, reason: str, **summary: float) -> ev.CallEnded:
    return ev.CallEnded(cid, at, reason, summary=dict(summary))


def test_figures_from_events() -> None:
    b = board()
    b.apply(ev.CallQueued("c1", T0, "billing"))
    b.apply(ev.CallQueued("c2", T0 + 1, "billing"))
    b.apply(ev.CallQueued("c3", T0 + 2, "billing"))
    b.apply(ev.CallQueued("c4", T0 + 3, "billing"))
    snap = b.snapshot(T0 + 13, [])
    billing = snap["services"][0]
    assert billing["waiting"] == 4 and billing["longest_wait"] == 13.0
    b.apply(ev.CallAnswered("c1", T0 + 10, "1001", "x", waited=10.0))
    b.apply(ev.CallAnswered("c2", T0 + 31, "1002", "y", waited=30.0))
    b.apply(ended("c3", T0 + 4, "abandoned", wait_seconds=2.0))  # short: not counted
    b.apply(ended("c4", T0 + 40, "abandoned", wait_seconds=37.0))
    b.apply(ended("c1", T0 + 70, "completed", talk_seconds=60.0, hold_seconds=0.0))
    # With no wrap-up time the router ends the wrap-up inside CallEnded's delivery.
    b.apply(ev.WrapUpCompleted("c2", T0 + 91, "1002"))
    b.apply(ended("c2", T0 + 91, "completed", talk_seconds=50.0, hold_seconds=10.0))
    b.apply(ev.WrapUpCompleted("c1", T0 + 80, "1001"))
    s = b.snapshot(T0 + 100, [{"state": "ready"}, {"state": "ready"}, {"state": "on_call"}])
    f = s["services"][0]
    assert (f["offered"], f["answered"], f["abandoned"], f["short_abandoned"]) == (4, 2, 1, 1)
    assert f["service_level"] == 33.3  # 1 in 20 s of (2 answered + 1 long abandon)
    assert f["asa"] == 20.0
    assert f["aht"] == 65.0  # (60 + 10 wrap) and (50 + 10 hold + 0 wrap)
    assert f["abandon_rate"] == 33.3
    assert f["waiting"] == 0 and f["alarms"]["service_level"] == "critical"
    assert s["overall"]["offered"] == 4 and s["agent_counts"] == {"ready": 2, "on_call": 1}
    assert sum(bucket[0] for bucket in s["chart"]) == 4
    assert sorted(b.drain_wrapups()) == [("c1", 10.0), ("c2", 0.0)]
    assert b.drain_wrapups() == []


def test_requeue_counts_once_and_a_new_day_starts_afresh() -> None:
    b = board()
    b.apply(ev.CallQueued("c1", T0, "billing"))
    b.apply(ev.CallQueued("c1", T0 + 5, "repair"))  # moved by the IVR or a transfer
    s = b.snapshot(T0 + 6, [])
    assert s["overall"]["offered"] == 1
    assert {x["name"]: x["waiting"] for x in s["services"]} == {"billing": 0, "repair": 1}
    b.apply(ev.CallAnswered("c1", T0 + 86400, "1001", "x", waited=9.0))
    s = b.snapshot(T0 + 86400, [])
    assert s["overall"]["offered"] == 0 and s["overall"]["answered"] == 1


def test_erlang_needed_follows_the_arrival_rate() -> None:
    b = board()
    for i in range(100):
        b.apply(ev.CallQueued(f"c{i}", T0 + i * 18, "billing"))
    s = b.snapshot(T0 + 1800, [])
    # 100 calls in the last 30 min at the default 180 s AHT, target 80/20: 14 agents.
    assert s["services"][0]["needed"] == 14
