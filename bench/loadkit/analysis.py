"""Figures from the stamps: pop and routing latency, lost and duplicated interactions."""

from __future__ import annotations

import bisect
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from bench.loadkit.agents import AgentClient


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def ms(values: list[float]) -> dict[str, float | int | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 2)

    return {
        "n": len(values),
        "p50_ms": r(pct(values, 0.50)),
        "p99_ms": r(pct(values, 0.99)),
        "max_ms": r(max(values) if values else None),
    }


def pop_samples(
    stamps: dict[str, Any], clients: dict[str, AgentClient]
) -> tuple[list[tuple[float, float]], int]:
    """[(DialBegin sent, latency)] and the rings no pop followed. PBX DialBegin to the
    agent (sim stamp) -> first ringing pop read by that agent."""
    by_ext = {c.extension: c for c in clients.values()}
    out: list[tuple[float, float]] = []
    missing = 0
    for call_id, rings in stamps["ring"].items():
        seen: set[str] = set()
        for ext, sent in rings:
            if ext in seen:
                continue  # the same agent rung again for this call: the first pop counts
            seen.add(ext)
            client = by_ext.get(ext)
            got = client.first_pop.get(call_id) if client is not None else None
            if got is None:
                missing += 1
            else:
                out.append((sent, got[0] - sent))
    return out, missing


def pop_latency(samples: list[tuple[float, float]], missing: int) -> dict[str, Any]:
    return {**ms([lat for _, lat in samples]), "rings_without_pop": missing}


def gc_overlap(
    samples: list[tuple[float, float]], pauses: list[tuple[int, float, float]], slow: float
) -> dict[str, Any]:
    """How many pops slower than ``slow`` s were in flight during a gen-2 collection."""
    big = sorted((start, start + took) for gen, start, took in pauses if gen == 2)
    late = [(sent, sent + lat) for sent, lat in samples if lat > slow]
    hit = sum(1 for a, b in late if any(s < b and e > a for s, e in big))
    gen2 = [took for gen, _, took in pauses if gen == 2]
    return {
        "collections": {g: sum(1 for p in pauses if p[0] == g) for g in (0, 1, 2)},
        "gen2_max_ms": round(max(gen2) * 1000, 1) if gen2 else None,
        "gen2_total_ms": round(sum(gen2) * 1000, 1),
        "pops_slower_than_ms": round(slow * 1000),
        "slow_pops": len(late),
        "slow_pops_during_gen2": hit,
    }


def routing_latency(stamps: dict[str, Any], clients: dict[str, AgentClient]) -> dict[str, Any]:
    """From the moment routing could act (call queued and its agent ready, both in the
    engine's clock as the desk reported them) to the Redirect executed by the PBX."""
    by_ext = {c.extension: c for c in clients.values()}
    lat: list[float] = []
    for call_id, redirected in stamps["redirect"].items():
        rings = stamps["ring"].get(call_id)
        if not rings:
            continue
        client = by_ext.get(rings[0][0])
        got = client.first_pop.get(call_id) if client is not None else None
        if client is None or got is None or got[1] is None:
            continue
        queued_at = got[1]
        i = bisect.bisect_right(client.ready_since, redirected) - 1
        ready = client.ready_since[i] if i >= 0 else queued_at
        lat.append(redirected - max(queued_at, ready))
    return ms(lat)


def crm_rows(db: Path) -> dict[str, int]:
    """call id -> interaction rows (2 = a duplicate)."""
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        rows = conn.execute("select call_id, count(*) from interactions group by call_id")
        return {cid: n for cid, n in rows}


def ledger(stamps: dict[str, Any], rows: dict[str, int]) -> dict[str, int]:
    placed = stamps["placed"]
    return {
        "placed": len(placed),
        "ended_in_pbx": len(stamps["ended"]),
        "answered_in_pbx": len(stamps["answered"]),
        "interactions": sum(1 for c in placed if c in rows),
        "lost": sum(1 for c in placed if c not in rows),
        "duplicated": sum(rows[c] - 1 for c in placed if rows.get(c, 0) > 1),
    }
