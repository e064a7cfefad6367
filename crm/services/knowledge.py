"""Knowledge-base handlers."""

from __future__ import annotations

from crm.model.knowledge import Article
from crm.uow import UnitOfWork


def add_article(
    uow: UnitOfWork, *, actor: str, title: str, body: str, category: str, lang: str
) -> Article:
    now = uow.clock()
    article = Article(
        title=title, body=body, category=category, lang=lang, created_at=now, updated_at=now
    )
    uow.knowledge.add(article)
    uow.audit(actor, "kb.create", "kb_article", article.id)
    return article


def update_article(uow: UnitOfWork, article_id: int, *, actor: str, **changes: str) -> Article:
    article = uow.knowledge.get(article_id)
    if article is None:
        raise LookupError(f"kb article {article_id}: no such article")
    for name in ("title", "body", "category", "lang"):
        if name in changes:
            setattr(article, name, changes[name])
    article.updated_at = uow.clock()
    uow.knowledge.save(article)
    uow.audit(actor, "kb.update", "kb_article", article_id, {"fields": sorted(changes)})
    return article
