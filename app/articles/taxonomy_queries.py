"""Reading categories and tags for the staff pages and the public redirects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from app.articles.models import (
    Article,
    ArticleStatus,
    Category,
    CategoryRedirect,
    Tag,
    TagRedirect,
    article_tag,
)
from app.core.db import utcnow
from app.core.pagination import Page, paginate


@dataclass(frozen=True)
class Usage:
    """A category or tag with how many articles use it, in any status and published."""

    item: Category | Tag
    articles: int
    published: int


def _usage_page(
    db: Session, query: Select[Any, int, int], total: int, *, number: int, size: int
) -> Page[Usage]:
    rows = db.execute(query.limit(size).offset((number - 1) * size)).all()
    return Page([Usage(row[0], row[1], int(row[2] or 0)) for row in rows], number, size, total)


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """How many articles, and how many of them published by now (as the public site counts)."""
    published = and_(Article.status == ArticleStatus.PUBLISHED, Article.published_at <= utcnow())
    return func.count(Article.id), func.sum(case((published, 1), else_=0))


def list_categories(db: Session, *, number: int, size: int) -> Page[Usage]:
    """List categories by name, each with its number of articles and of published articles."""
    query = (
        select(Category, *_counts())
        .outerjoin(Article, Article.category_id == Category.id)
        .group_by(Category.id)
        .order_by(func.lower(Category.name), Category.id)
    )
    total = db.scalar(select(func.count(Category.id))) or 0
    return _usage_page(db, query, total, number=number, size=size)


def list_tags(db: Session, *, number: int, size: int) -> Page[Usage]:
    """List tags by name, each with its number of articles and of published articles."""
    query = (
        select(Tag, *_counts())
        .outerjoin(article_tag, article_tag.c.tag_id == Tag.id)
        .outerjoin(Article, Article.id == article_tag.c.article_id)
        .group_by(Tag.id)
        .order_by(func.lower(Tag.name), Tag.id)
    )
    total = db.scalar(select(func.count(Tag.id))) or 0
    return _usage_page(db, query, total, number=number, size=size)


def _articles_page(db: Session, condition: ColumnElement[bool], *, number: int, size: int) -> Page[Article]:
    query = select(Article).where(condition).order_by(func.lower(Article.title), Article.id)
    return paginate(db, query, number=number, size=size)


def category_articles(db: Session, category: Category, *, number: int, size: int) -> Page[Article]:
    """List the articles of a category in every status, by title."""
    return _articles_page(db, Article.category_id == category.id, number=number, size=size)


def tag_articles(db: Session, tag: Tag, *, number: int, size: int) -> Page[Article]:
    """List the articles carrying a tag in every status, by title."""
    return _articles_page(db, Article.tags.any(Tag.id == tag.id), number=number, size=size)


def former_category_slugs(db: Session, category: Category) -> Sequence[str]:
    """Return the former slugs that redirect to this category."""
    query = select(CategoryRedirect.old_slug).where(CategoryRedirect.category_id == category.id)
    return db.scalars(query.order_by(CategoryRedirect.old_slug)).all()


def former_tag_slugs(db: Session, tag: Tag) -> Sequence[str]:
    """Return the former slugs (its own or of tags merged into it) that redirect to this tag."""
    query = select(TagRedirect.old_slug).where(TagRedirect.tag_id == tag.id)
    return db.scalars(query.order_by(TagRedirect.old_slug)).all()


def category_redirect(db: Session, slug: str) -> str | None:
    """Return the current slug of the category that used to live at `slug`."""
    query = select(Category.slug).join(CategoryRedirect, CategoryRedirect.category_id == Category.id)
    return db.scalar(query.where(CategoryRedirect.old_slug == slug))


def tag_redirect(db: Session, slug: str) -> str | None:
    """Return the current slug of the tag that used to live at `slug`."""
    query = select(Tag.slug).join(TagRedirect, TagRedirect.tag_id == Tag.id)
    return db.scalar(query.where(TagRedirect.old_slug == slug))


def other_tags(db: Session, tag: Tag) -> Sequence[Tag]:
    """Return every tag but this one, by name: the targets it may be merged into."""
    return db.scalars(select(Tag).where(Tag.id != tag.id).order_by(func.lower(Tag.name), Tag.id)).all()


def articles_with_both(db: Session, tag: Tag, other: Tag) -> int:
    """Count the articles that carry both tags."""
    both = (Article.tags.any(Tag.id == tag.id), Article.tags.any(Tag.id == other.id))
    return db.scalar(select(func.count(Article.id)).where(*both)) or 0
