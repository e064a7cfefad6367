"""How each report is drawn: its label, the chart type, the x column and the series.
Pure data (no I/O); crm/web/reports.py turns rows into the ECharts option's inputs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from cti.webkit.i18n import N_


@dataclass(frozen=True)
class ChartSpec:
    label: str  # English msgid
    kind: str  # "bar" | "line" | "pie"
    x: str  # the column on the x axis (or the pie's names)
    series: tuple[str, ...]


def _calls_by(field: str, label: str) -> ChartSpec:
    return ChartSpec(label, "bar", field, ("calls", "answered"))


CHARTS: dict[str, ChartSpec] = {
    "calls-by-hour": ChartSpec(N_("Calls by hour"), "bar", "hour", ("calls",)),
    "calls-by-day": ChartSpec(N_("Calls by day"), "line", "day", ("calls", "answered")),
    "calls-by-service": _calls_by("service", N_("Calls by service")),
    "calls-by-end-reason": _calls_by("end_reason", N_("Calls by end reason")),
    "calls-by-queue": _calls_by("queue", N_("Calls by queue")),
    "calls-by-direction": _calls_by("direction", N_("Calls by direction")),
    "calls-by-disposition": _calls_by("disposition", N_("Calls by disposition")),
    "service-level": ChartSpec(
        N_("Service level by service"), "bar", "service", ("service_level", "abandon_rate")
    ),
    "handle-times": ChartSpec(
        N_("AHT and ASA trend"), "line", "day", ("aht_seconds", "asa_seconds")
    ),
    "abandons": ChartSpec(N_("Abandoned calls"), "line", "day", ("offered", "abandoned")),
    "agent-performance": ChartSpec(
        N_("Agent performance"), "bar", "agent", ("answered", "aht_seconds")
    ),
    "tickets-by-category": ChartSpec(N_("Tickets by category"), "pie", "category", ("tickets",)),
    "tickets-by-state": ChartSpec(N_("Tickets by state"), "pie", "state", ("tickets",)),
    "tickets-by-department-id": ChartSpec(
        N_("Tickets by department"), "bar", "department_id", ("tickets",)
    ),
    "tickets-by-priority": ChartSpec(N_("Tickets by priority"), "bar", "priority", ("tickets",)),
    "tickets-rollup": ChartSpec(
        N_("Tickets by department (with sub-units)"),
        "bar",
        "name",
        ("open", "resolved", "breached"),
    ),
    "sla-breaches": ChartSpec(N_("SLA breaches"), "bar", "category", ("tickets",)),
    "repair-stats": ChartSpec(N_("Repair statistics"), "bar", "name", ("tickets", "resolved")),
    "satisfaction": ChartSpec(N_("Satisfaction"), "bar", "satisfaction", ("followups",)),
    "repeat-callers": ChartSpec(N_("Repeat callers"), "bar", "customer_id", ("calls",)),
    "churn-warnings": ChartSpec(N_("Churn warnings"), "bar", "name", ("contacts", "complaints")),
    "incident-stats": ChartSpec(
        N_("Fault rates by area and type"), "bar", "area_type", ("incidents", "tickets")
    ),
}

COLUMNS: dict[str, str] = {
    "hour": N_("Hour"),
    "day": N_("Day"),
    "calls": N_("Calls"),
    "answered": N_("Answered"),
    "mean_wait_seconds": N_("Mean wait (s)"),
    "mean_talk_seconds": N_("Mean talk (s)"),
    "service": N_("Service"),
    "end_reason": N_("End reason"),
    "queue": N_("Queue"),
    "direction": N_("Direction"),
    "disposition": N_("Disposition"),
    "target_seconds": N_("Target (s)"),
    "offered": N_("Offered"),
    "answered_in_target": N_("Answered in target"),
    "abandoned": N_("Abandoned"),
    "service_level": N_("Service level"),
    "abandon_rate": N_("Abandon rate"),
    "asa_seconds": N_("ASA (s)"),
    "aht_seconds": N_("AHT (s)"),
    "mean_wait_before_abandon_seconds": N_("Mean wait before abandoning (s)"),
    "agent": N_("Agent"),
    "talk_seconds": N_("Talk (s)"),
    "mean_hold_seconds": N_("Mean hold (s)"),
    "mean_wrapup_seconds": N_("Mean wrap-up (s)"),
    "category": N_("Category"),
    "state": N_("State"),
    "department_id": N_("Department"),
    "priority": N_("Priority"),
    "tickets": N_("Tickets"),
    "own_tickets": N_("Own tickets"),
    "open": N_("Open"),
    "resolved": N_("Resolved"),
    "breached": N_("Breached"),
    "code": N_("Code"),
    "name": N_("Unit or customer name"),
    "depth": N_("Level"),
    "id": N_("Ticket"),
    "due_at": N_("Due"),
    "resolved_at": N_("Resolved at"),
    "mean_hours_to_resolve": N_("Mean hours to resolve"),
    "first_time_fix_rate": N_("First-time fix rate"),
    "satisfaction": N_("Satisfaction"),
    "followups": N_("Follow-ups"),
    "customer_id": N_("Customer"),
    "account_number": N_("Account"),
    "reasons": N_("Reasons"),
    "contacts": N_("Times in contact"),
    "median_interval_days": N_("Median interval (days)"),
    "days_since_last_contact": N_("Days since last contact"),
    "complaints": N_("Complaints"),
    "area": N_("Area"),
    "type": N_("Type"),
    "incidents": N_("Incidents"),
    "mean_hours_to_close": N_("Mean hours to close"),
}


def chart_rows(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the chart draws: most reports draw their table; SLA breaches (one row per
    ticket) draw a count per category, incidents an area/type label."""
    if name == "sla-breaches":
        counts = Counter(str(r.get("category")) for r in rows)
        return [{"category": c, "tickets": n} for c, n in sorted(counts.items())]
    if name == "incident-stats":
        return [{**r, "area_type": f"{r['area']} · {r['type']}"} for r in rows]
    if name == "churn-warnings":
        return [{**r, "name": r.get("name") or str(r["customer_id"])} for r in rows]
    return rows
