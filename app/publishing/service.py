"""Saving an article: store what was written, record the media it uses, reindex it, keep a revision.

Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles import translations
from app.articles.gating import stored_gating
from app.articles.models import Article, ArticleRevision, ArticleStatus, Category, Reference
from app.articles.service import category_named, record_revision, tags_named
from app.core import content_version, i18n
from app.media import service as media_service
from app.search import service as search_service

if TYPE_CHECKING:
    from app.accounts.models import User


def save_article(
    db: Session,
    *,
    slug: str,
    title: str,
    summary: str,
    body: str,
    audience: str,
    category_name: str,
    tag_names: Sequence[str],
    references: Sequence[dict[str, object]],
    status: ArticleStatus,
    published_at: datetime,
    featured: bool = False,
    author_name: str = "",
    hero_image: str | None = None,
    hero_alt: str = "",
    language: str = i18n.SOURCE_LANGUAGE,
    translation_of: Article | None = None,
) -> Article:
    """Create the article at `slug`, or update it; either way the save is kept as a revision.

    With `translation_of`, the article is that one's version in `language` (TranslationRefused
    if the group has another version in that language already).
    """
    content = Content(
        title=title,
        slug=slug,
        summary=summary,
        body=body,
        audience=audience,
        category=category_named(db, category_name),
        tag_names=tuple(tag_names),
        author_name=author_name,
        hero_image=hero_image,
        hero_alt=hero_alt,
        references=tuple(references),
    )
    article = db.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        article = Article(slug=slug, version=0)
    article.featured = featured
    article.language = language
    if translation_of is not None:
        translations.join(db, article, translation_of)
    else:
        translations.check_language(db, article)
    apply_content(db, article, content, status=status, published_at=published_at, saved_by=None)
    return article


@dataclass(frozen=True)
class Content:
    """What an author writes of an article: everything a save stores but its status and time."""

    title: str
    slug: str
    summary: str
    body: str
    audience: str
    category: Category | None
    tag_names: tuple[str, ...]
    author_name: str
    hero_image: str | None
    hero_alt: str
    references: tuple[dict[str, object], ...]


def apply_content(
    db: Session,
    article: Article,
    content: Content,
    *,
    status: ArticleStatus,
    published_at: datetime | None,
    saved_by: User | None,
) -> ArticleRevision:
    """Store `content` in the article, raise its version, reindex it and record the revision."""
    # Tags first: looking them up flushes, and a new article must not be flushed half-filled.
    tags = tags_named(db, content.tag_names)
    db.add(article)
    article.title, article.slug, article.summary = content.title, content.slug, content.summary
    article.body, article.audience, article.author_name = content.body, content.audience, content.author_name
    article.gated_sections, article.gated_professions = stored_gating(content.body, content.audience)
    article.status, article.published_at = status, published_at
    article.hero_image, article.hero_alt = content.hero_image, content.hero_alt
    article.category = content.category
    article.tags = tags
    article.version = (article.version or 0) + 1
    # Flush the removals first: the new rows may reuse the old (article, key) pairs.
    article.references.clear()
    db.flush()
    if article.translation_group_id is None:
        # A new article is the original of its own translation group.
        article.translation_group_id = article.id
    article.references.extend(Reference(**fields) for fields in content.references)
    db.flush()
    media_service.record_usage(db, article)
    search_service.index_article(db, article)
    content_version.bump(db)
    return record_revision(db, article, saved_by=saved_by)
