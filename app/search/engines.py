"""The database-specific half of search: SQLite FTS5 and PostgreSQL full-text search.

Each engine finds the rows holding every term, scores them and cuts snippets. Scores come from
the row's own text only (how often and where the terms occur), never from statistics over the
whole index: those would count gated rows too, and the order of a visitor's results would then
depend on text the visitor may not read. This is why SQLite does not use `bm25()` here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Integer,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.search.models import SearchEntry
from app.search.schema import DOCUMENT_COLUMN, FTS_TABLE, TEXT_SEARCH_CONFIG
from app.search.sections import MARK_END, MARK_START

SNIPPET_TOKENS = 32
TITLE_WEIGHT = 1.0
BODY_WEIGHT = 0.4
# A body this many characters long counts its matches half as much as a very short one.
BODY_LENGTH_SCALE = 4000.0
HEADLINE_OPTIONS = (
    f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, MinWords=15, ShortWord=0, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)

_fts = table(FTS_TABLE, column("rowid", Integer))
_fts_name: ColumnClause[Any] = literal_column(FTS_TABLE)
_document: ColumnClause[Any] = literal_column(f"search_entry.{DOCUMENT_COLUMN}")
_config: ColumnClause[Any] = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")


def matching_rows(dialect: str, terms: list[str]) -> Select[int, int, float]:
    """Rows of `search_entry` holding every term: (id, article_id, score), unfiltered."""
    if dialect == "sqlite":
        return _sqlite_rows(terms)
    if dialect == "postgresql":
        return _postgresql_rows(terms)
    raise NotImplementedError(f"no search engine for {dialect}")


def newest_first(dialect: str) -> ColumnElement[int]:
    """The order that reads matches from the most recently indexed, as the index stores them."""
    # FTS5 walks its rowids backwards itself, so a LIMIT stops the scan (and the scoring) early.
    return _rowid().desc() if dialect == "sqlite" else SearchEntry.id.desc()


def snippets(db: Session, dialect: str, terms: list[str], entry_ids: list[int]) -> dict[int, str]:
    """Snippets of these rows' bodies around the terms, matches between the highlight sentinels."""
    if not entry_ids:
        return {}
    if dialect == "sqlite":
        cut = func.snippet(_fts_name, literal_column("1"), MARK_START, MARK_END, "…", SNIPPET_TOKENS)
        query = select(_rowid(), cut).where(_sqlite_match(terms), _rowid().in_(entry_ids))
    else:
        headline = func.ts_headline(_config, SearchEntry.body, _tsquery(terms), HEADLINE_OPTIONS)
        query = select(SearchEntry.id, headline).where(SearchEntry.id.in_(entry_ids))
    return {entry_id: text or "" for entry_id, text in db.execute(query)}


def _rowid() -> ColumnElement[int]:
    return _fts.c.rowid


def _sqlite_match(terms: list[str]) -> ColumnElement[bool]:
    # Each term becomes an FTS5 string: inside double quotes no operator or syntax applies, and
    # the terms (letters and digits only) cannot contain a quote.
    return _fts_name.match(" ".join(f'"{term}"' for term in terms))


def _sqlite_rows(terms: list[str]) -> Select[int, int, float]:
    title_hits = _hits(0, SearchEntry.title)
    body_hits = _hits(1, SearchEntry.body)
    damping = 1.0 + func.length(SearchEntry.body) / BODY_LENGTH_SCALE
    score = TITLE_WEIGHT * title_hits + BODY_WEIGHT * body_hits / damping
    return (
        select(SearchEntry.id, SearchEntry.article_id, score.label("score"))
        .select_from(_fts)
        .join(SearchEntry, SearchEntry.id == _rowid())
        .where(_sqlite_match(terms))
    )


def _hits(column: int, text: InstrumentedAttribute[str]) -> ColumnElement[float]:
    """How many matches FTS5 marks in one column: the characters `highlight()` adds, one each."""
    marked = func.highlight(_fts_name, literal_column(str(column)), MARK_START, "")
    return func.length(marked) - func.length(text)


def _tsquery(terms: list[str]) -> ColumnElement[object]:
    # plainto_tsquery reads plain words and ANDs them; it has no operators to inject.
    return func.plainto_tsquery(_config, " ".join(terms))


def _postgresql_rows(terms: list[str]) -> Select[int, int, float]:
    query = _tsquery(terms)
    # Normalisation 1 divides by 1 + log(length), so long articles do not win on length alone.
    score = func.ts_rank(_document, query, 1)
    return select(SearchEntry.id, SearchEntry.article_id, score.label("score")).where(
        _document.bool_op("@@")(query)
    )
