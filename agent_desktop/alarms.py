"""Threshold alarms for the wallboard: pure rules, levels ok < warn < critical.

A threshold names a metric, a direction and two limits; the service level's limits are
relative to each service's own target (``target`` minus the margin), so one rule fits
services with different targets.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("ok", "warn", "critical")


@dataclass(frozen=True, slots=True)
class Threshold:
    metric: str
    warn: float
    critical: float
    above: bool = True  # True: alarm when the value rises above; False: when it falls below
    relative_to_target: bool = False  # limits are margins below the service's SL target


DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("waiting", 3, 8),
    Threshold("longest_wait", 30, 60),
    Threshold("abandon_rate", 5, 10),
    Threshold("service_level", 0, 10, above=False, relative_to_target=True),
)


def level_for(value: float | None, t: Threshold, target_percent: float = 0.0) -> str:
    if value is None:
        return "ok"
    if t.relative_to_target:
        warn, critical = target_percent - t.warn, target_percent - t.critical
    else:
        warn, critical = t.warn, t.critical
    if t.above:
        return "critical" if value > critical else "warn" if value > warn else "ok"
    return "critical" if value < critical else "warn" if value < warn else "ok"


def evaluate(
    metrics: dict[str, float | None],
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS,
    target_percent: float = 0.0,
) -> dict[str, str]:
    """metric -> level for every threshold whose metric is present."""
    return {
        t.metric: level_for(metrics[t.metric], t, target_percent)
        for t in thresholds
        if t.metric in metrics
    }


def worst(levels: list[str] | tuple[str, ...]) -> str:
    return max(levels, key=LEVELS.index, default="ok")
