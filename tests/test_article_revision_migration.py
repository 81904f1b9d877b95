"""The migration to full revisions keeps the old rows and records each article's current state."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from app.core import migrations
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)

BEFORE = "021d186e78aa"
ROWS = [
    "INSERT INTO category (id, slug, name, description) VALUES (1, 'sleep', 'Sleep', '')",
    "INSERT INTO tag (id, slug, name) VALUES (1, 'mood', 'Mood')",
    "INSERT INTO article (id, slug, title, summary, body, audience, author_name, hero_alt, featured, status,"
    " category_id, published_at, created_at, updated_at) VALUES (1, 'sleep', 'Now', 'S', 'Body now', '',"
    " 'Dr A', '', false, 'published', 1, '2026-01-01 09:00:00', '2026-01-01', '2026-01-02')",
    "INSERT INTO article_tag (article_id, tag_id) VALUES (1, 1)",
    "INSERT INTO reference (article_id, key, authors, title, journal, volume, issue, pages, doi, pmid, url)"
    " VALUES (1, 'k', 'Smith A', 'A study', '', '', '', '', '', '', '')",
    "INSERT INTO article_revision (article_id, number, title, summary, body, audience, references_json,"
    " saved_at) VALUES (1, 1, 'Before', 'S', 'Body before', '', '[]', '2026-01-01')",
]


def test_old_revisions_are_kept_and_the_current_state_becomes_the_latest(
    empty_database: str,  # noqa: F811  (the fixture imported above)
) -> None:
    url = empty_database
    migrations.upgrade(url, BEFORE)
    engine = create_engine(url)
    with engine.begin() as connection:
        for row in ROWS:
            connection.execute(text(row))
    migrations.upgrade(url)
    with engine.connect() as connection:
        version = connection.scalar(text("SELECT version FROM article WHERE id = 1"))
        rows = connection.execute(
            text(
                "SELECT number, title, slug, status, category_name, tags_json, references_json"
                " FROM article_revision ORDER BY number"
            )
        ).all()
    assert version == 2
    assert [(r.number, r.title, r.slug, r.status, r.category_name) for r in rows] == [
        (1, "Before", "sleep", "published", "Sleep"),
        (2, "Now", "sleep", "published", "Sleep"),
    ]
    assert json.loads(rows[1].tags_json) == ["Mood"]
    assert json.loads(rows[1].references_json)[0]["authors"] == "Smith A"

    migrations.downgrade(url, BEFORE)
    with engine.connect() as connection:
        titles = connection.scalars(text("SELECT title FROM article_revision")).all()
    assert titles == ["Before"]
    engine.dispose()
