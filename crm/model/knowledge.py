"""Knowledge-base articles (FAQ) and the ranking of search hits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.model.words import query_words

TITLE_WEIGHT = 5


@dataclass
class Article:
    title: str
    body: str
    category: str
    lang: str
    created_at: datetime
    updated_at: datetime
    id: int | None = None


def search_terms(query: str) -> list[str]:
    """What to look for: jieba-segmented Chinese, stemmed English (see ``words``)."""
    return query_words(query)


def score(article: Article, terms: list[str]) -> int:
    """Occurrences of each term, title hits weighing more; 0 means no match."""
    title, body = article.title.casefold(), article.body.casefold()
    return sum(TITLE_WEIGHT * title.count(t) + body.count(t) for t in terms)
