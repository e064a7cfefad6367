"""The wallboard's figures, kept incrementally from the event stream (no database reads).

``apply(event)`` updates running totals per service in O(1); ``snapshot(now, agents)``
turns them into the figures one wallboard message carries, computed once per push and
sent to every viewer. Pure: no I/O, no clock (times come from the events and ``now``).
A new local day starts the totals afresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent_desktop import alarms, kpi
from cti import events as ev

ERLANG_WINDOW = 1800.0  # arrival rate for Erlang C: offers of the last 30 minutes
DEFAULT_AHT = 180.0  # until a call has been handled today


@dataclass(slots=True)
class Totals:
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0  # long abandons (at or over the short-abandon threshold)
    abandoned_after_target: int = 0  # hung up after waiting longer than the SL target
    short_abandoned: int = 0
    wait_answered: float = 0.0
    handled: int = 0
    handle_seconds: float = 0.0


@dataclass(slots=True)
class ServiceInfo:
    name: str
    label_zh: str = ""
    label_en: str = ""
    target_percent: float = 80.0
    target_seconds: float = 20.0
    thresholds: tuple[alarms.Threshold, ...] | None = None  # None: the board's own


@dataclass(slots=True)
class _Call:
    service: str
    queued_at: float
    answered: bool = False
    talk_hold: float = 0.0
    ended_at: float | None = None
    wrapped_at: float | None = None


@dataclass(slots=True)
class WallboardState:
    services: dict[str, ServiceInfo]
    short_abandon: float = 5.0
    utc_offset: float = 0.0
    thresholds: tuple[alarms.Threshold, ...] = alarms.DEFAULT_THRESHOLDS
    history: alarms.History = field(default_factory=alarms.History)
    day: int | None = None
    totals: dict[str, Totals] = field(default_factory=dict)
    waiting: dict[str, _Call] = field(default_factory=dict)
    calls: dict[str, _Call] = field(default_factory=dict)  # queued today, until wrapped up
    chart: list[list[int]] = field(default_factory=list)  # bucket -> [offered, ans, aband]
    recent_offers: list[tuple[float, str]] = field(default_factory=list)
    # (call id, wrap-up seconds) of calls handled since the last drain: the CRM row gets
    # the same wrap-up length, so the wallboard's AHT can be checked against the CRM.
    wrapups: list[tuple[str, float]] = field(default_factory=list)

    def _roll(self, at: float) -> None:
        day, _ = kpi.day_and_bucket(at, self.utc_offset)
        if day != self.day:
            self.day = day
            self.totals = {}
            self.chart = [[0, 0, 0] for _ in range(kpi.BUCKETS_PER_DAY)]
            self.recent_offers = []
            # calls still waiting or on a call carry over; their totals start today

    def _t(self, service: str) -> Totals:
        t = self.totals.get(service)
        if t is None:
            t = self.totals[service] = Totals()
        return t

    def _bucket(self, at: float) -> list[int]:
        return self.chart[kpi.day_and_bucket(at, self.utc_offset)[1]]

    # -- input ---------------------------------------------------------------------------
    def apply(self, event: Any) -> bool:
        """Update the totals; True if the figures changed."""
        at = getattr(event, "at", None)
        if at is None:
            return False
        self._roll(at)
        if isinstance(event, ev.CallQueued):
            return self._queued(event)
        if isinstance(event, ev.CallAnswered):
            return self._answered(event)
        if isinstance(event, ev.CallEnded):
            return self._ended(event)
        if isinstance(event, ev.WrapUpCompleted):
            return self._wrapped(event)
        return False

    def _queued(self, e: ev.CallQueued) -> bool:
        known = self.calls.get(e.call_id)
        if known is not None:
            if not known.answered:  # a re-queue keeps the first wait; moves the service
                known.service = e.service
                self.waiting[e.call_id] = known
            else:  # transferred after an answer: waits again, counted once as offered
                self.waiting[e.call_id] = _Call(e.service, e.at)
            return True
        call = _Call(e.service, e.at)
        self.calls[e.call_id] = call
        self.waiting[e.call_id] = call
        self._t(e.service).offered += 1
        self._bucket(e.at)[0] += 1
        self.recent_offers.append((e.at, e.service))
        return True

    def _answered(self, e: ev.CallAnswered) -> bool:
        call = self.calls.get(e.call_id)
        self.waiting.pop(e.call_id, None)
        if call is None or call.answered:
            return call is not None
        call.answered = True
        svc = self.services.get(call.service)
        target = svc.target_seconds if svc else 20.0
        # Rounded as the CRM's interaction row stores it, so both agree to the digit.
        waited = round(e.waited, 3)
        t = self._t(call.service)
        t.answered += 1
        t.wait_answered += waited
        if waited <= target:
            t.answered_in_target += 1
        self._bucket(e.at)[1] += 1
        return True

    def _ended(self, e: ev.CallEnded) -> bool:
        self.waiting.pop(e.call_id, None)
        call = self.calls.get(e.call_id)
        if call is None:
            return False
        if call.answered:
            s = e.summary
            call.talk_hold = float(s.get("talk_seconds") or 0) + float(s.get("hold_seconds") or 0)
            call.ended_at = e.at
            if call.wrapped_at is not None:
                self._handled(e.call_id, call)
            return True
        del self.calls[e.call_id]
        if e.reason != "abandoned":
            return True
        waited = float(e.summary.get("wait_seconds") or 0.0)
        t = self._t(call.service)
        svc = self.services.get(call.service)
        if waited > (svc.target_seconds if svc else 20.0):
            t.abandoned_after_target += 1
        if kpi.is_short_abandon(waited, self.short_abandon):
            t.short_abandoned += 1
        else:
            t.abandoned += 1
            self._bucket(e.at)[2] += 1
        return True

    def _wrapped(self, e: ev.WrapUpCompleted) -> bool:
        call = self.calls.get(e.call_id)
        if call is None or not call.answered:
            return False
        call.wrapped_at = e.at
        if call.ended_at is None:
            # With no wrap-up time the router ends the wrap-up while the bus is still
            # delivering CallEnded, so this can arrive first: finish on CallEnded.
            return False
        self._handled(e.call_id, call)
        return True

    def _handled(self, call_id: str, call: _Call) -> None:
        assert call.ended_at is not None and call.wrapped_at is not None
        del self.calls[call_id]
        wrap = wrap_seconds(call.ended_at, call.wrapped_at)
        t = self._t(call.service)
        t.handled += 1
        t.handle_seconds += call.talk_hold + wrap
        self.wrapups.append((call_id, wrap))

    def drain_wrapups(self) -> list[tuple[str, float]]:
        out, self.wrapups = self.wrapups, []
        return out

    # -- output --------------------------------------------------------------------------
    def _figures(
        self,
        t: Totals,
        waits: list[float],
        now: float,
        info: ServiceInfo | None,
        offers: int,
        beyond: int,
    ) -> dict[str, Any]:
        aht = kpi.aht(t.handle_seconds, t.handled)
        window = min(ERLANG_WINDOW, max(60.0, now - kpi.day_start(now, self.utc_offset)))
        target_pct = info.target_percent if info else 80.0
        target_s = info.target_seconds if info else 20.0
        sl = kpi.service_level(t.answered_in_target, t.answered, t.abandoned_after_target, beyond)
        out: dict[str, Any] = {
            "waiting": len(waits),
            "longest_wait": round(max(waits), 1) if waits else 0.0,
            "offered": t.offered,
            "answered": t.answered,
            "answered_in_target": t.answered_in_target,
            "abandoned": t.abandoned,
            "short_abandoned": t.short_abandoned,
            "abandoned_after_target": t.abandoned_after_target,
            "waiting_beyond_target": beyond,
            "service_level": _r(sl),
            "asa": _r(kpi.asa(t.wait_answered, t.answered)),
            "aht": _r(aht),
            "abandon_rate": _r(kpi.abandon_rate(t.abandoned, t.answered)),
            "needed": kpi.agents_needed(offers / window, aht or DEFAULT_AHT, target_pct, target_s),
            "target": {"percent": target_pct, "seconds": target_s},
        }
        thresholds = (info.thresholds if info else None) or self.thresholds
        out["alarms"] = alarms.evaluate(out, thresholds, target_pct)
        out["alarm_list"] = alarms.describe(
            info.name if info else "overall", out, thresholds, target_pct
        )
        return out

    def snapshot(self, now: float, agents: list[dict[str, Any]]) -> dict[str, Any]:
        self._roll(now)
        horizon = now - ERLANG_WINDOW
        while self.recent_offers and self.recent_offers[0][0] < horizon:
            self.recent_offers.pop(0)
        recent: dict[str, int] = {}
        for _, svc in self.recent_offers:
            recent[svc] = recent.get(svc, 0) + 1
        waits: dict[str, list[float]] = {}
        for call in self.waiting.values():
            waits.setdefault(call.service, []).append(max(0.0, now - call.queued_at))
        names = list(self.services) + sorted(
            n for n in set(self.totals) | set(waits) if n not in self.services
        )
        services = []
        overall = Totals()
        beyond_all = 0
        for name in names:
            t = self.totals.get(name, Totals())
            info = self.services.get(name)
            mine = waits.get(name, [])
            beyond = kpi.waiting_beyond(mine, info.target_seconds if info else 20.0)
            beyond_all += beyond  # each caller against their own service's target
            row = self._figures(t, mine, now, info, recent.get(name, 0), beyond)
            row.update(
                name=name,
                label_zh=(info.label_zh if info else "") or name,
                label_en=(info.label_en if info else "") or name,
            )
            services.append(row)
            for f in Totals.__slots__:  # type: ignore[attr-defined]
                setattr(overall, f, getattr(overall, f) + getattr(t, f))
        all_waits = [w for ws in waits.values() for w in ws]
        total = self._figures(overall, all_waits, now, None, len(self.recent_offers), beyond_all)
        # The overall Erlang figure is the sum over services: each has its own target.
        total["needed"] = sum(s["needed"] for s in services)
        total["alarms"] = alarms.evaluate(total, self.thresholds, 80.0)
        total["alarm_list"] = alarms.describe("overall", total, self.thresholds, 80.0)
        raised = [a for s in [*services, total] for a in s["alarm_list"]]
        self.history.observe(raised, now)
        counts: dict[str, int] = {}
        for a in agents:
            counts[a["state"]] = counts.get(a["state"], 0) + 1
        levels = [lv for s in [*services, total] for lv in s["alarms"].values()]
        return {
            "type": "wallboard",
            "now": now,
            "services": services,
            "overall": total,
            "agents": agents,
            "agent_counts": counts,
            "chart": self.chart,
            "level": alarms.worst(levels),
            "alarms": raised,
            "alarm_history": self.history.recent(),
            "short_abandon": self.short_abandon,
            "formula": kpi.SERVICE_LEVEL_FORMULA,
        }


def wrap_seconds(ended_at: float, wrapped_at: float) -> float:
    """Wrap-up length as both the wallboard and the CRM row keep it (ms precision)."""
    return round(max(0.0, wrapped_at - ended_at), 3)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
