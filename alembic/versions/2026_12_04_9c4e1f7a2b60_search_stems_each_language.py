"""search stems each language: a text search configuration per row, stems in SQLite's index

Revision ID: 9c4e1f7a2b60
Revises: 4d8a0e6b3f15
Create Date: 2026-12-04 16:45:00.000000

Each search row names the text search configuration of its article's language (`config`,
from `app.search.stemming`). PostgreSQL builds the generated `document` with it; SQLite's FTS5
table now holds the rows' stems, written by the application (SQLite has no Snowball stemmers),
so only its delete trigger is left. The rows indexed so far are indexed again here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.search.stemming import NO_STEMMING, stems, text_config

# revision identifiers, used by Alembic.
revision: str = "9c4e1f7a2b60"
down_revision: str | Sequence[str] | None = "4d8a0e6b3f15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = "setweight(to_tsvector({config}, title), 'A') || setweight(to_tsvector({config}, body), 'B')"
DOCUMENT_INDEX = "ix_search_entry_document"

SQLITE_STEMS = [
    """CREATE VIRTUAL TABLE search_entry_fts USING fts5(
        title, body, tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN
        DELETE FROM search_entry_fts WHERE rowid = old.id;
    END""",
]
# The index before: FTS5 over search_entry itself, kept by triggers, English stems for all.
SQLITE_WORDS = [
    """CREATE VIRTUAL TABLE search_entry_fts USING fts5(
        title, body, content='search_entry', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_entry_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_entry_fts(search_entry_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_entry_fts(search_entry_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_entry_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_context().dialect.name == "postgresql":
        _postgresql_document(None)
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS search_entry_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS search_entry_fts")
    op.add_column(
        "search_entry", sa.Column("config", sa.String(length=32), server_default="simple", nullable=False)
    )
    for statement in SQLITE_STEMS:
        op.execute(statement)
    _sqlite_stems()


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_context().dialect.name == "postgresql":
        _postgresql_document("english")
        return
    op.execute("DROP TRIGGER IF EXISTS search_entry_fts_delete")
    op.execute("DROP TABLE IF EXISTS search_entry_fts")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.drop_column("config")
    for statement in SQLITE_WORDS:
        op.execute(statement)


def _postgresql_document(fixed: str | None) -> None:
    """Build `document` with each row's configuration, or with `fixed` for all (and no column)."""
    op.drop_index(DOCUMENT_INDEX, table_name="search_entry")
    op.drop_column("search_entry", "document")
    if fixed is None:
        op.add_column(
            "search_entry",
            sa.Column("config", postgresql.REGCONFIG(), server_default="simple", nullable=False),
        )
        op.execute(
            f"UPDATE search_entry SET config = ({_config_of('article.language')})::regconfig "  # noqa: S608 (constants)
            "FROM article WHERE article.id = search_entry.article_id"
        )
        config = "config"
    else:
        op.drop_column("search_entry", "config")
        config = f"'{fixed}'::regconfig"
    document = sa.Computed(DOCUMENT.format(config=config), persisted=True)
    op.add_column("search_entry", sa.Column("document", postgresql.TSVECTOR(), document))
    op.create_index(DOCUMENT_INDEX, "search_entry", ["document"], postgresql_using="gin")


def _sqlite_stems() -> None:
    """Give each stored row its article's configuration and index its stems."""
    connection = op.get_bind()
    op.execute(
        f"UPDATE search_entry SET config = {_config_of('article.language')} "  # noqa: S608 (constants)
        "FROM article WHERE article.id = search_entry.article_id"
    )
    rows = connection.execute(sa.text("SELECT id, config, title, body FROM search_entry"))
    stemmed: dict[tuple[str, str], str] = {}  # copies of one text (generated articles) stemmed once

    def terms(text: str, config: str) -> str:
        if (text, config) not in stemmed:
            stemmed[text, config] = " ".join(stems(text, config))
        return stemmed[text, config]

    insert = sa.text("INSERT INTO search_entry_fts(rowid, title, body) VALUES (:id, :title, :body)")
    while batch := rows.fetchmany(2000):
        values = [
            {"id": i, "title": terms(title, config), "body": terms(body, config)}
            for i, config, title, body in batch
        ]
        connection.execute(insert, values)


def _config_of(language: str) -> str:
    """SQL naming the configuration of the language in column `language`, as `text_config` does."""
    stored = op.get_bind().execute(sa.text("SELECT DISTINCT language FROM article")).scalars()
    # Language codes are letters (the article form allows only the site's); anything else is skipped.
    codes = [code for code in stored if code and code.isascii() and code.isalpha()]
    if not codes:
        return f"'{NO_STEMMING}'"
    cases = " ".join(f"WHEN '{code}' THEN '{text_config(code)}'" for code in codes)
    return f"CASE {language} {cases} ELSE '{NO_STEMMING}' END"
