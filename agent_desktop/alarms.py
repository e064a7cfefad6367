"""Threshold alarms for the wallboard: pure rules, levels ok < warn < critical.

A threshold names a metric, a direction and two limits; the service level's limits are
relative to each service's own target (``target`` minus the margin), so one rule fits
services with different targets. Thresholds come from the site file (a site default and
per-service overrides, see ``cti.settings``); ``DEFAULT_THRESHOLDS`` fills what it leaves out.

Every alarm is described (which figure, its value, the limit it crossed, in which
direction) so the page can say it in words, and ``History`` keeps each change of level.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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
_BY_METRIC = {t.metric: t for t in DEFAULT_THRESHOLDS}


def from_limits(limits: Mapping[str, tuple[float, float]]) -> tuple[Threshold, ...]:
    """Thresholds from the site file's ``metric -> (warn, critical)``; the direction and
    the target-relative rule are the metric's own, metrics not given keep the default."""
    out = []
    for t in DEFAULT_THRESHOLDS:
        if t.metric in limits:
            warn, critical = limits[t.metric]
            out.append(Threshold(t.metric, warn, critical, t.above, t.relative_to_target))
        else:
            out.append(t)
    return tuple(out)


def known_metric(name: str) -> bool:
    return name in _BY_METRIC


def limits_for(t: Threshold, target_percent: float) -> tuple[float, float]:
    if t.relative_to_target:
        return target_percent - t.warn, target_percent - t.critical
    return t.warn, t.critical


def level_for(value: float | None, t: Threshold, target_percent: float = 0.0) -> str:
    if value is None:
        return "ok"
    warn, critical = limits_for(t, target_percent)
    if t.above:
        return "critical" if value > critical else "warn" if value > warn else "ok"
    return "critical" if value < critical else "warn" if value < warn else "ok"


def evaluate(
    metrics: Mapping[str, Any],
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS,
    target_percent: float = 0.0,
) -> dict[str, str]:
    """metric -> level for every threshold whose metric is present."""
    return {
        t.metric: level_for(metrics[t.metric], t, target_percent)
        for t in thresholds
        if t.metric in metrics
    }


def describe(
    scope: str,
    metrics: Mapping[str, Any],
    thresholds: tuple[Threshold, ...],
    target_percent: float = 0.0,
) -> list[dict[str, Any]]:
    """The alarms raised now, each saying what crossed which limit: ``scope`` (a service
    name or "overall"), ``metric``, ``level``, ``value``, ``limit`` and ``above`` (True:
    the value rose above the limit; False: it fell below)."""
    out = []
    for t in thresholds:
        value = metrics.get(t.metric)
        level = level_for(value, t, target_percent)
        if level == "ok":
            continue
        warn, critical = limits_for(t, target_percent)
        out.append(
            {
                "scope": scope,
                "metric": t.metric,
                "level": level,
                "value": value,
                "limit": critical if level == "critical" else warn,
                "above": t.above,
            }
        )
    return out


def worst(levels: Iterable[str]) -> str:
    return max(levels, key=LEVELS.index, default="ok")


@dataclass(slots=True)
class History:
    """Each change of an alarm's level (raised, escalated, eased, cleared), newest first,
    bounded. ``observe`` is given every alarm active now; what is missing has cleared."""

    limit: int = 200
    active: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    entries: deque[dict[str, Any]] = field(default_factory=deque)

    def observe(self, alarms: Iterable[dict[str, Any]], now: float) -> bool:
        """Record the changes; True if there was one."""
        current = {(a["scope"], a["metric"]): a for a in alarms}
        changed = False
        for key, a in current.items():
            before = self.active.get(key)
            if before is None or before["level"] != a["level"]:
                self._add({**a, "at": now, "was": before["level"] if before else "ok"})
                changed = True
        for key, before in self.active.items():
            if key not in current:
                self._add({**before, "level": "ok", "at": now, "was": before["level"]})
                changed = True
        self.active = current
        return changed

    def _add(self, entry: dict[str, Any]) -> None:
        self.entries.appendleft(entry)
        while len(self.entries) > self.limit:
            self.entries.pop()

    def recent(self, n: int = 50) -> list[dict[str, Any]]:
        return [dict(e) for e in list(self.entries)[:n]]
