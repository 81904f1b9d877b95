"""An article's versions in other languages: its translation group, and how a version joins one.

A group is named by the id of its original (the version the others were translated from); the
database holds at most one article per language in a group. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from app.articles.markdown import gated_audiences
from app.articles.models import Article, ArticleStatus, SlugRedirect
from app.core import i18n, languages
from app.core.db import utcnow
from app.core.i18n import N_


class TranslationRefused(ValueError):
    """The article cannot be a translation of that one; the message says why."""


def group_id(article: Article) -> int | None:
    return article.translation_group_id or article.id


def versions(db: Session, article: Article, *, published_only: bool = False) -> Sequence[Article]:
    """Every version of the article's group, itself included, by language."""
    group = group_id(article)
    if group is None:
        return [article]
    query = select(Article).where(Article.translation_group_id == group)
    if published_only:
        query = query.where(Article.status == ArticleStatus.PUBLISHED, Article.published_at <= utcnow())
    return db.scalars(query.order_by(Article.language)).all()


def published_slugs(db: Session, article: Article) -> list[tuple[str, str]]:
    """(language, slug) of each published version of the article's group, itself included."""
    group = group_id(article)
    if group is None:
        return [(article.language, article.slug)]
    # Two columns, not the articles: an article page asks this on every view.
    return published_versions(db, [article])[group]


def published_versions(db: Session, articles: Sequence[Article]) -> dict[int, list[tuple[str, str]]]:
    """(language, slug) of each published version of these articles' groups, by group: one statement
    for a whole page of articles, each one's own version included."""
    groups = sorted({group for group in map(group_id, articles) if group is not None})
    found: dict[int, list[tuple[str, str]]] = {group: [] for group in groups}
    if groups:
        rows = db.execute(_versions_statement(), {"groups": groups, "now": utcnow()})
        for group, language, slug, live in rows:
            if live and group is not None:  # never None: it is one of `groups`
                found[group].append((language, slug))
    return found


@cache
def _versions_statement() -> Select[int | None, str, str, bool]:
    group = Article.translation_group_id
    live = and_(Article.status == ArticleStatus.PUBLISHED, Article.published_at <= bindparam("now"))
    # Whether each is published is read beside it, not asked in WHERE: the group's index then finds
    # its few rows, where SQLite (which keeps no statistics here) would walk the index of every
    # published article instead, 40 ms at 100,000 articles against 0.1 ms.
    return (
        select(group, Article.language, Article.slug, live)
        .where(group.in_(bindparam("groups", expanding=True)))
        .order_by(Article.language)
    )


def version_in(
    db: Session, article: Article, language: str, *, published_only: bool = False
) -> Article | None:
    """The article's version in `language`, if its group has one."""
    return next(
        (v for v in versions(db, article, published_only=published_only) if v.language == language), None
    )


def original_of(db: Session, article: Article) -> Article | None:
    """The version the group was translated from; None for an original or a group without one."""
    group = article.translation_group_id
    if group is None or group == article.id:
        return None
    return db.get(Article, group)


def join(db: Session, article: Article, original: Article) -> None:
    """Make `article` the translation of `original` in its own language; refuse a second version."""
    if original.id is not None and original.id == article.id:
        raise TranslationRefused("An article cannot be a translation of itself.")
    if original.language == article.language:
        raise TranslationRefused(f"“{original.slug}” is already in this language ({article.language}).")
    article.translation_group_id = group_id(original)
    check_language(db, article)


def check_language(db: Session, article: Article) -> None:
    """Refuse a language another version of the article's group already has."""
    group = article.translation_group_id
    if group is None:
        return
    taken = select(Article.slug).where(
        Article.translation_group_id == group, Article.language == article.language
    )
    if article.id is not None:
        taken = taken.where(Article.id != article.id)
    # Not flushed first: the change being checked must not reach the database's constraint.
    with db.no_autoflush:
        other = db.scalar(taken)
    if other is not None:
        raise TranslationRefused(
            f"“{other}” is already this article’s version in this language ({article.language})."
        )


def address_in(code: str, path: str) -> str:
    """A site path (from a route, without a prefix) as the pages in `code` write it."""
    if languages.localised("/") == "/":
        return path  # a site in one language has no prefixes
    return f"/{code}{path}"


def language_name(code: str) -> str:
    """The name of language `code` in the page's language: "Englisch" on a German page."""
    from babel import Locale

    return str(Locale.parse(i18n.current()).languages.get(code, code))


# What a translation keeps from its original; the editor names each one that differs.
ALIGNED = {
    "references": N_("references"),
    "category": N_("category"),
    "tags": N_("tags"),
    "audience": N_("audience of the whole article"),
    "gates": N_("audiences of the gated blocks"),
}


def differences(original: Article, translation: Article) -> list[str]:
    """The keys of ALIGNED in which `translation` differs from `original`, in that order."""

    def references(article: Article) -> list[tuple[object, ...]]:
        return [
            (r.key, r.authors, r.title, r.journal, r.year, r.doi, r.pmid, r.url) for r in article.references
        ]

    def gates(article: Article) -> list[frozenset[str]]:
        return [frozenset(a.professions) for a in gated_audiences(article.body)]

    found = {
        "references": references(original) != references(translation),
        "category": original.category_id != translation.category_id,
        "tags": {t.id for t in original.tags} != {t.id for t in translation.tags},
        "audience": original.audience_rule.professions != translation.audience_rule.professions,
        "gates": gates(original) != gates(translation),
    }
    return [key for key in ALIGNED if found[key]]


def free_slug(db: Session, slug: str) -> str:
    """`slug`, or `slug-2`, `slug-3`... whichever no article has and no old address leads from."""
    taken = set(db.scalars(select(Article.slug).where(Article.slug.startswith(slug))))
    taken |= set(db.scalars(select(SlugRedirect.old_slug).where(SlugRedirect.old_slug.startswith(slug))))
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    return candidate
