"""Churn warnings: regular customers who went quiet, and customers who keep complaining."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from crm.model.cadence import CadenceRule, cadence
from crm.model.ticket import TicketCategory
from crm.reports.export import Row
from crm.schema import customers, interactions, tickets


def churn_warnings(
    conn: Connection,
    now: datetime,
    *,
    rule: CadenceRule | None = None,
    window_days: int = 90,
    complaints: int = 2,
    complaint_days: int = 30,
) -> list[Row]:
    """Customers to call before they leave, by id. ``reasons`` says why: ``cadence`` (a
    regular caller over the last ``window_days`` whose rhythm broke, see crm.model.cadence)
    and/or ``complaints`` (at least ``complaints`` complaint tickets in ``complaint_days``)."""
    rule = rule or CadenceRule()
    calls: dict[int, list[datetime]] = {}
    for customer_id, started in conn.execute(
        select(interactions.c.customer_id, interactions.c.started_at).where(
            interactions.c.customer_id.is_not(None),
            interactions.c.started_at >= now - timedelta(days=window_days),
            interactions.c.started_at <= now,
        )
    ):
        calls.setdefault(customer_id, []).append(started)
    complained: dict[int, int] = dict(
        conn.execute(
            select(tickets.c.customer_id, func.count())
            .where(
                tickets.c.customer_id.is_not(None),
                tickets.c.category == TicketCategory.COMPLAINT.value,
                tickets.c.created_at >= now - timedelta(days=complaint_days),
                tickets.c.created_at <= now,
            )
            .group_by(tickets.c.customer_id)
        ).all()
    )
    flagged: dict[int, Row] = {}
    for customer_id in sorted(set(calls) | set(complained)):
        rhythm = cadence(calls.get(customer_id, []), now, rule)
        reasons = [
            name
            for name, hit in (
                ("cadence", rhythm.broken),
                ("complaints", complained.get(customer_id, 0) >= complaints),
            )
            if hit
        ]
        if reasons:
            flagged[customer_id] = {
                "customer_id": customer_id,
                "reasons": ",".join(reasons),
                "contacts": rhythm.contacts,
                "median_interval_days": rhythm.median_interval_days,
                "days_since_last_contact": rhythm.days_since_last,
                "complaints": complained.get(customer_id, 0),
            }
    if flagged:
        names = conn.execute(
            select(customers.c.id, customers.c.name, customers.c.account_number).where(
                customers.c.id.in_(list(flagged))
            )
        )
        for customer_id, name, account in names:
            flagged[customer_id] = {
                "customer_id": customer_id,
                "name": name,
                "account_number": account,
                **flagged[customer_id],
            }
    return [flagged[c] for c in sorted(flagged)]
