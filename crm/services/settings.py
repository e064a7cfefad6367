"""Changing site settings: each change is checked, stored and audited with old and new values."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from crm.model.settings import (
    DEFAULT_CATEGORIES,
    DEFAULT_PRIORITIES,
    AlarmLimit,
    Category,
    Priority,
    Reason,
    ReasonKind,
    SettingError,
    check_code,
    check_limits,
    check_minutes,
    check_name,
)
from crm.uow import UnitOfWork


def _plain(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {k: (v.value if isinstance(v, ReasonKind) else v) for k, v in asdict(obj).items()}


def categories(uow: UnitOfWork) -> list[Category]:
    """Every category: the stored ones, and the built-in ones a site never changed."""
    stored = {c.code: c for c in uow.settings.categories()}
    return [stored.get(c.code, c) for c in DEFAULT_CATEGORIES]


def priorities(uow: UnitOfWork) -> list[Priority]:
    stored = {p.level: p for p in uow.settings.priorities()}
    return [stored.get(p.level, p) for p in DEFAULT_PRIORITIES]


def set_category(
    uow: UnitOfWork,
    actor: str,
    code: str,
    *,
    name_zh: str,
    name_en: str,
    sla_minutes: int,
    active: bool = True,
) -> Category:
    old = next((c for c in categories(uow) if c.code == code), None)
    if old is None:
        raise SettingError(f"category {code!r}: no such category")
    new = Category(
        code,
        check_name("Chinese name", name_zh),
        check_name("English name", name_en),
        check_minutes(sla_minutes) or 0,
        active,
    )
    uow.settings.put_category(new)
    uow.audit(
        actor, "category.update", "ticket_category", code, {"old": _plain(old), "new": _plain(new)}
    )
    return new


def set_priority(
    uow: UnitOfWork, actor: str, level: int, *, name_zh: str, name_en: str, sla_minutes: int | None
) -> Priority:
    old = next((p for p in priorities(uow) if p.level == level), None)
    if old is None:
        raise SettingError(f"priority {level}: no such priority")
    new = Priority(
        level,
        check_name("Chinese name", name_zh),
        check_name("English name", name_en),
        check_minutes(sla_minutes, optional=True),
    )
    uow.settings.put_priority(new)
    uow.audit(
        actor, "priority.update", "ticket_priority", level, {"old": _plain(old), "new": _plain(new)}
    )
    return new


def reasons(uow: UnitOfWork, kind: ReasonKind) -> list[Reason]:
    from crm.model.settings import DEFAULT_REASONS

    stored = uow.settings.reasons(kind)
    if stored:
        return stored
    return [r for r in DEFAULT_REASONS if r.kind is kind]


def set_reason(
    uow: UnitOfWork,
    actor: str,
    kind: ReasonKind,
    code: str,
    *,
    name_zh: str,
    name_en: str,
    active: bool = True,
) -> Reason:
    current = reasons(uow, kind)
    old = next((r for r in current if r.code == code), None)
    if not uow.settings.reasons(kind):
        for r in current:  # the first change stores the built-in list it starts from
            uow.settings.put_reason(r)
    position = old.position if old else max((r.position for r in current), default=-1) + 1
    new = Reason(
        kind,
        check_code(code),
        check_name("Chinese name", name_zh),
        check_name("English name", name_en),
        active,
        position,
    )
    uow.settings.put_reason(new)
    action = f"{kind.value}.{'update' if old else 'create'}"
    uow.audit(actor, action, kind.value, code, {"old": _plain(old), "new": _plain(new)})
    return new


def set_alarm_limit(
    uow: UnitOfWork, actor: str, service: str, metric: str, warn: float, critical: float
) -> AlarmLimit:
    check_limits(metric, warn, critical)
    old = next(
        (a for a in uow.settings.alarm_limits() if a.service == service and a.metric == metric),
        None,
    )
    new = AlarmLimit(service, metric, float(warn), float(critical))
    uow.settings.put_alarm_limit(new)
    uow.audit(
        actor,
        "alarm.update",
        "alarm_threshold",
        f"{service or '*'}:{metric}",
        {"old": _plain(old), "new": _plain(new)},
    )
    return new


def clear_alarm_limit(uow: UnitOfWork, actor: str, service: str, metric: str) -> None:
    old = next(
        (a for a in uow.settings.alarm_limits() if a.service == service and a.metric == metric),
        None,
    )
    if old is not None and uow.settings.drop_alarm_limit(service, metric):
        uow.audit(
            actor,
            "alarm.clear",
            "alarm_threshold",
            f"{service or '*'}:{metric}",
            {"old": _plain(old), "new": None},
        )
