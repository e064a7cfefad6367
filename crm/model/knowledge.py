"""Knowledge-base articles (FAQ) and the ranking of search hits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm.model.words import query_words

TITLE_WEIGHT = 5


class ArticleState(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"


# The review step: a writer submits, a reviewer publishes or sends back; a published
# article that needs changes goes back to draft (and out of agents' search) until
# published again.
TRANSITIONS: dict[str, tuple[ArticleState, ArticleState]] = {
    "submit": (ArticleState.DRAFT, ArticleState.REVIEW),
    "publish": (ArticleState.REVIEW, ArticleState.PUBLISHED),
    "reject": (ArticleState.REVIEW, ArticleState.DRAFT),
    "unpublish": (ArticleState.PUBLISHED, ArticleState.DRAFT),
}


class ArticleStateError(ValueError):
    pass


@dataclass
class Article:
    title: str
    body: str
    category: str
    lang: str
    created_at: datetime
    updated_at: datetime
    id: int | None = None
    state: ArticleState = ArticleState.PUBLISHED
    updated_by: str | None = None

    def move(self, action: str) -> None:
        """Apply a review action; raises ArticleStateError if it does not apply now."""
        if action not in TRANSITIONS:
            raise ArticleStateError(f"unknown action {action!r}")
        source, target = TRANSITIONS[action]
        if self.state is not source:
            raise ArticleStateError(f"cannot {action} an article that is {self.state.value}")
        self.state = target


def search_terms(query: str) -> list[str]:
    """What to look for: jieba-segmented Chinese, stemmed English (see ``words``)."""
    return query_words(query)


def score(article: Article, terms: list[str]) -> int:
    """Occurrences of each term, title hits weighing more; 0 means no match."""
    title, body = article.title.casefold(), article.body.casefold()
    return sum(TITLE_WEIGHT * title.count(t) + body.count(t) for t in terms)
