"""Names of the search objects only one database has, and the filter that hides them from Alembic.

The models declare what both databases share (`search_entry`, `search_source`). The migrations add
an FTS5 table of stems (with its shadow tables and a delete trigger) on SQLite, and a generated
`tsvector` column with a GIN index on PostgreSQL. Autogenerate must not take those for drift.
"""

from __future__ import annotations

from collections.abc import Mapping

FTS_TABLE = "search_entry_fts"
FTS_TABLES = frozenset(
    {FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config"))}
)
DOCUMENT_COLUMN = "document"
DOCUMENT_INDEX = "ix_search_entry_document"


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic `include_name` hook: False for the search objects that exist on one database only."""
    if type_ == "table":
        return name not in FTS_TABLES
    if type_ == "column" and parent_names.get("table_name") == "search_entry":
        return name != DOCUMENT_COLUMN
    if type_ == "index":
        return name != DOCUMENT_INDEX
    return True
