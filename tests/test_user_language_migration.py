"""The migrations that give people and articles a language give every existing row the site's
default: the one `portal db upgrade` passes, else PORTAL_DEFAULT_LANGUAGE, else English."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.core import migrations
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)

BEFORE = "5c1e0a7d9b42"
AFTER = "7b2d4f6a8c13"
ARTICLES = "3f6b2a9c1d57"


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


def _add_person_and_article(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO user_account (id, email, password_hash, full_name, role, created_at)"
                " VALUES (1, 'anna@example.org', '!', 'Anna', 'member', '2026-12-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO article (id, slug, title, summary, body, audience, author_name, hero_alt,"
                " featured, status, created_at, updated_at, version) VALUES (1, 'sleep', 'Sleep', '',"
                " '', '', '', '', false, 'draft', '2026-12-01', '2026-12-01', 1)"
            )
        )
    engine.dispose()


def _languages(url: str) -> tuple[str, str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        person = connection.scalar(text("SELECT language FROM user_account WHERE id = 1"))
        article = connection.scalar(text("SELECT language FROM article WHERE id = 1"))
    engine.dispose()
    return person, article


def test_the_default_language_passed_to_the_upgrade_wins_over_the_environment(
    empty_database: str,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What `portal db upgrade` passes is the checked setting; a stray variable does not matter.
    monkeypatch.setenv("PORTAL_DEFAULT_LANGUAGE", "fr")
    migrations.upgrade(empty_database, BEFORE)
    _add_person_and_article(empty_database)
    migrations.upgrade(empty_database, ARTICLES, default_language="de")
    assert _languages(empty_database) == ("de", "de")


def test_without_a_default_language_existing_rows_are_english(
    empty_database: str,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The migrations read no other setting, so one the site would refuse does not stop them.
    monkeypatch.delenv("PORTAL_DEFAULT_LANGUAGE", raising=False)
    monkeypatch.setenv("PORTAL_PAGE_SIZE", "lots")
    migrations.upgrade(empty_database, BEFORE)
    _add_person_and_article(empty_database)
    migrations.upgrade(empty_database, ARTICLES)
    assert _languages(empty_database) == ("en", "en")
