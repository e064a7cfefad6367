"""Retention policy without I/O: which recordings have outlived their service's days.

Days are per service (complaints are often kept longer than billing questions), with a
default for calls that have none; ``0`` or a missing default means "keep for ever". A
call on legal hold is never due, whatever its age.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    default_days: int | None = None
    per_service: Mapping[str, int] | None = None

    def days_for(self, service: str | None) -> int | None:
        days = (self.per_service or {}).get(service or "", self.default_days)
        return days if days else None


@dataclass(frozen=True, slots=True)
class Candidate:
    call_id: str
    service: str | None
    ended_at: float
    legal_hold: bool


def due(policy: RetentionPolicy, calls: Iterable[Candidate], now: float) -> list[str]:
    """Call ids whose recordings must be deleted now, oldest first."""
    out = []
    for c in sorted(calls, key=lambda c: c.ended_at):
        days = policy.days_for(c.service)
        if days is None or c.legal_hold:
            continue
        if now - c.ended_at >= days * DAY:
            out.append(c.call_id)
    return out
