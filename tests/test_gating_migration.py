"""The migration that stores what articles hold for professionals fills it in for existing rows."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from app.core import migrations
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)

BEFORE = "9c4e1f7a2b60"
BODIES = {
    "open": "Nothing gated.",
    "blocks": "Open.\n\n::: professional physician\nA.\n:::\n\n::: professional prescribers\nB.\n:::\n",
    "whole": "All of it.\n\n::: professional\nAnd a block.\n:::\n",
    "in-code": "```\n::: professional\n```\n",
}
AUDIENCES = {"whole": "psychotherapist therapist"}


def test_existing_articles_get_their_gated_sections_and_professions(
    empty_database: str,  # noqa: F811  (the fixture imported above)
) -> None:
    url = empty_database
    migrations.upgrade(url, BEFORE)
    engine = create_engine(url)
    insert = text(
        "INSERT INTO article (slug, title, summary, body, audience, author_name, hero_alt, featured, status,"
        " language, version, published_at, created_at, updated_at) VALUES (:slug, 'T', 'S', :body,"
        " :audience, '', '', false, 'published', 'en', 1, '2026-01-01', '2026-01-01', '2026-01-01')"
    )
    with engine.begin() as connection:
        for slug, body in BODIES.items():
            connection.execute(insert, {"slug": slug, "body": body, "audience": AUDIENCES.get(slug, "")})
    migrations.upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT slug, gated_sections, gated_professions FROM article"))
        stored = {row.slug: (row.gated_sections, row.gated_professions) for row in rows}
    assert stored == {
        "open": (0, ""),
        "blocks": (2, "dentist pharmacist physician veterinarian"),
        "whole": (0, "psychotherapist therapist"),
        "in-code": (0, ""),
    }
    migrations.downgrade(url, BEFORE)
    engine.dispose()
