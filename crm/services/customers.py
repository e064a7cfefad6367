"""Customer handlers: functions of (unit of work, arguments), each audited."""

from __future__ import annotations

from typing import Any

from crm.model.customer import ArchiveLocked, Customer, CustomerNotFound, Phone
from crm.phone import NumberPlan, normalize
from crm.uow import UnitOfWork

EDITABLE = frozenset(
    {"name", "kind", "account_number", "segment", "grade", "area", "address", "email", "tags"}
)


def make_phone(raw: str, label: str | None = None, plan: NumberPlan | None = None) -> Phone:
    """A phone as stored: raises crm.phone.InvalidPhoneNumber for text that is not one."""
    number = normalize(raw, plan)
    return Phone(raw=raw.strip(), key=number.key, extension=number.extension, label=label)


def add_customer(uow: UnitOfWork, customer: Customer, actor: str) -> int:
    customer_id = uow.customers.add(customer, uow.clock())
    uow.audit(actor, "customer.create", "customer", customer_id, {"name": customer.name})
    return customer_id


def get_customer(uow: UnitOfWork, customer_id: int, actor: str) -> Customer:
    """Open a customer record; opening one is a sensitive read and is audited."""
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    uow.audit(actor, "customer.open", "customer", customer_id)
    return customer


def read_archive(uow: UnitOfWork, customer_id: int, actor: str) -> Customer:
    """Open a customer's archive (contracts, original registration); audited like any
    opening of a record."""
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    uow.audit(actor, "customer.archive_open", "customer", customer_id)
    return customer


def update_customer(
    uow: UnitOfWork,
    customer_id: int,
    changes: dict[str, Any],
    actor: str,
    phones: list[Phone] | None = None,
) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    unknown = set(changes) - EDITABLE
    if "archive" in unknown:
        raise (
            ArchiveLocked(customer_id)
            if customer.archive_locked
            else ValueError("change the archive with amend_archive")
        )
    if unknown:
        raise ValueError(f"customer {customer_id}: cannot change {sorted(unknown)}")
    for name, value in changes.items():
        setattr(customer, name, set(value) if name == "tags" else value)
    if phones is not None:
        customer.phones = phones
    uow.customers.save(customer, uow.clock())
    uow.audit(actor, "customer.update", "customer", customer_id, {"fields": sorted(changes)})
    return customer


def amend_archive(
    uow: UnitOfWork, customer_id: int, changes: dict[str, Any], actor: str, lock: bool = False
) -> Customer:
    customer = uow.customers.get(customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    customer.amend_archive(changes)
    if lock:
        customer.lock_archive()
    uow.customers.save(customer, uow.clock())
    uow.audit(
        actor,
        "customer.archive",
        "customer",
        customer_id,
        {"fields": sorted(changes), "locked": customer.archive_locked},
    )
    return customer
