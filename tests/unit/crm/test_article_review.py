"""The knowledge base's review step as a pure state machine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm.model.knowledge import Article, ArticleState, ArticleStateError

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def article(state: ArticleState) -> Article:
    return Article("t", "b", "c", "zh", NOW, NOW, state=state)


def test_draft_goes_through_review_to_published_and_back() -> None:
    a = article(ArticleState.DRAFT)
    a.move("submit")
    assert a.state is ArticleState.REVIEW
    a.move("reject")
    assert a.state is ArticleState.DRAFT
    a.move("submit")
    a.move("publish")
    assert a.state is ArticleState.PUBLISHED
    a.move("unpublish")
    assert a.state is ArticleState.DRAFT


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (ArticleState.DRAFT, "publish"),
        (ArticleState.DRAFT, "reject"),
        (ArticleState.REVIEW, "submit"),
        (ArticleState.PUBLISHED, "publish"),
        (ArticleState.PUBLISHED, "submit"),
        (ArticleState.DRAFT, "delete"),
    ],
)
def test_steps_out_of_order_are_refused(state: ArticleState, action: str) -> None:
    a = article(state)
    with pytest.raises(ArticleStateError):
        a.move(action)
    assert a.state is state
