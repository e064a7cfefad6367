"""The back office's customer search on SQLite and PostgreSQL: name prefix, any number
form, account number; exact hits first; paging without a count."""

from __future__ import annotations

from sqlalchemy import Engine

from crm.model.customer import Customer
from crm.repository.customer_search import search_page
from crm.services.customers import add_customer, make_phone
from crm.uow import UnitOfWork


def test_name_number_account_and_paging(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        for i in range(30):
            add_customer(uow, Customer(name=f"王{i:02d}", account_number=f"W{i:02d}"), "t")
        add_customer(
            uow,
            Customer(name="李四", account_number="王05", phones=[make_phone("13800138000")]),
            "t",
        )
        add_customer(uow, Customer(name="王%_", account_number="X1"), "t")
        uow.commit()
    with engine.connect() as conn:
        # the account "王05" is an exact hit: first, then the names that start so
        assert [r.name for r in search_page(conn, "王05").rows] == ["李四", "王05"]
        first = search_page(conn, "王", size=10)
        assert [r.name for r in first.rows[:2]] == ["王%_", "王00"]
        assert first.has_next and len(first.rows) == 10
        pages = [search_page(conn, "王", page=p, size=10).rows for p in (1, 2, 3, 4)]
        names = [r.name for rows in pages for r in rows]
        assert len(names) == 31 and len(set(names)) == 31  # nothing twice, nothing missed
        assert not search_page(conn, "王", page=4, size=10).has_next
        for form in ("13800138000", "+86 138 0013 8000", "0086-138-0013-8000"):
            assert [r.name for r in search_page(conn, form).rows] == ["李四"], form
        assert [r.phone for r in search_page(conn, "13800138000").rows] == ["13800138000"]
        assert [r.name for r in search_page(conn, "W07").rows] == ["王07"]
        assert [r.name for r in search_page(conn, "王%").rows] == ["王%_"]  # no LIKE wildcards
        assert search_page(conn, "赵").rows == []
        assert search_page(conn, "", size=5).rows[0].name == "王%_"  # newest first
