"""Full-text search over articles, with gated text indexed apart and filtered by the access rule.

Each article is indexed as rows: one for its public text (title, summary and the body a visitor
reads) and one per distinct audience of its gated text. A query only ever reaches the rows the
viewer may read, so counts, order and snippets say nothing of the rest. SQLite searches with an
FTS5 table, PostgreSQL with a generated `tsvector` column; both are made by the migration.
"""
