"""The database-specific half of search: SQLite FTS5 and PostgreSQL full-text search.

Each engine finds the rows holding every term, scores them and cuts snippets, all in one
language's text search configuration (`stemming.text_config`): PostgreSQL parses the query with
it, and SQLite's index and query hold the stems its Snowball stemmer makes. Scores come from
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
    Text,
    cast,
    column,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from app.search import snippets as cutting
from app.search.models import SearchEntry
from app.search.schema import DOCUMENT_COLUMN, FTS_TABLE
from app.search.sections import MARK_END, MARK_START
from app.search.stemming import stems

SNIPPET_TOKENS = 32
TITLE_WEIGHT = 1.0
BODY_WEIGHT = 0.4
# A body this many characters long counts its matches half as much as a very short one.
BODY_LENGTH_SCALE = 4000.0
HEADLINE_OPTIONS = (
    f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=35, MinWords=15, ShortWord=0, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)

# On SQLite: the stems of each row's title and body, under the row's id.
_fts = table(FTS_TABLE, column("rowid", Integer), column("title", Text), column("body", Text))
_fts_name: ColumnClause[Any] = literal_column(FTS_TABLE)
_document: ColumnClause[Any] = literal_column(f"search_entry.{DOCUMENT_COLUMN}")


def index_terms(db: Session, dialect: str, entries: list[dict[str, Any]]) -> None:
    """Index stored rows (dicts with id, config, title and body); PostgreSQL indexes them itself."""
    if dialect != "sqlite" or not entries:
        return
    stemmed: dict[tuple[str, str], str] = {}  # a bulk load repeats texts: each is stemmed once

    def terms(text: str, config: str) -> str:
        if (text, config) not in stemmed:
            stemmed[text, config] = " ".join(stems(text, config))
        return stemmed[text, config]

    rows = [
        {
            "rowid": entry["id"],
            "title": terms(entry["title"], entry["config"]),
            "body": terms(entry["body"], entry["config"]),
        }
        for entry in entries
    ]
    db.execute(insert(_fts), rows)


def matching_rows(dialect: str, terms: list[str], config: str) -> Select[int, int, float]:
    """Rows of `search_entry` holding every term in `config`: (id, article_id, score), unfiltered."""
    if dialect == "sqlite":
        return _sqlite_rows(_stems(terms, config))
    if dialect == "postgresql":
        return _postgresql_rows(terms, config)
    raise NotImplementedError(f"no search engine for {dialect}")


def newest_first(dialect: str) -> ColumnElement[int]:
    """The order that reads matches from the most recently indexed, as the index stores them."""
    # FTS5 walks its rowids backwards itself, so a LIMIT stops the scan (and the scoring) early.
    return _rowid().desc() if dialect == "sqlite" else SearchEntry.id.desc()


def snippets(
    db: Session, dialect: str, terms: list[str], config: str, entry_ids: list[int]
) -> dict[int, str]:
    """Snippets of these rows' bodies around the terms, matches between the highlight sentinels."""
    if not entry_ids:
        return {}
    if dialect == "sqlite":
        wanted = set(_stems(terms, config))
        bodies = db.execute(select(SearchEntry.id, SearchEntry.body).where(SearchEntry.id.in_(entry_ids)))
        return {entry_id: cutting.cut(body, wanted, config, size=SNIPPET_TOKENS) for entry_id, body in bodies}
    headline = func.ts_headline(_config(config), SearchEntry.body, _tsquery(terms, config), HEADLINE_OPTIONS)
    query = select(SearchEntry.id, headline).where(SearchEntry.id.in_(entry_ids))
    return {entry_id: text or "" for entry_id, text in db.execute(query)}


def _stems(terms: list[str], config: str) -> list[str]:
    return list(dict.fromkeys(stem for term in terms for stem in stems(term, config)))


def _config(config: str) -> ColumnElement[Any]:
    # PostgreSQL only: its dialect is not loaded into a worker that serves SQLite.
    from sqlalchemy.dialects.postgresql import REGCONFIG

    return cast(literal(config, Text), REGCONFIG)


def _rowid() -> ColumnElement[int]:
    return _fts.c.rowid


def _sqlite_match(stems: list[str]) -> ColumnElement[bool]:
    # Each stem becomes an FTS5 string: inside double quotes no operator or syntax applies, and
    # the stems (letters and digits only) cannot contain a quote.
    return _fts_name.match(" ".join(f'"{stem}"' for stem in stems))


def _sqlite_rows(stems: list[str]) -> Select[int, int, float]:
    title_hits = _hits(0, _fts.c.title)
    body_hits = _hits(1, _fts.c.body)
    damping = 1.0 + func.length(SearchEntry.body) / BODY_LENGTH_SCALE
    score = TITLE_WEIGHT * title_hits + BODY_WEIGHT * body_hits / damping
    return (
        select(SearchEntry.id, SearchEntry.article_id, score.label("score"))
        .select_from(_fts)
        .join(SearchEntry, SearchEntry.id == _rowid())
        .where(_sqlite_match(stems))
    )


def _hits(column: int, text: ColumnElement[str]) -> ColumnElement[float]:
    """How many matches FTS5 marks in one column: the characters `highlight()` adds, one each."""
    marked = func.highlight(_fts_name, literal_column(str(column)), MARK_START, "")
    return func.length(marked) - func.length(text)


def _tsquery(terms: list[str], config: str) -> ColumnElement[object]:
    # plainto_tsquery reads plain words and ANDs them; it has no operators to inject.
    return func.plainto_tsquery(_config(config), " ".join(terms))


def _postgresql_rows(terms: list[str], config: str) -> Select[int, int, float]:
    query = _tsquery(terms, config)
    # Normalisation 1 divides by 1 + log(length), so long articles do not win on length alone.
    score = func.ts_rank(_document, query, 1)
    return select(SearchEntry.id, SearchEntry.article_id, score.label("score")).where(
        _document.bool_op("@@")(query)
    )
