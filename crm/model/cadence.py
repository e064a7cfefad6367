"""Contact cadence: is a regular customer's rhythm of calls broken? Pure arithmetic.

A customer is *regular* when, inside the window, they made at least ``min_contacts``
contacts and no gap between two of them was longer than ``factor`` times the median gap
(a steady cadence). The cadence is *broken* when the silence since their last contact is
longer than ``factor`` times that median. Calls closer together than ``min_gap`` (a
callback, a dropped call dialled again) are one contact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

DAY = 86400.0


@dataclass(frozen=True)
class CadenceRule:
    min_contacts: int = 4
    factor: float = 2.0
    min_gap: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Cadence:
    contacts: int
    median_interval_days: float | None
    days_since_last: float | None
    regular: bool
    broken: bool


def contacts(times: Iterable[datetime], min_gap: timedelta) -> list[datetime]:
    """Contact times with the ones within ``min_gap`` of the previous kept one merged away."""
    kept: list[datetime] = []
    for t in sorted(times):
        if not kept or t - kept[-1] >= min_gap:
            kept.append(t)
    return kept


def cadence(times: Iterable[datetime], now: datetime, rule: CadenceRule | None = None) -> Cadence:
    rule = rule or CadenceRule()
    kept = contacts(times, rule.min_gap)
    since_last = (now - kept[-1]).total_seconds() / DAY if kept else None
    gaps = [(b - a).total_seconds() / DAY for a, b in pairwise(kept)]
    if not gaps:
        return Cadence(len(kept), None, since_last, False, False)
    typical = median(gaps)
    regular = len(kept) >= rule.min_contacts and max(gaps) <= rule.factor * typical
    broken = regular and since_last is not None and since_last > rule.factor * typical
    return Cadence(len(kept), round(typical, 2), round(since_last or 0.0, 2), regular, broken)
