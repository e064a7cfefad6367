"""The customer 360 view: the record and everything that happened with the customer.

Opening it is a sensitive read, audited once (``customer.open``) through ``get_customer``.
Loyalty is what the record shows without a model of its own: how long the customer has
been with us and how often they call or need a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.model.customer import Customer
from crm.model.followup import FollowUp
from crm.model.interaction import InteractionRecord
from crm.model.ticket import Ticket
from crm.services.customers import get_customer
from crm.uow import UnitOfWork

TICKETS = 500
CALLS = 200


@dataclass(frozen=True)
class Loyalty:
    since: datetime | None
    years: int
    calls: int
    tickets: int


@dataclass(frozen=True)
class Customer360:
    customer: Customer
    tickets: list[Ticket]
    calls: list[InteractionRecord]
    followups: list[FollowUp]
    satisfaction: float | None  # mean of scored follow-ups, 1-5
    loyalty: Loyalty


def customer_360(uow: UnitOfWork, customer_id: int, actor: str) -> Customer360:
    customer = get_customer(uow, customer_id, actor)
    tickets = sorted(
        uow.tickets.find(customer_id=customer_id, limit=TICKETS),
        key=lambda t: t.id or 0,
        reverse=True,
    )
    calls = uow.interactions.for_customer(customer_id, limit=CALLS)
    followups = uow.followups.for_tickets([t.id for t in tickets if t.id is not None])
    scores = [f.satisfaction for f in followups if f.satisfaction is not None]
    since = customer.created_at
    years = 0 if since is None else max(0, (uow.clock() - since).days // 365)
    return Customer360(
        customer=customer,
        tickets=tickets,
        calls=calls,
        followups=followups,
        satisfaction=round(sum(scores) / len(scores), 1) if scores else None,
        loyalty=Loyalty(since=since, years=years, calls=len(calls), tickets=len(tickets)),
    )
