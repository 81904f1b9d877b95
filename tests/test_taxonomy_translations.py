"""Editors give categories and tags their names (and a category its description) in each other
language the site speaks; German pages, feeds and share metadata show them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles.models import Category, Tag
from app.core import migrations
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup
from tests.test_migrations import empty_database  # noqa: F401  (the fixture, on both databases)
from tests.test_staff_german import log_in_german

DESCRIPTION = "Depression, anxiety and how the body takes part."
BESCHREIBUNG = "Depression, Angst und wie der Körper daran beteiligt ist."


@pytest.fixture
def session(bilingual_app: FastAPI) -> Iterator[Session]:
    db = bilingual_app.state.session_factory()
    yield db
    db.close()


def stored(db: Session, model: type[Category] | type[Tag], slug: str) -> Category | Tag:
    db.expire_all()
    return db.scalars(select(model).where(model.slug == slug)).one()


def test_an_editor_names_a_category_and_a_tag_in_german_and_german_pages_show_it(
    bilingual: TestClient, session: Session, settings: Settings
) -> None:
    factories.article(
        session, title="Entzündung und Stimmung", slug="entzuendung", language="de", tags=["Inflammation"]
    )
    log_in_german(bilingual, factories.staff(session, settings, role=Role.EDITOR))
    category = stored(session, Category, "mental-health")
    page = f"/en/admin/categories/{category.id}"
    form = soup(bilingual.get(page).text)
    field = form.select_one("input#name_de")
    assert field is not None and field["lang"] == "de"
    assert field.find_parent("fieldset").legend.get_text(strip=True) == "In German"

    # Too long: refused beside its field, with everything typed kept.
    typed = {"name": "Mental health", "slug": "mental-health", "description": DESCRIPTION}
    german = {"name_de": "Psychische Gesundheit", "description_de": BESCHREIBUNG}
    refused = submit(bilingual, page, {**typed, **german, "name_de": "P" * 121})
    assert refused.status_code == 422
    again = soup(refused.text)
    assert "Keep the name to 120 characters" in page_text(again.select_one("#name_de-error").decode())
    assert again.select_one("textarea#description_de").get_text() == BESCHREIBUNG
    assert stored(session, Category, "mental-health").translations == {}

    submit(bilingual, page, {**typed, **german})
    assert stored(session, Category, "mental-health").translations == {
        "de": {"name": "Psychische Gesundheit", "description": BESCHREIBUNG}
    }
    tag = stored(session, Tag, "inflammation")
    tag_page = f"/en/admin/tags/{tag.id}"
    submit(bilingual, tag_page, {"name": "Inflammation", "slug": "inflammation", "name_de": "Entzündung"})
    assert stored(session, Tag, "inflammation").translations == {"de": {"name": "Entzündung"}}
    # Emptied, the German name is gone and German pages show the English one again.
    submit(bilingual, tag_page, {"name": "Inflammation", "slug": "inflammation", "name_de": ""})
    assert stored(session, Tag, "inflammation").translations == {}
    submit(bilingual, tag_page, {"name": "Inflammation", "slug": "inflammation", "name_de": "Entzündung"})

    shown = soup(bilingual.get("/de/categories/mental-health").text)
    assert shown.h1.get_text() == "Psychische Gesundheit"
    assert shown.select_one(".lede").get_text() == BESCHREIBUNG
    english = soup(bilingual.get("/en/categories/mental-health").text)
    assert (english.h1.get_text(), english.select_one(".lede").get_text()) == ("Mental health", DESCRIPTION)
    assert soup(bilingual.get("/de/tags/inflammation").text).h1.get_text() == "Entzündung"
    listing = soup(bilingual.get("/de/articles").text)
    assert [a.get_text() for a in listing.select(".card__category")] == ["Psychische Gesundheit"]
    article = soup(bilingual.get("/de/articles/entzuendung").text)
    assert article.select_one(".eyebrow a").get_text() == "Psychische Gesundheit"
    assert [a.get_text() for a in article.select("a.tag")] == ["Entzündung"]
    assert article.select_one("meta[property='article:section']")["content"] == "Psychische Gesundheit"
    assert article.select_one("meta[property='article:tag']")["content"] == "Entzündung"
    feed = bilingual.get("/de/feed.xml").text
    assert 'label="Psychische Gesundheit"' in feed and 'label="Entzündung"' in feed
    sitemap = bilingual.get("/sitemap.xml").text
    assert "/de/categories/mental-health</loc>" in sitemap and "/de/tags/inflammation</loc>" in sitemap


def test_a_site_in_one_language_asks_for_no_other_names(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, tags=["Sleep"])
    editor = factories.staff(db, settings, role=Role.EDITOR)
    login(client, editor.email, factories.PASSWORD)
    page = soup(client.get(f"/admin/tags/{stored(db, Tag, 'sleep').id}").text)
    assert [field["name"] for field in page.select("form input[type=text]")] == ["name", "slug"]


def test_names_stored_before_descriptions_were_translated_keep_their_language(
    empty_database: str,  # noqa: F811  (the fixture imported above)
) -> None:
    migrations.upgrade(empty_database, "3f6b2a9c1d57")
    engine = create_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO category (id, slug, name, description, translations)"
                " VALUES (1, 'immunology', 'Immunology', '', '{\"de\": \"Immunologie\"}')"
            )
        )

    def stored_translations() -> object:
        with engine.connect() as connection:
            value = connection.scalar(text("SELECT translations FROM category WHERE id = 1"))
        return json.loads(value) if isinstance(value, str) else value  # PostgreSQL's driver decodes JSON

    migrations.upgrade(empty_database)
    assert stored_translations() == {"de": {"name": "Immunologie"}}
    migrations.downgrade(empty_database, "3f6b2a9c1d57")
    assert stored_translations() == {"de": "Immunologie"}
    engine.dispose()
