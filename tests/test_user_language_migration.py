"""The migration that gives people a language gives every existing account the site's default."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.core import migrations
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)

BEFORE = "5c1e0a7d9b42"
AFTER = "7b2d4f6a8c13"


def test_existing_accounts_get_the_default_language(
    empty_database: str,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTAL_LANGUAGES", "en,de")
    monkeypatch.setenv("PORTAL_DEFAULT_LANGUAGE", "de")
    url = empty_database
    migrations.upgrade(url, BEFORE)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO user_account (id, email, password_hash, full_name, role, created_at)"
                " VALUES (1, 'anna@example.org', '!', 'Anna', 'member', '2026-12-01')"
            )
        )
    migrations.upgrade(url, AFTER)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT language FROM user_account WHERE id = 1")) == "de"
    migrations.downgrade(url, BEFORE)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT full_name FROM user_account WHERE id = 1")) == "Anna"
    engine.dispose()
