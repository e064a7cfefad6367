"""Knowledge-base articles with partial-word search in Chinese and English.

The query is cut into words first (jieba for Chinese, Snowball stems for English; see
``crm.model.words``), so ``电视没信号`` looks for 电视 and 信号 and ``bills`` for bill.
An empty query browses: every article (of a category), by category and title.

SQLite: an FTS5 table with the trigram tokenizer (terms of three characters or more go
through MATCH; shorter ones, common in Chinese, through LIKE on the same table).
PostgreSQL: ILIKE served by a pg_trgm GIN index. Both rank the candidates the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, text, update

from crm.model.knowledge import Article, ArticleState, score, search_terms
from crm.schema import kb_articles

CANDIDATES = 500


class KnowledgeRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._sqlite = connection.dialect.name == "sqlite"

    def add(self, a: Article) -> int:
        a.id = self._conn.execute(
            insert(kb_articles).values(**_row(a)).returning(kb_articles.c.id)
        ).scalar_one()
        self._index(a)
        return a.id

    def save(self, a: Article) -> None:
        self._conn.execute(update(kb_articles).where(kb_articles.c.id == a.id).values(**_row(a)))
        self._index(a)

    def _index(self, a: Article) -> None:
        if self._sqlite:
            self._conn.execute(text("DELETE FROM kb_fts WHERE rowid = :id"), {"id": a.id})
            self._conn.execute(
                text("INSERT INTO kb_fts(rowid, title, body) VALUES (:id, :title, :body)"),
                {"id": a.id, "title": a.title, "body": a.body},
            )

    def get(self, article_id: int) -> Article | None:
        row = (
            self._conn.execute(select(kb_articles).where(kb_articles.c.id == article_id))
            .mappings()
            .first()
        )
        return None if row is None else _article(row)

    def search(
        self,
        query: str,
        *,
        category: str | None = None,
        limit: int = 20,
        states: tuple[ArticleState, ...] = (ArticleState.PUBLISHED,),
    ) -> list[tuple[Article, int]]:
        """Ranked hits among articles in ``states`` (agents: published only)."""
        terms = search_terms(query)
        if not terms:
            if query.strip():
                return []
            return self.browse(category=category, limit=limit, states=states)
        ids = self._candidate_ids_sqlite(terms) if self._sqlite else None
        stmt = select(kb_articles)
        if ids is not None:
            stmt = stmt.where(kb_articles.c.id.in_(ids))
        else:
            stmt = stmt.where(
                or_(
                    *(
                        (kb_articles.c.title + " " + kb_articles.c.body).ilike(
                            f"%{_escape(t)}%", escape="\\"
                        )
                        for t in terms
                    )
                )
            )
        if category is not None:
            stmt = stmt.where(kb_articles.c.category == category)
        stmt = stmt.where(kb_articles.c.state.in_([s.value for s in states]))
        articles = [_article(r) for r in self._conn.execute(stmt.limit(CANDIDATES)).mappings()]
        ranked = sorted(((a, score(a, terms)) for a in articles), key=lambda p: (-p[1], p[0].id))
        return [pair for pair in ranked if pair[1] > 0][:limit]

    def browse(
        self,
        *,
        category: str | None = None,
        limit: int = 50,
        states: tuple[ArticleState, ...] = (ArticleState.PUBLISHED,),
    ) -> list[tuple[Article, int]]:
        stmt = (
            select(kb_articles)
            .where(kb_articles.c.state.in_([s.value for s in states]))
            .order_by(kb_articles.c.category, kb_articles.c.title, kb_articles.c.id)
        )
        if category is not None:
            stmt = stmt.where(kb_articles.c.category == category)
        return [(_article(r), 0) for r in self._conn.execute(stmt.limit(limit)).mappings()]

    def categories(
        self, states: tuple[ArticleState, ...] = (ArticleState.PUBLISHED,)
    ) -> list[tuple[str, int]]:
        """(category, number of articles), for browsing."""
        stmt = (
            select(kb_articles.c.category, func.count())
            .where(kb_articles.c.state.in_([s.value for s in states]))
            .group_by(kb_articles.c.category)
            .order_by(kb_articles.c.category)
        )
        return [(c, int(n)) for c, n in self._conn.execute(stmt)]

    def _candidate_ids_sqlite(self, terms: list[str]) -> list[int]:
        ids: set[int] = set()
        long_terms = [t for t in terms if len(t) >= 3]
        if long_terms:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            ids.update(
                self._conn.execute(
                    text(
                        "SELECT rowid FROM kb_fts WHERE kb_fts MATCH :q ORDER BY bm25(kb_fts, 5.0, "
                        "1.0) LIMIT :n"
                    ),
                    {"q": match, "n": CANDIDATES},
                ).scalars()
            )
        for t in (t for t in terms if len(t) < 3):
            ids.update(
                self._conn.execute(
                    text(
                        "SELECT rowid FROM kb_fts WHERE title LIKE :p ESCAPE '\\' "
                        "OR body LIKE :p ESCAPE '\\' LIMIT :n"
                    ),
                    {"p": f"%{_escape(t)}%", "n": CANDIDATES},
                ).scalars()
            )
        return sorted(ids)


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _row(a: Article) -> dict[str, Any]:
    return {
        "title": a.title,
        "body": a.body,
        "category": a.category,
        "lang": a.lang,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "state": a.state.value,
        "updated_by": a.updated_by,
    }


def _article(r: Any) -> Article:
    return Article(
        id=r["id"],
        title=r["title"],
        body=r["body"],
        category=r["category"],
        lang=r["lang"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        state=ArticleState(r["state"]),
        updated_by=r["updated_by"],
    )
