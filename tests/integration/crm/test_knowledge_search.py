"""Knowledge-base search on the demo's articles, on SQLite and PostgreSQL alike: Chinese
cut into words by jieba, English by stem, ranked; an empty query browses."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crm.demo_data import load_demo
from crm.uow import UnitOfWork
from tests.integration.crm.conftest import FakeClock


@pytest.fixture
def demo(engine: Engine, clock: FakeClock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        load_demo(uow)
        uow.commit()


BILLS = {"Paying your bills", "Understanding your monthly bill"}  # as relevant as each other


@pytest.mark.parametrize(
    ("query", "first", "also"),  # first: the top hit (or the top hits, in any order)
    [
        ("电视没信号", "电视没有信号怎么办", {"机顶盒无信号的处理方法"}),
        ("账单", "账单查询与缴费", set()),
        ("bill", BILLS, set()),
        ("bills", BILLS, set()),
        ("billing", BILLS, set()),
        ("no signal", "No signal on your TV", set()),
    ],
)
def test_demo_queries_find_their_articles(
    engine: Engine, demo: None, query: str, first: str | set[str], also: set[str]
) -> None:
    with UnitOfWork(engine, write=False) as uow:
        hits = uow.knowledge.search(query)
    titles = [a.title for a, _ in hits]
    top = {first} if isinstance(first, str) else first
    assert set(titles[: len(top)]) == top, titles
    assert also <= set(titles)
    assert all(score > 0 for _, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    # Nothing unrelated: the power-cut article never answers these.
    assert "停电怎么办" not in titles


def test_empty_query_browses_by_category(engine: Engine, demo: None) -> None:
    with UnitOfWork(engine, write=False) as uow:
        everything = uow.knowledge.search("")
        cable = uow.knowledge.search("", category="cable")
        categories = dict(uow.knowledge.categories())
    assert len(everything) == sum(categories.values()) == 8
    cats = [a.category for a, _ in everything]
    assert cats == sorted(cats)
    assert categories["cable"] == 3 and {a.category for a, _ in cable} == {"cable"}
    assert len(cable) == 3
