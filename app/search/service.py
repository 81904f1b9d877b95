"""Index articles for search, and search them as one viewer. Services flush; the caller commits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Row, Select, and_, delete, insert, select
from sqlalchemy.orm import Session, defer

from app.articles.models import Article, ArticleStatus
from app.core import content_version
from app.core.db import utcnow
from app.core.pagination import Page
from app.core.policy import Viewer, readable, stored_professions
from app.search import engines
from app.search.models import SearchEntry, SearchSource
from app.search.sections import MARK_END, MARK_START, sections
from app.search.stemming import WORD, text_config

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


@dataclass(frozen=True)
class SearchHit:
    """One article found, with the best-matching text the viewer may read."""

    article: Article
    snippet_html: Markup
    rank: float


@dataclass(frozen=True)
class Found:
    """A page of search results, all in `language`: the reader's, or the first other with any."""

    page: Page[SearchHit]
    language: str


def index_article(db: Session, article: Article) -> None:
    """Replace the article's search rows by its current text, each part with its audience."""
    db.flush()
    db.execute(delete(SearchEntry).where(SearchEntry.article_id == article.id))
    db.execute(delete(SearchSource).where(SearchSource.article_id == article.id))
    parts = sections(
        title=article.title, summary=article.summary, body=article.body, audience=article.audience
    )
    rows = [
        {
            "article_id": article.id,
            "public": part.readers is None,
            "audience": stored_professions(part.readers or frozenset()),
            "config": text_config(article.language),
            "title": part.title,
            "body": part.body,
        }
        for part in parts
    ]
    add_entries(db, rows)
    db.execute(
        insert(SearchSource).values(article_id=article.id, body=article.body, audience=article.audience)
    )


def add_entries(db: Session, rows: list[dict[str, Any]]) -> None:
    """Store search rows (article_id, public, audience, config, title, body) and index them."""
    if not rows:
        return
    returning = insert(SearchEntry).returning(SearchEntry.id, sort_by_parameter_order=True)
    ids = db.scalars(returning, rows).all()
    entries = [{**row, "id": entry_id} for row, entry_id in zip(rows, ids, strict=True)]
    engines.index_terms(db, db.get_bind().dialect.name, entries)


def reindex_all(db: Session) -> int:
    """Rebuild the search rows of every article; return how many articles were indexed."""
    articles = db.scalars(select(Article)).all()
    for article in articles:
        index_article(db, article)
    # Search pages stored before answered from the old index.
    content_version.bump(db)
    return len(articles)


def query_terms(query: str) -> list[str]:
    """The plain words of a query, lowercased and capped: no operator or syntax survives."""
    text = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS]).lower()
    return list(dict.fromkeys(WORD.findall(text)))[:MAX_TERMS]


# Search ranks at most this many of the newest readable matching rows (each scored from its own
# text, which is the expensive part), so a query costs the same with a hundred articles or a
# hundred thousand; a word found in more rows is answered from the newest.
SEARCH_CANDIDATES = 60


def search(
    db: Session, query: str, viewer: Viewer, *, page: int, size: int, languages: Sequence[str]
) -> Found:
    """Find published articles by the words of `query`, in the text this viewer may read.

    The articles of the first language (the reader's) that has any match, each language's words
    stemmed its own way.
    """
    first = _search_in(db, query, viewer, page=page, size=size, language=languages[0])
    if not first.total:
        for language in languages[1:]:
            other = _search_in(db, query, viewer, page=page, size=size, language=language)
            if other.total:
                return Found(other, language)
    return Found(first, languages[0])


def _search_in(
    db: Session, query: str, viewer: Viewer, *, page: int, size: int, language: str
) -> Page[SearchHit]:
    """The published articles in `language` holding the words of `query` that the viewer may read."""
    terms = query_terms(query)
    if not terms:
        return Page([], page, size, 0)
    dialect = db.get_bind().dialect.name
    config = text_config(language)
    statement = _readable_rows(dialect, terms, config, viewer).where(Article.language == language)
    rows = db.execute(statement.limit(SEARCH_CANDIDATES + 1)).all()
    more, rows = len(rows) > SEARCH_CANDIDATES, rows[:SEARCH_CANDIDATES]
    best: dict[int, Row[int, int, float, datetime]] = {}
    for row in rows:  # the best row of each article; on equal scores the one indexed first
        kept = best.get(row.article_id)
        if kept is None or (row.score, -row.id) > (kept.score, -kept.id):
            best[row.article_id] = row
    ranked = sorted(best.values(), key=lambda r: (r.score, r.published_at, r.article_id), reverse=True)
    found = ranked[(page - 1) * size : page * size]
    ids = [row.article_id for row in found]
    # A hit shows the card's fields only: neither the body nor the tags are loaded.
    query_articles = select(Article).where(Article.id.in_(ids)).options(defer(Article.body))
    articles = {a.id: a for a in db.scalars(query_articles)} if ids else {}
    cuts = engines.snippets(db, dialect, terms, config, [row.id for row in found])
    hits = [SearchHit(articles[r.article_id], highlight(cuts.get(r.id, "")), float(r.score)) for r in found]
    return Page(hits, page, size, len(ranked), more=more)


def _readable_rows(
    dialect: str, terms: list[str], config: str, viewer: Viewer
) -> Select[int, int, float, datetime]:
    """The readable rows of published articles that hold every term, newest first."""
    # Rows leave the index as built from the article's current body and audience, or not at all.
    current = and_(
        SearchSource.article_id == Article.id,
        SearchSource.body == Article.body,
        SearchSource.audience == Article.audience,
    )
    return (
        engines.matching_rows(dialect, terms, config)
        .add_columns(Article.published_at)
        .join(Article, Article.id == SearchEntry.article_id)
        .join(SearchSource, current)
        .where(
            readable(viewer, public=SearchEntry.public, professions=SearchEntry.audience),
            Article.status == ArticleStatus.PUBLISHED,
            Article.published_at <= utcnow(),
        )
        .order_by(engines.newest_first(dialect))
    )


def highlight(snippet: str) -> Markup:
    """Escape a snippet, then turn the engine's highlight sentinels into `<mark>` elements."""
    marked = _MARKED.sub(r"<mark>\1</mark>", str(escape(snippet)))
    # Every character of the text was escaped above; only our own <mark> tags are markup.
    return Markup(marked.replace(MARK_START, "").replace(MARK_END, ""))  # noqa: S704
