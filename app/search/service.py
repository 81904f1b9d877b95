"""Index articles for search, and search them as one viewer. Services flush; the caller commits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import Row, Select, and_, delete, insert, select, text
from sqlalchemy.orm import Session, defer

from app.articles.models import Article, ArticleStatus
from app.core import content_version
from app.core.db import utcnow
from app.core.pagination import Page
from app.core.policy import Viewer, readable, stored_professions
from app.search import engines
from app.search.models import SearchEntry, SearchSource
from app.search.schema import FTS_INSERT_TRIGGER, FTS_TABLE
from app.search.sections import MARK_END, MARK_START, sections

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_WORD = re.compile(r"[^\W_]+")
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


@dataclass(frozen=True)
class SearchHit:
    """One article found, with the best-matching text the viewer may read."""

    article: Article
    snippet_html: Markup
    rank: float


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
            "title": part.title,
            "body": part.body,
        }
        for part in parts
    ]
    db.execute(insert(SearchEntry), rows)
    db.execute(
        insert(SearchSource).values(article_id=article.id, body=article.body, audience=article.audience)
    )


@contextmanager
def indexed_at_the_end(db: Session) -> Iterator[None]:
    """Search rows inserted inside are indexed in one pass when the block ends (for bulk loads).

    Call it inside a transaction: on SQLite the trigger that indexes each row as it comes is
    dropped and put back, which a rollback undoes too. PostgreSQL indexes as rows come.
    """
    if db.get_bind().dialect.name != "sqlite":
        yield
        return
    find = text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name")
    trigger = db.execute(find, {"name": FTS_INSERT_TRIGGER}).scalar_one()
    db.execute(text(f"DROP TRIGGER {FTS_INSERT_TRIGGER}"))
    yield
    db.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))  # noqa: S608 (constants)
    db.execute(text(trigger))


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
    return list(dict.fromkeys(_WORD.findall(text)))[:MAX_TERMS]


# Search ranks at most this many of the newest readable matching rows (each scored from its own
# text, which is the expensive part), so a query costs the same with a hundred articles or a
# hundred thousand; a word found in more rows is answered from the newest.
SEARCH_CANDIDATES = 60


def search(
    db: Session, query: str, viewer: Viewer, *, page: int, size: int, language: str | None = None
) -> Page[SearchHit]:
    """Find published articles by the words of `query`, in the text this viewer may read.

    With `language`, only the articles in that language (a page searches its own language's).
    """
    terms = query_terms(query)
    if not terms:
        return Page([], page, size, 0)
    dialect = db.get_bind().dialect.name
    statement = _readable_rows(dialect, terms, viewer)
    if language is not None:
        statement = statement.where(Article.language == language)
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
    cuts = engines.snippets(db, dialect, terms, [row.id for row in found])
    hits = [SearchHit(articles[r.article_id], highlight(cuts.get(r.id, "")), float(r.score)) for r in found]
    return Page(hits, page, size, len(ranked), more=more)


def _readable_rows(dialect: str, terms: list[str], viewer: Viewer) -> Select[int, int, float, datetime]:
    """The readable rows of published articles that hold every term, newest first."""
    # Rows leave the index as built from the article's current body and audience, or not at all.
    current = and_(
        SearchSource.article_id == Article.id,
        SearchSource.body == Article.body,
        SearchSource.audience == Article.audience,
    )
    return (
        engines.matching_rows(dialect, terms)
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
