"""Reading in two languages: each language's pages list its own articles, an article's address in
the other language leads to its translation or shows it with a notice, and gates stay as declared."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.articles.models import Article, ArticleStatus, Category
from app.core.config import Settings
from app.core.policy import Profession
from app.demo import seed
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup
from tests.crawl import crawl, normalise
from tests.test_demo import gated_passages

GATED = "::: professional physician\nDosierung nur für Ärztinnen und Ärzte.\n:::\n"


@pytest.fixture
def pair(db: Session) -> tuple[Article, Article]:
    """An English article and its German translation, in a category with a German name."""
    english = factories.article(
        db,
        title="Sleep and mood",
        slug="sleep-and-mood",
        tags=["Sleep"],
        featured=True,
        category="Wellbeing",
        body="Sleep shapes mood; melatonin too.",
    )
    german = factories.article(
        db,
        title="Schlaf und Stimmung",
        slug="schlaf-und-stimmung",
        tags=["Sleep"],
        featured=True,
        category="Wellbeing",
        language="de",
        translation_of=english,
        body="Schlaf prägt die Stimmung, Melatonin auch.\n\n" + GATED,
    )
    category = english.category
    assert isinstance(category, Category)
    category.translations = {"de": {"name": "Wohlbefinden"}}
    db.commit()
    return english, german


def titles(client: TestClient, path: str) -> set[str]:
    page = client.get(path)
    assert page.status_code == 200, path
    return {card.get_text(strip=True) for card in soup(page.text).select(".card__title")}


@pytest.mark.parametrize(
    "path",
    ["/{}/", "/{}/articles", "/{}/categories/wellbeing", "/{}/tags/sleep", "/{}/search?q=melatonin"],
)
def test_each_languages_pages_list_their_own_articles(
    bilingual: TestClient, pair: tuple[Article, Article], path: str
) -> None:
    english = titles(bilingual, path.format("en"))
    german = titles(bilingual, path.format("de"))
    assert "Sleep and mood" in english
    assert "Schlaf und Stimmung" in german
    assert "Schlaf und Stimmung" not in english
    assert "Sleep and mood" not in german


def test_the_feed_of_each_language_holds_its_own_articles(
    bilingual: TestClient, pair: tuple[Article, Article]
) -> None:
    assert "Schlaf und Stimmung" in bilingual.get("/de/feed.xml").text
    assert "Sleep and mood" not in bilingual.get("/de/feed.xml").text
    assert "Schlaf und Stimmung" not in bilingual.get("/en/feed.xml").text


def test_german_pages_name_categories_in_german(bilingual: TestClient, pair: tuple[Article, Article]) -> None:
    assert soup(bilingual.get("/de/categories/wellbeing").text).h1.get_text(strip=True) == "Wohlbefinden"  # type: ignore[union-attr]
    assert soup(bilingual.get("/en/categories/wellbeing").text).h1.get_text(strip=True) == "Wellbeing"  # type: ignore[union-attr]
    article = soup(bilingual.get("/de/articles/schlaf-und-stimmung").text)
    assert article.select_one(".eyebrow a").get_text(strip=True) == "Wohlbefinden"  # type: ignore[union-attr]


def test_an_article_in_the_other_languages_address_leads_to_its_translation(
    bilingual: TestClient, pair: tuple[Article, Article]
) -> None:
    to_german = bilingual.get("/de/articles/sleep-and-mood", follow_redirects=False)
    assert (to_german.status_code, to_german.headers["location"]) == (302, "/de/articles/schlaf-und-stimmung")
    to_english = bilingual.get("/en/articles/schlaf-und-stimmung", follow_redirects=False)
    assert (to_english.status_code, to_english.headers["location"]) == (302, "/en/articles/sleep-and-mood")


def test_an_article_without_a_translation_is_shown_in_its_language_with_a_notice(
    bilingual: TestClient, db: Session
) -> None:
    factories.article(db, title="Only in English", slug="only-in-english", body="Plain English text.")
    page = bilingual.get("/de/articles/only-in-english")
    assert page.status_code == 200
    html = soup(page.text)
    assert html.html["lang"] == "de"  # type: ignore[index]
    notice = html.select_one(".flash")
    assert notice is not None
    assert "Dieser Artikel liegt noch nicht auf Deutsch vor" in notice.get_text(" ", strip=True)
    links = {a["href"] for a in notice.select("a")}
    assert links == {"/en/articles/only-in-english", "/de/articles"}
    assert html.h1["lang"] == "en"  # type: ignore[index]
    prose = html.select_one(".prose")
    assert prose is not None and prose["lang"] == "en" and "Plain English text." in prose.get_text()
    # One article, one address for search engines: its own language's.
    canonical = html.select_one('link[rel="canonical"]')
    assert canonical is not None and canonical["href"] == "http://127.0.0.1:8000/en/articles/only-in-english"
    # In its own language, no notice and no second language marked.
    own = soup(bilingual.get("/en/articles/only-in-english").text)
    assert own.select_one(".flash") is None and not own.h1.has_attr("lang")  # type: ignore[union-attr]


def test_an_articles_alternates_are_its_translations(
    bilingual: TestClient, pair: tuple[Article, Article]
) -> None:
    html = soup(bilingual.get("/en/articles/sleep-and-mood").text)
    alternates = {link["hreflang"]: link["href"] for link in html.select('link[rel="alternate"][hreflang]')}
    assert alternates["en"] == "http://127.0.0.1:8000/en/articles/sleep-and-mood"
    assert alternates["de"] == "http://127.0.0.1:8000/de/articles/schlaf-und-stimmung"


def test_an_unpublished_translation_is_neither_a_target_nor_an_alternate(
    bilingual: TestClient, db: Session, pair: tuple[Article, Article]
) -> None:
    english, german = pair
    german.status = german.status.DRAFT
    db.commit()
    page = bilingual.get("/de/articles/sleep-and-mood", follow_redirects=False)
    assert page.status_code == 200 and "Schlaf" not in page.text
    assert bilingual.get("/de/articles/schlaf-und-stimmung").status_code == 404
    html = soup(bilingual.get("/en/articles/sleep-and-mood").text)
    assert not html.select('link[rel="alternate"][hreflang="de"]')


def test_a_translations_gated_block_is_hidden_from_a_visitor_and_shown_to_its_profession(
    bilingual_app: FastAPI,
    bilingual: TestClient,
    db: Session,
    settings: Settings,
    pair: tuple[Article, Article],
) -> None:
    visitor = page_text(bilingual.get("/de/articles/schlaf-und-stimmung").text)
    assert "Schlaf prägt die Stimmung, Melatonin auch." in visitor
    assert "Dosierung" not in visitor
    for profession, shown in ((Profession.THERAPIST, False), (Profession.PHYSICIAN, True)):
        person = factories.applicant(db, settings, state=RequestState.APPROVED, profession=profession).user
        with TestClient(bilingual_app) as browser:
            login(browser, person.email, factories.PASSWORD)
            text = page_text(browser.get("/de/articles/schlaf-und-stimmung").text)
            assert ("Dosierung nur für Ärztinnen und Ärzte." in text) is shown, profession
            hub = page_text(browser.get("/de/professional").text)
            assert ("Schlaf und Stimmung" in hub) is shown, profession
            assert "Sleep and mood" not in hub


def test_a_visitors_crawl_from_the_home_pages_reaches_german_articles_and_no_gated_text(
    bilingual: TestClient, pair: tuple[Article, Article]
) -> None:
    pages = dict(crawl(bilingual, ("/de/", "/en/"), limit=200))
    assert "/de/articles/schlaf-und-stimmung" in pages
    assert "/en/articles/sleep-and-mood" in pages
    secret = normalise("Dosierung nur für Ärztinnen und Ärzte.")
    leaked = [path for path, body in pages.items() if secret in normalise(body)]
    assert not leaked


def test_no_gated_text_of_the_german_demo_reaches_a_visitor_on_the_german_pages(
    settings: Settings, bilingual: TestClient, db: Session
) -> None:
    seed.load_into_empty(settings)
    german = db.scalars(select(Article).where(Article.language == "de")).unique().all()
    public = {normalise(a.body) for a in german if not gated_passages(a)}
    secrets = {(a.slug, p) for a in german for p in gated_passages(a) if not any(p in t for t in public)}
    assert len(secrets) >= 20
    # From the German home page alone: the listings must lead to every German article.
    pages = dict(crawl(bilingual, ("/de/", "/de/articles?page=2", "/de/articles?page=3"), limit=300))
    published = {f"/de/articles/{a.slug}" for a in german if a.status == ArticleStatus.PUBLISHED}
    assert len(published) >= 8 and published <= set(pages)
    for path, body in pages.items():
        text = normalise(body)
        leaked = [(slug, passage[:60]) for slug, passage in secrets if passage in text]
        assert not leaked, f"{path} shows gated text: {leaked}"
