"""Today's wallboard totals rebuilt from the CRM's interaction rows when the web app starts.

The wallboard keeps its figures from the event stream; a restart mid-day would start them
at zero. The desk reads today's rows once (one query, not per viewer) and this folds them
into the board with the same rules the events follow, so the totals equal the CRM's;
events then carry on from there. Pure: rows in, board updated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from agent_desktop import kpi
from agent_desktop.wallboard import WallboardState


def _epoch(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def queued_at(row: Mapping[str, Any]) -> float | None:
    """When the call first waited: the call model's timeline says; else when it started."""
    for step in (row.get("extra") or {}).get("timeline") or []:
        if step and step[0] == "waiting":
            return float(step[1])
    return _epoch(row.get("started_at"))


def seed(board: WallboardState, rows: Iterable[Mapping[str, Any]], now: float) -> int:
    """Add today's ended inbound calls to the board's totals; returns how many counted."""
    board._roll(now)
    start = kpi.day_start(now, board.utc_offset)
    counted = 0
    for row in rows:
        service = row.get("service")
        at = queued_at(row)
        if not service or at is None or at < start or row.get("call_id") in board.calls:
            continue  # not today's, not queued, or already known from events
        counted += 1
        t = board._t(service)
        t.offered += 1
        board._bucket(at)[0] += 1
        board.recent_offers.append((at, service))
        wait = float(row.get("wait_seconds") or 0.0)
        if row.get("agent_answered"):
            info = board.services.get(service)
            target = info.target_seconds if info else 20.0
            t.answered += 1
            t.wait_answered += wait
            if wait <= target:
                t.answered_in_target += 1
            board._bucket(min(now, at + wait))[1] += 1
            t.handled += 1
            t.handle_seconds += (
                float(row.get("talk_seconds") or 0.0)
                + float(row.get("hold_seconds") or 0.0)
                + float(row.get("wrapup_seconds") or 0.0)
            )
        elif row.get("end_reason") == "abandoned":
            info = board.services.get(service)
            if wait > (info.target_seconds if info else 20.0):
                t.abandoned_after_target += 1
            if kpi.is_short_abandon(wait, board.short_abandon):
                t.short_abandoned += 1
            else:
                t.abandoned += 1
                ended = _epoch(row.get("ended_at")) or at
                board._bucket(min(now, max(start, ended)))[2] += 1
    board.recent_offers.sort()
    return counted
