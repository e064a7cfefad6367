"""Update-existing mode of the customer import: a row whose account number belongs to a
customer updates that customer's changed fields instead of being refused.

Only the columns the file has are compared (a file without an e-mail column leaves e-mails
alone); the customer is saved, and audited with the old and new values, only if something
changed. A locked archive stays as it is: a row that would change it is refused.
"""

from __future__ import annotations

from typing import Any

from crm.customer_rows import Header
from crm.model.customer import Customer
from crm.model.customer_import import ImportReport, Rejection
from crm.uow import UnitOfWork

SIMPLE = ("name", "kind", "segment", "grade", "area", "address", "email")


def changes_of(header: Header, old: Customer, new: Customer) -> dict[str, tuple[Any, Any]]:
    """field -> (old, new) for the columns present in the file whose value differs."""
    keys = set(header.keys)
    out: dict[str, tuple[Any, Any]] = {}
    for name in SIMPLE:
        if name in keys and getattr(old, name) != getattr(new, name):
            out[name] = (_plain(getattr(old, name)), _plain(getattr(new, name)))
    if "tags" in keys and old.tags != new.tags:
        out["tags"] = (sorted(old.tags), sorted(new.tags))
    if "phones" in keys and [p.key for p in old.phones] != [p.key for p in new.phones]:
        out["phones"] = ([p.raw for p in old.phones], [p.raw for p in new.phones])
    if any(k.startswith("contact") for k in keys) and _contacts(old) != _contacts(new):
        out["contacts"] = (_contacts(old), _contacts(new))
    if any(k.startswith("archive") for k in keys) and new.archive and old.archive != new.archive:
        out["archive"] = (old.archive, new.archive)
    return out


def update_from_row(
    uow: UnitOfWork,
    row: int,
    header: Header,
    parsed: Customer,
    account: str,
    *,
    actor: str,
    dry_run: bool,
    report: ImportReport,
) -> list[Rejection]:
    customer_id = uow.customers.id_by_account(account)
    old = uow.customers.get(customer_id) if customer_id is not None else None
    if old is None:  # deleted since the account list was read
        return [Rejection(row, "account_number", f"account number {account} vanished")]
    changed = changes_of(header, old, parsed)
    if "archive" in changed and old.archive_locked:
        return [Rejection(row, "archive", "the customer's archive is locked and read-only")]
    if not changed:
        report.unchanged += 1
        return []
    report.updated += 1
    if dry_run:
        return []
    for name in changed:
        if name in SIMPLE or name in ("tags", "phones", "contacts"):
            setattr(old, name, getattr(parsed, name))
    if "archive" in changed:
        old.amend_archive(parsed.archive)
    uow.customers.save(old, uow.clock())
    uow.audit(
        actor,
        "customer.import_update",
        "customer",
        customer_id,
        {"row": row, "changes": {k: {"old": o, "new": n} for k, (o, n) in changed.items()}},
    )
    return []


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _contacts(c: Customer) -> list[tuple[str, str | None, str | None, list[str]]]:
    return [(x.name, x.title, x.email, [p.key for p in x.phones]) for x in c.contacts]
