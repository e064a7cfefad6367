"""Knowledge-base handlers: writing, the review step, each audited."""

from __future__ import annotations

from crm.model.knowledge import Article, ArticleState
from crm.uow import UnitOfWork

FIELDS = ("title", "body", "category", "lang")


def add_article(
    uow: UnitOfWork,
    *,
    actor: str,
    title: str,
    body: str,
    category: str,
    lang: str,
    state: ArticleState = ArticleState.PUBLISHED,
) -> Article:
    """A new article; the API publishes directly, the editing page starts a draft."""
    _check(title=title, body=body, category=category, lang=lang)
    now = uow.clock()
    article = Article(
        title=title,
        body=body,
        category=category,
        lang=lang,
        created_at=now,
        updated_at=now,
        state=state,
        updated_by=actor,
    )
    uow.knowledge.add(article)
    uow.audit(actor, "kb.create", "kb_article", article.id, {"state": state.value})
    return article


def get_article(uow: UnitOfWork, article_id: int) -> Article:
    article = uow.knowledge.get(article_id)
    if article is None:
        raise LookupError(f"kb article {article_id}: no such article")
    return article


def update_article(uow: UnitOfWork, article_id: int, *, actor: str, **changes: str) -> Article:
    article = get_article(uow, article_id)
    _check(**changes)
    for name in FIELDS:
        if name in changes:
            setattr(article, name, changes[name])
    article.updated_at = uow.clock()
    article.updated_by = actor
    uow.knowledge.save(article)
    uow.audit(actor, "kb.update", "kb_article", article_id, {"fields": sorted(changes)})
    return article


def review_article(uow: UnitOfWork, article_id: int, action: str, *, actor: str) -> Article:
    """submit / publish / reject / unpublish (crm.model.knowledge.TRANSITIONS)."""
    article = get_article(uow, article_id)
    before = article.state
    article.move(action)
    article.updated_at = uow.clock()
    article.updated_by = actor
    uow.knowledge.save(article)
    uow.audit(
        actor,
        f"kb.{action}",
        "kb_article",
        article_id,
        {"from": before.value, "to": article.state.value},
    )
    return article


def _check(**fields: str) -> None:
    limits = {"title": 300, "category": 64, "lang": 8, "body": 100_000}
    for name, value in fields.items():
        if name not in limits:
            raise ValueError(f"unknown article field {name!r}")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must not be empty")
        if len(value) > limits[name]:
            raise ValueError(f"{name} is longer than {limits[name]} characters")
