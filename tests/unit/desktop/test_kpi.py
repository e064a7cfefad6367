"""KPI arithmetic against worked examples."""

from __future__ import annotations

import pytest

from agent_desktop import alarms, kpi


def test_erlang_c_textbook_example() -> None:
    # 100 calls in 30 minutes, 180 s handle time: 10 erlangs. With 11 agents a call waits
    # with probability 68.21% and 39.0% are answered within 20 s; 14 agents reach 80/20.
    a = kpi.traffic(100 / 1800, 180)
    assert a == pytest.approx(10.0)
    assert kpi.erlang_c(a, 11) == pytest.approx(0.6821, abs=1e-4)
    assert kpi.erlang_service_level(a, 11, 180, 20) == pytest.approx(0.3896, abs=1e-4)
    assert kpi.erlang_service_level(a, 13, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert kpi.erlang_service_level(a, 14, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert kpi.agents_needed(100 / 1800, 180, 80, 20) == 14


def test_erlang_edges() -> None:
    assert kpi.erlang_c(0, 3) == 0.0
    assert kpi.erlang_c(5, 5) == 1.0  # as many agents as erlangs: the queue never clears
    assert kpi.agents_needed(0, 180, 80, 20) == 0
    assert kpi.erlang_c(400, 450) < 1.0  # no overflow with hundreds of agents
    assert kpi.agents_needed(1 / 3600, 180, 80, 20) == 1


def test_rates_and_averages() -> None:
    # 80 answered in target of 95 answered, 5 long abandons: 80/100.
    assert kpi.service_level(80, 95, 5) == 80.0
    assert kpi.service_level(0, 0, 0) is None
    assert kpi.abandon_rate(5, 95) == 5.0
    assert kpi.asa(600.0, 40) == 15.0
    assert kpi.aht(9000.0, 50) == 180.0
    assert kpi.aht(0.0, 0) is None
    assert kpi.occupancy(45 * 60, 15 * 60) == 75.0
    assert kpi.is_short_abandon(4.9, 5.0) and not kpi.is_short_abandon(5.0, 5.0)


def test_buckets() -> None:
    assert kpi.day_and_bucket(0, 0) == (0, 0)
    assert kpi.day_and_bucket(86400 + 901, 0) == (1, 1)
    # Beijing (UTC+8): 16:00 UTC is midnight of the next local day.
    assert kpi.day_and_bucket(16 * 3600, 8 * 3600) == (1, 0)
    assert kpi.day_start(16 * 3600 + 10, 8 * 3600) == 16 * 3600


def test_alarm_levels() -> None:
    t = alarms.Threshold("longest_wait", 30, 60)
    assert [alarms.level_for(v, t) for v in (None, 30, 31, 61)] == ["ok", "ok", "warn", "critical"]
    sl = alarms.Threshold("service_level", 0, 10, above=False, relative_to_target=True)
    assert [alarms.level_for(v, sl, 80) for v in (85, 79.9, 69)] == ["ok", "warn", "critical"]
    levels = alarms.evaluate({"waiting": 9, "service_level": 75.0, "x": 1}, target_percent=80)
    assert levels == {"waiting": "critical", "service_level": "warn"}
    assert alarms.worst(list(levels.values())) == "critical" and alarms.worst([]) == "ok"
