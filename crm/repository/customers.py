"""Customers with their contacts, phones and tags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from crm.model.customer import Contact, Customer, CustomerCard, CustomerKind, Phone
from crm.schema import contacts, customer_tags, customers, phone_numbers

_CARD = select(
    customers.c.id,
    customers.c.name,
    customers.c.kind,
    customers.c.account_number,
    customers.c.grade,
    customers.c.area,
    phone_numbers.c.contact_id,
).join(phone_numbers, phone_numbers.c.customer_id == customers.c.id)


class CustomerRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, customer: Customer, now: datetime) -> int:
        return self.add_many([customer], now)[0]

    def add_many(self, batch: list[Customer], now: datetime) -> list[int]:
        """Insert customers with their children in a few statements per batch (imports)."""
        if not batch:
            return []
        for customer in batch:
            customer.created_at = customer.created_at or now
            customer.updated_at = now
        ids = self._conn.execute(
            insert(customers).returning(customers.c.id, sort_by_parameter_order=True),
            [_row(c) for c in batch],
        ).scalars()
        for customer, customer_id in zip(batch, ids, strict=True):
            customer.id = customer_id
        self._write_children(batch)
        return [c.id for c in batch if c.id is not None]

    def save(self, customer: Customer, now: datetime) -> None:
        """Replace the customer's row and children with ``customer``'s state."""
        assert customer.id is not None
        customer.updated_at = now
        values = _row(customer)
        # Defence in depth behind Customer.amend_archive: once the stored row is locked, its
        # archive keeps its stored value whatever object a caller saves, and the lock stays.
        values["archive"] = case(
            (customers.c.archive_locked, customers.c.archive),
            else_=literal(values["archive"], customers.c.archive.type),
        )
        values["archive_locked"] = or_(
            customers.c.archive_locked, literal(customer.archive_locked, Boolean())
        )
        self._conn.execute(update(customers).where(customers.c.id == customer.id).values(values))
        for table in (phone_numbers, contacts, customer_tags):
            self._conn.execute(delete(table).where(table.c.customer_id == customer.id))
        self._write_children([customer])

    def _write_children(self, batch: list[Customer]) -> None:
        tags = [{"customer_id": c.id, "tag": t} for c in batch for t in sorted(c.tags)]
        if tags:
            self._conn.execute(insert(customer_tags), tags)
        people = [(c, contact) for c in batch for contact in c.contacts]
        if people:
            ids = self._conn.execute(
                insert(contacts).returning(contacts.c.id, sort_by_parameter_order=True),
                [
                    {"customer_id": c.id, "name": p.name, "title": p.title, "email": p.email}
                    for c, p in people
                ],
            ).scalars()
            for (_, contact), contact_id in zip(people, ids, strict=True):
                contact.id = contact_id
        phones = [_phone_row(c.id, None, p) for c in batch for p in c.phones]
        phones += [_phone_row(c.id, x.id, p) for c, x in people for p in x.phones]
        if phones:
            self._conn.execute(insert(phone_numbers), phones)

    def get(self, customer_id: int) -> Customer | None:
        found = self.get_many([customer_id])
        return found[0] if found else None

    def get_many(self, ids: list[int]) -> list[Customer]:
        """Whole customers (tags, phones, contacts) in id order: four queries per call, so an
        export of many customers does not pay one round trip per customer."""
        if not ids:
            return []
        rows = self._conn.execute(
            select(customers).where(customers.c.id.in_(ids)).order_by(customers.c.id)
        ).mappings()
        found = {r["id"]: _customer(r) for r in rows}
        for cid, tag in self._conn.execute(
            select(customer_tags.c.customer_id, customer_tags.c.tag).where(
                customer_tags.c.customer_id.in_(ids)
            )
        ):
            found[cid].tags.add(tag)
        contact_by_id: dict[int, Contact] = {}
        for c in self._conn.execute(
            select(contacts).where(contacts.c.customer_id.in_(ids)).order_by(contacts.c.id)
        ).mappings():
            contact = Contact(id=c["id"], name=c["name"], title=c["title"], email=c["email"])
            contact_by_id[c["id"]] = contact
            found[c["customer_id"]].contacts.append(contact)
        for p in self._conn.execute(
            select(phone_numbers)
            .where(phone_numbers.c.customer_id.in_(ids))
            .order_by(phone_numbers.c.id)
        ).mappings():
            phone = Phone(
                raw=p["raw"], key=p["number_key"], extension=p["extension"], label=p["label"]
            )
            owner = contact_by_id.get(p["contact_id"])
            (owner.phones if owner is not None else found[p["customer_id"]].phones).append(phone)
        return list(found.values())

    def accounts_taken(self, account_numbers: Iterable[str]) -> set[str]:
        """Which of ``account_numbers`` already belong to a customer."""
        wanted = sorted(set(account_numbers))
        taken: set[str] = set()
        for start in range(0, len(wanted), 500):  # keep IN lists to a size every driver takes
            taken.update(
                self._conn.execute(
                    select(customers.c.account_number).where(
                        customers.c.account_number.in_(wanted[start : start + 500])
                    )
                ).scalars()
            )
        return taken

    def cards_by_phone_key(self, key: str, limit: int = 10) -> list[CustomerCard]:
        rows = self._conn.execute(
            _CARD.where(phone_numbers.c.number_key == key).order_by(customers.c.id).limit(limit)
        ).all()
        return [_card(r) for r in rows]

    def card(self, customer_id: int) -> CustomerCard | None:
        row = self._conn.execute(
            select(
                customers.c.id,
                customers.c.name,
                customers.c.kind,
                customers.c.account_number,
                customers.c.grade,
                customers.c.area,
            ).where(customers.c.id == customer_id)
        ).first()
        return None if row is None else _card((*row, None))

    def id_by_account(self, account_number: str) -> int | None:
        return self._conn.execute(
            select(customers.c.id).where(customers.c.account_number == account_number)
        ).scalar_one_or_none()

    def search(self, text: str, limit: int = 50) -> list[CustomerCard]:
        pattern = f"%{text}%"
        rows = self._conn.execute(
            select(
                customers.c.id,
                customers.c.name,
                customers.c.kind,
                customers.c.account_number,
                customers.c.grade,
                customers.c.area,
            )
            .where(or_(customers.c.name.ilike(pattern), customers.c.account_number == text))
            .order_by(customers.c.id)
            .limit(limit)
        ).all()
        return [_card((*r, None)) for r in rows]

    def with_tag(self, tag: str) -> list[int]:
        return list(
            self._conn.execute(
                select(customer_tags.c.customer_id).where(customer_tags.c.tag == tag)
            ).scalars()
        )

    def count(self) -> int:
        return self._conn.execute(select(func.count()).select_from(customers)).scalar_one()

    def iter_ids(self, batch: int = 500) -> Iterator[list[int]]:
        last = 0
        while True:
            ids = list(
                self._conn.execute(
                    select(customers.c.id)
                    .where(customers.c.id > last)
                    .order_by(customers.c.id)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                return
            yield ids
            last = ids[-1]

    def bulk_insert_rows(
        self, rows: Iterable[dict[str, Any]], phones: Iterable[dict[str, Any]]
    ) -> None:
        """Fast path for imports and benchmarks: rows must carry explicit ids."""
        self._conn.execute(insert(customers), list(rows))
        self._conn.execute(insert(phone_numbers), list(phones))


def _row(c: Customer) -> dict[str, Any]:
    return {
        "kind": str(c.kind),
        "name": c.name,
        "account_number": c.account_number,
        "segment": c.segment,
        "grade": c.grade,
        "area": c.area,
        "address": c.address,
        "email": c.email,
        "archive": c.archive or None,
        "archive_locked": c.archive_locked,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _customer(row: Any) -> Customer:
    return Customer(
        id=row["id"],
        kind=CustomerKind(row["kind"]),
        name=row["name"],
        account_number=row["account_number"],
        segment=row["segment"],
        grade=row["grade"],
        area=row["area"],
        address=row["address"],
        email=row["email"],
        archive=row["archive"] or {},
        archive_locked=row["archive_locked"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _phone_row(customer_id: int | None, contact_id: int | None, p: Phone) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "contact_id": contact_id,
        "number_key": p.key,
        "extension": p.extension,
        "raw": p.raw,
        "label": p.label,
    }


def _card(r: Any) -> CustomerCard:
    return CustomerCard(
        id=r[0],
        name=r[1],
        kind=CustomerKind(r[2]),
        account_number=r[3],
        grade=r[4],
        area=r[5],
        contact_id=r[6],
    )
