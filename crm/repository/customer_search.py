"""Customer search for the back office: by name prefix, any written form of a phone
number, or account number; paged on the server.

Every branch is an index range or equality on 1,000,000 rows: names through
``ix_customers_name_id`` ((name, id), a prefix is the range ``[q, q + U+10FFFF)``, which
both SQLite and PostgreSQL serve from a B-tree), numbers through the caller-ID key index,
accounts through the unique index. No COUNT(*) over the table: a page asks for one row
more than it shows to know whether there is a next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from crm.phone import NumberPlan, normalize_or_none
from crm.schema import customer_tags, customers, phone_numbers

PAGE_SIZE = 25
MAX_PAGE = 400  # offset paging stays an index walk of at most 10,000 entries
_TOP = "\U0010ffff"
EXACT_LIMIT = 200  # one number shared by more customers than this is not a search


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    account_number: str | None
    grade: str | None
    area: str | None
    archive_locked: bool
    phone: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    page: int
    has_next: bool


def _exact_ids(conn: Connection, text: str, plan: NumberPlan | None) -> list[int]:
    c = customers.c
    ids = list(conn.execute(select(c.id).where(c.account_number == text)).scalars())
    number = normalize_or_none(text, plan)
    if number is not None:
        ids += conn.execute(
            select(phone_numbers.c.customer_id)
            .where(phone_numbers.c.number_key == number.key)
            .order_by(phone_numbers.c.customer_id)
            .limit(EXACT_LIMIT)
        ).scalars()
    return list(dict.fromkeys(ids))


def search_page(
    conn: Connection,
    query: str,
    *,
    page: int = 1,
    size: int = PAGE_SIZE,
    plan: NumberPlan | None = None,
) -> CustomerPage:
    """One page of customers matching ``query`` (empty: newest first)."""
    page = max(1, min(page, MAX_PAGE))
    text = query.strip()[:200]
    c = customers.c
    cols = (c.id, c.name, c.account_number, c.grade, c.area, c.archive_locked)
    offset = (page - 1) * size
    if not text:
        rows = conn.execute(
            select(*cols).order_by(c.id.desc()).offset(offset).limit(size + 1)
        ).all()
    else:
        # Exact hits (account, phone) first, then names by prefix; the exact hits are few,
        # so the name walk stays an index range whatever the offset.
        exact = _exact_ids(conn, text, plan)
        rows = []
        if offset < len(exact):
            wanted = exact[offset : offset + size + 1]
            by_id = {r[0]: r for r in conn.execute(select(*cols).where(c.id.in_(wanted)))}
            rows = [by_id[i] for i in wanted if i in by_id]
        more = size + 1 - len(rows)
        named = (
            select(*cols)
            .where(c.name >= text, c.name < text + _TOP)
            .order_by(c.name, c.id)
            .offset(max(0, offset - len(exact)))
            .limit(more)
        )
        if exact:
            named = named.where(c.id.notin_(exact))
        rows += conn.execute(named).all()
    shown = rows[:size]
    ids_shown = [r[0] for r in shown]
    phones: dict[int, str] = {}
    tags: dict[int, list[str]] = {}
    if ids_shown:
        for cid, raw in conn.execute(
            select(phone_numbers.c.customer_id, phone_numbers.c.raw)
            .where(phone_numbers.c.customer_id.in_(ids_shown))
            .order_by(phone_numbers.c.id)
        ):
            phones.setdefault(cid, raw)
        for cid, tag in conn.execute(
            select(customer_tags.c.customer_id, customer_tags.c.tag)
            .where(customer_tags.c.customer_id.in_(ids_shown))
            .order_by(customer_tags.c.tag)
        ):
            tags.setdefault(cid, []).append(tag)
    return CustomerPage(
        rows=[
            CustomerRow(*r, phone=phones.get(r[0]), tags=tuple(tags.get(r[0], ()))) for r in shown
        ],
        page=page,
        has_next=len(rows) > size,
    )
