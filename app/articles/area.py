"""What the professional area holds, told to those outside it: counts and public titles only.

The landing page of `/professional` names, by topic, the published articles with content for
professionals and how many gated sections they hold. Titles and category names are public; the
figures come from what each save stored of the article (app/articles/gating.py), so the page
reads one row per topic and a few titles each, however many articles there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, select, union_all
from sqlalchemy.orm import Session, defer

from app.articles import service
from app.articles.models import Article, Category

# Titles named under each topic; the counts cover every article.
TITLES_PER_TOPIC = 5


@dataclass
class Topic:
    """One category's share of the area: how many articles, whole or in sections, and the newest."""

    category: Category | None
    count: int = 0
    whole: int = 0
    sections: int = 0
    shown: list[Article] = field(default_factory=list)


@dataclass(frozen=True)
class Holdings:
    """The area in figures: articles with content for professionals, wholly or in sections."""

    topics: list[Topic]

    @property
    def articles(self) -> int:
        return sum(topic.count for topic in self.topics)

    @property
    def whole(self) -> int:
        return sum(topic.whole for topic in self.topics)

    @property
    def sections(self) -> int:
        return sum(topic.sections for topic in self.topics)


def holdings(db: Session, *, language: str | None = None) -> Holdings:
    """Count the published articles with content for professionals, and their gated sections, by topic."""
    counted = _gated(language).with_only_columns(
        Article.category_id,
        func.count().label("articles"),
        func.sum(case((Article.audience != "", 1), else_=0)).label("whole"),
        func.sum(Article.gated_sections).label("sections"),
    )
    figures = counted.order_by(None).group_by(Article.category_id).subquery()
    rows = db.execute(select(figures, Category).outerjoin(Category, Category.id == figures.c.category_id))
    topics = {
        row.category_id: Topic(row.Category, row.articles, int(row.whole), int(row.sections)) for row in rows
    }
    for article in _newest(db, list(topics), language):
        topics[article.category_id].shown.append(article)
    # Named topics by name, then the articles filed under none.
    return Holdings(sorted(topics.values(), key=_by_name))


def _gated(language: str | None) -> Select[Article]:
    """Published articles with some part for professionals, newest first (without their bodies)."""
    query = service.published_gated()
    return query if language is None else query.where(Article.language == language)


def _newest(db: Session, categories: list[int | None], language: str | None) -> Sequence[Article]:
    """The newest few of each topic's articles, in one statement: each topic's own newest first."""
    if not categories:
        return []
    parts = [
        select(
            _gated(language)
            .with_only_columns(Article.id)
            .where(Article.category_id == category if category is not None else Article.category_id.is_(None))
            .limit(TITLES_PER_TOPIC)
            .subquery()
            .c.id
        )
        for category in categories
    ]
    chosen = union_all(*parts).subquery()
    query = select(Article).where(Article.id.in_(select(chosen.c.id))).options(defer(Article.body))
    return db.scalars(query.order_by(Article.published_at.desc(), Article.id.desc())).unique().all()


def _by_name(topic: Topic) -> tuple[bool, str]:
    return (topic.category is None, topic.category.label if topic.category else "")
