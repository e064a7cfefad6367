"""Site settings an administrator edits: ticket categories and priorities with their SLA
times, dispositions and not-ready reasons, alarm thresholds. Pure: defaults and rules.

The built-in tables are what a fresh site starts with: nothing is stored until an
administrator changes something, and whatever a site never stored falls back to them, so
code that predates the settings pages (the desk, the ticket state machine) keeps working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from crm.model.ticket import DUE_AFTER, TicketCategory, TicketPriority

CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ReasonKind(StrEnum):
    DISPOSITION = "disposition"
    NOT_READY = "not_ready"


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    sla_minutes: int
    active: bool = True


@dataclass(frozen=True)
class Priority:
    level: int
    name_zh: str
    name_en: str
    sla_minutes: int | None = None  # a cap on the category's time, None = no cap


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    code: str
    name_zh: str
    name_en: str
    active: bool = True
    position: int = 0


@dataclass(frozen=True)
class AlarmLimit:
    service: str  # "" = the site default
    metric: str
    warn: float
    critical: float


class SettingError(ValueError):
    """An administrator's value that cannot be stored; the message says which and why."""


_CATEGORY_NAMES = {
    TicketCategory.CONSULTATION: ("咨询", "Consultation"),
    TicketCategory.REPAIR: ("报修", "Repair"),
    TicketCategory.INSTALLATION: ("新装", "Installation"),
    TicketCategory.COMPLAINT: ("投诉", "Complaint"),
    TicketCategory.SUGGESTION: ("建议", "Suggestion"),
    TicketCategory.PRAISE: ("表扬", "Praise"),
}
DEFAULT_CATEGORIES: tuple[Category, ...] = tuple(
    Category(c.value, *_CATEGORY_NAMES[c], int(DUE_AFTER[c].total_seconds() // 60))
    for c in TicketCategory
)
DEFAULT_PRIORITIES: tuple[Priority, ...] = (
    Priority(TicketPriority.URGENT, "紧急", "Urgent", None),
    Priority(TicketPriority.HIGH, "高", "High", None),
    Priority(TicketPriority.NORMAL, "普通", "Normal", None),
    Priority(TicketPriority.LOW, "低", "Low", None),
)
DEFAULT_DISPOSITIONS = (
    ("resolved", "已解决", "Resolved"),
    ("ticket_opened", "已建工单", "Ticket opened"),
    ("callback", "需回访", "Call back"),
    ("information", "咨询答复", "Information given"),
    ("complaint", "投诉受理", "Complaint taken"),
    ("transferred", "已转接", "Transferred"),
    ("wrong_number", "打错电话", "Wrong number"),
)
DEFAULT_NOT_READY = (
    ("break", "休息", "Break"),
    ("lunch", "用餐", "Lunch"),
    ("meeting", "会议", "Meeting"),
    ("training", "培训", "Training"),
    ("admin", "事务处理", "Admin work"),
    ("supervisor", "主管设置", "Set by supervisor"),
)
DEFAULT_REASONS: tuple[Reason, ...] = tuple(
    Reason(kind, code, zh, en, True, i)
    for kind, table in (
        (ReasonKind.DISPOSITION, DEFAULT_DISPOSITIONS),
        (ReasonKind.NOT_READY, DEFAULT_NOT_READY),
    )
    for i, (code, zh, en) in enumerate(table)
)
ALARM_METRICS = ("waiting", "longest_wait", "abandon_rate", "service_level")


def due_time(
    opened_at: datetime, category: Category | None, priority: Priority | None, fallback: str
) -> datetime:
    """When a ticket opened at ``opened_at`` is due: the category's time, capped by the
    priority's; a category the site never stored uses the built-in time."""
    minutes = (
        category.sla_minutes
        if category
        else DUE_AFTER[TicketCategory(fallback)] // timedelta(minutes=1)
    )
    if priority is not None and priority.sla_minutes is not None:
        minutes = min(minutes, priority.sla_minutes)
    return opened_at + timedelta(minutes=minutes)


def check_code(code: str) -> str:
    if not CODE.match(code):
        raise SettingError("code: lower-case letters, digits and _, starting with a letter")
    return code


def check_name(label: str, value: str) -> str:
    value = value.strip()
    if not value or len(value) > 100:
        raise SettingError(f"{label}: 1 to 100 characters")
    return value


def check_minutes(value: int | None, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if value is None or not 1 <= value <= 60 * 24 * 365:
        raise SettingError("SLA minutes: a whole number from 1 to 525600")
    return value


def check_limits(metric: str, warn: float, critical: float) -> None:
    if metric not in ALARM_METRICS:
        raise SettingError(f"metric must be one of {', '.join(ALARM_METRICS)}")
    for v in (warn, critical):
        if v != v or v in (float("inf"), float("-inf")) or v < 0:
            raise SettingError("limits must be finite numbers, not below 0")
