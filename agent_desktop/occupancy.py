"""Occupancy today, per agent and overall, from the agents' state changes.

Busy is time on calls and in wrap-up; idle is time ready for one (ready, reserved,
ringing); breaks and logged-out time count as neither (see ``kpi.occupancy``). Each
change carries the time the new state began, so time is split at the exact moment even
when changes are seen a little later. A new local day starts afresh. Pure: no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent_desktop import kpi

BUSY = frozenset({"on_call", "wrap_up"})
IDLE = frozenset({"ready", "reserved", "ringing"})


@dataclass(slots=True)
class Occupancy:
    utc_offset: float = 0.0
    day: int | None = None
    busy: dict[str, float] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)
    open: dict[str, tuple[str, float]] = field(default_factory=dict)  # agent -> state, since

    def _roll(self, now: float) -> float:
        """Today's start; on a new day the sums start again (open states carry over)."""
        day, _ = kpi.day_and_bucket(now, self.utc_offset)
        if day != self.day:
            self.day = day
            self.busy, self.idle = {}, {}
        return kpi.day_start(now, self.utc_offset)

    def _add(self, agent: str, state: str, start: float, end: float) -> None:
        seconds = max(0.0, end - start)
        if state in BUSY:
            self.busy[agent] = self.busy.get(agent, 0.0) + seconds
        elif state in IDLE:
            self.idle[agent] = self.idle.get(agent, 0.0) + seconds

    def observe(self, agent: str, state: str, since: float) -> None:
        """The agent is in ``state`` since ``since``: the previous state ends then."""
        day_start = self._roll(since)
        prev = self.open.get(agent)
        if prev is not None and prev[1] <= since:
            self._add(agent, prev[0], max(prev[1], day_start), since)
        self.open[agent] = (state, since)

    def figures(self, now: float) -> tuple[float | None, dict[str, float | None]]:
        """(overall percent, percent per agent) including the states still running."""
        day_start = self._roll(now)
        busy, idle = dict(self.busy), dict(self.idle)
        for agent, (state, since) in self.open.items():
            seconds = max(0.0, now - max(since, day_start))
            if state in BUSY:
                busy[agent] = busy.get(agent, 0.0) + seconds
            elif state in IDLE:
                idle[agent] = idle.get(agent, 0.0) + seconds
        per = {a: _r(kpi.occupancy(busy.get(a, 0.0), idle.get(a, 0.0))) for a in {*busy, *idle}}
        overall = _r(kpi.occupancy(sum(busy.values()), sum(idle.values())))
        return overall, per

    def annotate(self, now: float, agents: list[dict[str, Any]]) -> float | None:
        """Put each agent's figure on their wallboard row; returns the overall one."""
        overall, per = self.figures(now)
        for a in agents:
            a["occupancy"] = per.get(a["id"])
        return overall


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
