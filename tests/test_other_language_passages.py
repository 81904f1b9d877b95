"""Text in another language than the page's carries its own `lang`, so that screen readers speak
it, and browsers hyphenate and check it, in that language; the page's own text carries none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import Tag as Element
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles.models import Article, Category
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import soup
from tests.test_staff_german import log_in_german

GATED = "Open words.\n\n::: professional physician\nDosing for physicians.\n:::\n"


@pytest.fixture
def session(bilingual_app: FastAPI) -> Iterator[Session]:
    db = bilingual_app.state.session_factory()
    yield db
    db.close()


def lang(element: Element | None) -> str | None:
    assert element is not None
    value = element.get("lang")
    return value if isinstance(value, str) or value is None else " ".join(value)


def test_a_german_article_marks_its_english_references_and_the_language_switch_its_languages(
    bilingual: TestClient, session: Session
) -> None:
    references = [
        factories.reference(
            "raison2006", title="Cytokines sing the blues", journal="Trends Immunol", language="en"
        ),
        factories.reference("ahrens2019", title="Schlaf und Immunsystem", journal="Dtsch Arztebl"),
    ]
    factories.article(
        session,
        slug="zytokine",
        title="Zytokine",
        language="de",
        body="Text[^raison2006][^ahrens2019].",
        references=references,
    )
    page = soup(bilingual.get("/de/articles/zytokine").text)
    english, german = page.select(".references li")
    assert [lang(english.select_one(".references__title")), lang(english.cite)] == ["en", "en"]
    assert [lang(german.select_one(".references__title")), lang(german.cite)] == [None, None]
    switch = {a.get_text(strip=True): lang(a) for a in page.select(".language-switch a")}
    assert switch == {"English": "en", "Deutsch": "de"}


def test_an_english_article_on_german_pages_marks_its_own_text_and_nothing_else(
    bilingual: TestClient, session: Session
) -> None:
    factories.article(
        session, slug="dosing", title="Dosing", body=GATED, category="Immunology", tags=["Sleep"]
    )
    factories.article(session, slug="sleep", title="Sleep", category="Immunology", tags=["Sleep"])
    page = soup(bilingual.get("/de/articles/dosing").text)
    assert lang(page.h1) == "en" and lang(page.select_one(".prose")) == "en"
    # The panel in place of the gated part speaks the page's language, inside the English text.
    assert lang(page.select_one(".prose .locked-panel")) == "de"
    card = page.select_one(".related .card")
    assert lang(card.select_one(".card__title")) == "en" and lang(card.select_one(".card__summary")) == "en"
    assert lang(page.select_one(".related .card-grid")) is None  # its dates and badges are German
    # The category has no German name yet: its English one is marked as English.
    assert lang(card.select_one(".card__category")) == "en"
    assert lang(page.select_one(".eyebrow a")) == "en"
    assert lang(page.select_one("a.tag")) == "en"


def test_a_category_with_a_german_name_is_not_marked_on_german_pages(
    bilingual: TestClient, session: Session
) -> None:
    article = factories.article(session, slug="schlaf", title="Schlaf", language="de", category="Immunology")
    category = article.category
    assert isinstance(category, Category)
    category.translations = {"de": {"name": "Immunologie"}}
    session.commit()
    page = soup(bilingual.get("/de/categories/immunology").text)
    assert page.h1.get_text() == "Immunologie" and lang(page.h1) is None
    assert lang(page.select_one(".card__title")) is None
    english = soup(bilingual.get("/en/categories/immunology").text)
    assert english.h1.get_text() == "Immunology" and lang(english.h1) is None


def test_staff_pages_in_english_mark_the_titles_and_text_of_german_articles(
    bilingual: TestClient, session: Session, settings: Settings
) -> None:
    german: Article = factories.article(session, slug="schlaf", title="Schlaf", language="de")
    log_in_german(bilingual, factories.staff(session, settings, role=Role.EDITOR))
    listing = soup(bilingual.get("/en/admin/articles").text)
    link = listing.find("a", string="Schlaf")
    assert isinstance(link, Element) and lang(link) == "de"
    editor = soup(bilingual.get(f"/en/admin/articles/{german.id}").text)
    assert [lang(editor.select_one(f"#{name}")) for name in ("title", "summary", "body", "hero_alt")] == [
        "de"
    ] * 4
    assert lang(editor.select_one("#slug")) is None
