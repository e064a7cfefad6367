"""Report queries (rows of plain dicts) and their CSV/XLSX export.

Each function takes a read-only connection (``uow.connection``) and returns a list of dicts
with the same keys in the same order, ready for JSON, ``to_csv_bytes`` or ``to_xlsx``.
"""

from crm.reports.calls import (
    CALL_GROUPS,
    calls_by,
    calls_by_day,
    calls_by_hour,
    repeat_callers,
    zone,
)
from crm.reports.churn import churn_warnings
from crm.reports.export import Row, to_csv, to_csv_bytes, to_xlsx
from crm.reports.performance import (
    abandons_by_day,
    agent_performance,
    handle_times_by_day,
    incident_stats,
    service_level,
)
from crm.reports.tickets import (
    TICKET_GROUPS,
    followup_satisfaction,
    repair_stats,
    sla_breaches,
    tickets_by,
    tickets_rollup,
)

__all__ = [
    "CALL_GROUPS",
    "TICKET_GROUPS",
    "Row",
    "abandons_by_day",
    "agent_performance",
    "calls_by",
    "calls_by_day",
    "calls_by_hour",
    "churn_warnings",
    "followup_satisfaction",
    "handle_times_by_day",
    "incident_stats",
    "repair_stats",
    "repeat_callers",
    "service_level",
    "sla_breaches",
    "tickets_by",
    "tickets_rollup",
    "to_csv",
    "to_csv_bytes",
    "to_xlsx",
    "zone",
]
