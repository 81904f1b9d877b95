"""Reading articles, and the pieces a save is built from. Services flush; the caller commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import BindParameter, CompoundSelect, Select, bindparam, false, func, select, union
from sqlalchemy.orm import Session, defer, selectinload

from app.articles import taxonomy_queries
from app.articles.markdown import ReferenceData
from app.articles.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Category,
    Reference,
    SlugRedirect,
    Tag,
    article_tag,
)
from app.audit import service as audit
from app.core.db import utcnow
from app.core.pagination import Page, paginate
from app.core.policy import Viewer, readable
from app.core.text import slugify

if TYPE_CHECKING:
    from app.accounts.models import User


def _published(
    *,
    with_body: bool = False,
    now: datetime | BindParameter[datetime] | None = None,
    by_language: bool = False,
) -> Select[Article]:
    """Published articles, newest first, as listings show them: without the body, without tags.

    `now` may be a bound parameter, for a statement built once and run with the time of each call;
    `by_language` keeps those in the bound parameter `language` (a page lists its own language's).
    """
    # A card shows no body and no tags: neither is loaded unless a caller asks (`WITH_TAGS`).
    query = (
        select(Article)
        .where(
            Article.status == ArticleStatus.PUBLISHED,
            Article.published_at <= (utcnow() if now is None else now),
        )
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    if by_language:
        query = query.where(Article.language == bindparam("language"))
    return query if with_body else query.options(defer(Article.body))


# For listings that name each article's tags (the API, the feed, the sitemap): one more statement.
WITH_TAGS = selectinload(Article.tags)


# Public lists count at most this many articles past the page they show ("page 2 of at least
# 11"): counting every published article took longer than the rest of the page at 100,000.
LOOK_AHEAD = 100


def list_published(
    db: Session,
    *,
    number: int,
    size: int,
    with_tags: bool = False,
    count_all: bool = False,
    language: str | None = None,
) -> Page[Article]:
    """List published articles, newest first; `count_all` counts every one, not only `LOOK_AHEAD`.

    With `language`, only the articles in that language (here and in the other listings); without,
    every language's.
    """
    look_ahead = None if count_all else LOOK_AHEAD
    params = _params(language)
    statement = _listing(with_tags, language is not None)
    return paginate(db, statement, number=number, size=size, params=params, look_ahead=look_ahead)


def _params(language: str | None, **named: object) -> dict[str, object]:
    params: dict[str, object] = {"now": utcnow(), **named}
    if language is not None:
        params["language"] = language
    return params


def list_in_category(
    db: Session, category: Category, *, number: int, size: int, language: str | None = None
) -> Page[Article]:
    """List the published articles of one category."""
    params = _params(language, category_id=category.id)
    statement = _in_category(language is not None)
    return paginate(db, statement, number=number, size=size, params=params, look_ahead=LOOK_AHEAD)


def list_tagged(
    db: Session, tag: Tag, *, number: int, size: int, language: str | None = None
) -> Page[Article]:
    """List the published articles carrying one tag."""
    params = _params(language, tag_id=tag.id)
    statement = _tagged(language is not None)
    return paginate(db, statement, number=number, size=size, params=params, look_ahead=LOOK_AHEAD)


def featured(db: Session, *, limit: int = 3, language: str | None = None) -> Sequence[Article]:
    """Return the newest featured articles."""
    return db.scalars(_featured(limit, language is not None), _params(language)).unique().all()


def latest(
    db: Session,
    *,
    limit: int = 6,
    exclude: Sequence[int] = (),
    with_tags: bool = False,
    language: str | None = None,
) -> Sequence[Article]:
    """Return the newest articles, leaving out those already shown."""
    params = _params(language, exclude=list(exclude))
    return db.scalars(_latest(limit, with_tags, language is not None), params).unique().all()


# The statements of the pages read most are built once per process (building one costs more
# than running it) and run with bound parameters: `now` always, and what each one names.
NOW: BindParameter[datetime] = bindparam("now")


@cache
def _listing(with_tags: bool, by_language: bool) -> Select[Article]:
    query = _published(now=NOW, by_language=by_language)
    return query.options(WITH_TAGS) if with_tags else query


@cache
def _in_category(by_language: bool) -> Select[Article]:
    return _published(now=NOW, by_language=by_language).where(Article.category_id == bindparam("category_id"))


@cache
def _tagged(by_language: bool) -> Select[Article]:
    # The tag's own index gives its article ids; EXISTS per article took three times as long.
    tagged = select(article_tag.c.article_id).where(article_tag.c.tag_id == bindparam("tag_id"))
    return _published(now=NOW, by_language=by_language).where(Article.id.in_(tagged))


@cache
def _featured(limit: int, by_language: bool) -> Select[Article]:
    return _published(now=NOW, by_language=by_language).where(Article.featured.is_(True)).limit(limit)


@cache
def _latest(limit: int, with_tags: bool, by_language: bool) -> Select[Article]:
    # An empty `exclude` leaves nothing out (NOT IN an empty set is true).
    query = _published(now=NOW, by_language=by_language).where(
        Article.id.not_in(bindparam("exclude", expanding=True))
    )
    return (query.options(WITH_TAGS) if with_tags else query).limit(limit)


# Related articles are chosen among this many of the newest articles per shared tag and in the
# category, so the choice costs the same with a hundred articles or a hundred thousand.
RELATED_CANDIDATES = 25


def related(db: Session, article: Article, *, limit: int = 3) -> Sequence[Article]:
    """Return published articles sharing the most tags, then the category, with this one.

    The candidates are the newest few carrying each of its tags and the newest few of its category.
    """
    tag_ids = [t.id for t in article.tags]
    params = {
        "now": utcnow(),
        "article_id": article.id,
        "tag_ids": tag_ids,
        **{f"tag_{number}": tag_id for number, tag_id in enumerate(tag_ids)},
        # No category: `= NULL` is never true, so no other article counts as in the same one.
        "category_id": article.category_id,
        # Related articles are read in the article's own language.
        "language": article.language,
    }
    statement = _related_statement(limit, len(tag_ids), article.category_id is not None)
    return db.scalars(statement, params).unique().all()


@lru_cache(maxsize=64)
def _related_statement(limit: int, tag_count: int, in_category: bool) -> Select[Article]:
    shared = (
        select(func.count())
        .select_from(article_tag)
        .where(
            article_tag.c.article_id == Article.id,
            article_tag.c.tag_id.in_(bindparam("tag_ids", expanding=True)),
        )
        .scalar_subquery()
    )
    same_category = Article.category_id == bindparam("category_id")
    chosen = _related_candidates(tag_count, in_category).subquery()
    return (
        _published(now=NOW, by_language=True)
        .join(chosen, chosen.c.article_id == Article.id)
        .where(Article.id != bindparam("article_id"))
        .order_by(None)
        .order_by(shared.desc(), func.coalesce(same_category, False).desc(), Article.published_at.desc())
        .limit(limit)
    )


def _related_candidates(tag_count: int, in_category: bool) -> CompoundSelect[int]:
    """The ids of the newest articles carrying each tag, of the category's newest published ones,
    and of the newest published ones of all (so an article sharing nothing still has neighbours)."""
    newest = (
        _published(now=NOW, by_language=True)
        .with_only_columns(Article.id)
        .limit(RELATED_CANDIDATES)
        .subquery()
    )
    # Read from the tag's own index, newest first; the caller keeps the published ones.
    parts: list[Select[int]] = [select(newest.c.id.label("article_id"))]
    parts += [
        select(
            select(article_tag.c.article_id)
            .where(article_tag.c.tag_id == bindparam(f"tag_{number}"))
            .order_by(article_tag.c.article_id.desc())
            .limit(RELATED_CANDIDATES)
            .subquery()
            .c.article_id
        )
        for number in range(tag_count)
    ]
    if in_category:
        in_category_newest = (
            _published(now=NOW, by_language=True)
            .with_only_columns(Article.id)
            .where(Article.category_id == bindparam("category_id"))
            .limit(RELATED_CANDIDATES)
            .subquery()
        )
        parts.append(select(in_category_newest.c.id.label("article_id")))
    return union(*parts)


def professional_articles(
    db: Session, viewer: Viewer, *, number: int, size: int, language: str | None = None
) -> Page[Article]:
    """One page of the published articles with a part for professionals this viewer may read.

    Decided in SQL over what each save stored of the article's gated parts (`readable`, the SQL
    form of `may_read`), so a page reads its rows and no more, like the other listings.
    """
    params = _params(language)
    statement = _readable_gated(viewer, language is not None)
    return paginate(db, statement, number=number, size=size, params=params, look_ahead=LOOK_AHEAD)


@lru_cache(maxsize=64)
def _readable_gated(viewer: Viewer, by_language: bool) -> Select[Article]:
    # The stored professions are those of the gated parts only: none of them is public.
    parts = readable(viewer, public=false(), professions=Article.gated_professions)
    return published_gated(now=NOW, by_language=by_language).where(parts)


def published_gated(
    *, now: datetime | BindParameter[datetime] | None = None, by_language: bool = False
) -> Select[Article]:
    """Published articles with some part for professionals (see app/articles/gating.py), newest first."""
    return _published(now=now, by_language=by_language).where(Article.gated_professions != "")


def find_published(db: Session, slug: str) -> Article | None:
    """Find a published article by slug."""
    return db.scalars(_find_published_statement(), {"now": utcnow(), "slug": slug}).unique().one_or_none()


@cache
def _find_published_statement() -> Select[Article]:
    return _published(with_body=True, now=NOW).where(Article.slug == bindparam("slug")).options(WITH_TAGS)


def find_redirect(db: Session, slug: str) -> str | None:
    """Return the current slug of an article that used to live at `slug`."""
    # Only to a published article: a redirect must not reveal where a draft now lives.
    query = (
        _published().with_only_columns(Article.slug).join(SlugRedirect, SlugRedirect.article_id == Article.id)
    )
    return db.scalar(query.where(SlugRedirect.old_slug == slug))


def find_category(db: Session, slug: str) -> Category | None:
    return db.scalar(select(Category).where(Category.slug == slug))


def find_tag(db: Session, slug: str) -> Tag | None:
    return db.scalar(select(Tag).where(Tag.slug == slug))


def categories_in_use(db: Session, *, language: str | None = None) -> Sequence[Category]:
    """Return the categories that hold at least one published article, by name."""
    return db.scalars(_categories_in_use(language is not None), _params(language)).all()


@cache
def _categories_in_use(by_language: bool) -> Select[Category]:
    # One index probe per category, not a pass over every published article.
    used = (
        _published(now=NOW, by_language=by_language)
        .with_only_columns(Article.id)
        .where(Article.category_id == Category.id)
        .exists()
    )
    return select(Category).where(used).order_by(Category.name)


def reference_data(article: Article) -> list[ReferenceData]:
    """Turn stored references into what the Markdown renderer takes."""
    return [ReferenceData(**_reference_fields(r)) for r in article.references]  # type: ignore[arg-type]


def _reference_fields(reference: Reference) -> dict[str, object]:
    return {name: getattr(reference, name) for name in ReferenceData.__dataclass_fields__}


def record_revision(db: Session, article: Article, *, saved_by: User | None) -> ArticleRevision:
    """Keep the state a save just left as the revision numbered with the article's version."""
    revision = ArticleRevision(
        article_id=article.id,
        number=article.version,
        title=article.title,
        slug=article.slug,
        summary=article.summary,
        body=article.body,
        audience=article.audience,
        category_name=article.category.name if article.category else "",
        tags_json=json.dumps([t.name for t in article.tags]),
        author_name=article.author_name,
        hero_image=article.hero_image,
        hero_alt=article.hero_alt,
        references_json=json.dumps([_reference_fields(r) for r in article.references]),
        status=article.status.value,
        published_at=article.published_at,
        saved_by_id=saved_by.id if saved_by else None,
        saved_by_label=saved_by.full_name if saved_by else audit.SYSTEM,
    )
    db.add(revision)
    return revision


def revisions(db: Session, article: Article) -> Sequence[ArticleRevision]:
    """Return an article's saved versions, newest first."""
    query = select(ArticleRevision).where(ArticleRevision.article_id == article.id)
    return db.scalars(query.order_by(ArticleRevision.number.desc())).all()


def category_named(db: Session, name: str) -> Category:
    """Return the category of this name, created if it does not exist yet."""
    slug = slugify(name)
    # A renamed category is still found by its former name, rather than made anew at the old address.
    current = find_category(db, slug)
    category = current or find_category(db, taxonomy_queries.category_redirect(db, slug) or "")
    if category is None:
        category = Category(slug=slug, name=name)
        db.add(category)
    return category


def tags_named(db: Session, names: Sequence[str]) -> list[Tag]:
    """Return the tags of these names, in order, creating the new ones."""
    tags: dict[str, Tag] = {}
    for name in (n.strip() for n in names if n.strip()):
        # "Sleep" and "sleep!" are one tag: the same slug must not be attached twice.
        slug = slugify(name)
        if slug in tags:
            continue
        tag = find_tag(db, slug) or find_tag(db, taxonomy_queries.tag_redirect(db, slug) or "")
        if tag is None:
            tag = Tag(slug=slug, name=name)
            db.add(tag)
        tags.setdefault(tag.slug, tag)
    return list(tags.values())


def scheduled(db: Session, *, limit: int = 5) -> tuple[int, Sequence[Article]]:
    """Return how many articles are scheduled, and the next ones to be published."""
    query = select(Article).where(Article.status == ArticleStatus.SCHEDULED)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    upcoming = db.scalars(query.order_by(Article.published_at, Article.id).limit(limit)).all()
    return total, upcoming


def count_drafts(db: Session) -> int:
    """Return how many articles are drafts."""
    return db.scalar(select(func.count()).where(Article.status == ArticleStatus.DRAFT)) or 0
