"""Search stems each language's words its own way and lists the reader's language first."""

from __future__ import annotations

from bs4 import Tag
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core.config import Settings
from app.core.policy import Profession
from app.demo import seed
from app.publishing.importer import import_file
from app.search import stemming
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup

GERMAN_BODY = """Eine Entzündung der Nerven verstärkt die Depression; ein Spaziergang an der Straße hilft.

::: professional
Dosierung: zweimal täglich Zorbulat bei schwerer Müdigkeit.
:::
"""


def results(client: TestClient, path: str, query: str) -> list[Tag]:
    """The results listed on a search page in this language."""
    response = client.get(path, params={"q": query})
    assert response.status_code == 200
    return soup(response.text).select(".search-result")


def titles(found: list[Tag]) -> list[str]:
    return [page_text(str(hit.select_one(".card__title"))) for hit in found]


def marks(found: list[Tag]) -> list[str]:
    return [mark.get_text() for hit in found for mark in hit.select("mark")]


def test_each_language_has_its_stemmer_and_others_fall_back_to_none() -> None:
    assert stemming.text_config("de") == "german"
    assert stemming.text_config("en") == "english"
    # Another site language is stemmed too, where both databases know its stemmer.
    assert stemming.text_config("fr") == "french"
    assert stemming.text_config("et") == "simple"  # Snowball has Estonian, PostgreSQL has not
    assert stemming.text_config("xx") == "simple"
    assert stemming.stems("Entzündungen der Straße", "german") == ["entzund", "der", "strass"]
    assert stemming.stems("Inflammation, STUDIES", "english") == ["inflamm", "studi"]
    assert stemming.stems("Entzündungen", "simple") == ["entzundungen"]


def test_an_inflected_german_word_finds_the_german_article(bilingual: TestClient, db: Session) -> None:
    factories.article(db, slug="nerven", title="Depression im Alter", body=GERMAN_BODY, language="de")
    for query, marked in [
        ("Depressionen", ["Depression"]),
        ("Entzündungen", ["Entzündung"]),
        ("entzundung", ["Entzündung"]),
        ("Strasse", ["Straße"]),
    ]:
        found = results(bilingual, "/de/search", query)
        assert titles(found) == ["Depression im Alter"], query
        assert marks(found) == marked, query


def test_english_words_are_stemmed_the_english_way(bilingual: TestClient, db: Session) -> None:
    factories.article(db, title="Joint care", body="Inflammation of the joints, and studies of it.")
    for query in ("inflammations", "joint", "study"):
        assert titles(results(bilingual, "/en/search", query)) == ["Joint care"], query
    # As PostgreSQL's english configuration: the adjective has a stem of its own.
    assert results(bilingual, "/en/search", "inflammatory") == []
    assert marks(results(bilingual, "/en/search", "studied joint")) == ["joints", "studies"]


def test_the_readers_language_is_searched_first_then_the_others(bilingual: TestClient, db: Session) -> None:
    factories.article(db, slug="melatonin-en", title="Melatonin and sleep", body="Melatonin at night.")
    factories.article(
        db,
        slug="melatonin-de",
        title="Melatonin und Schlaf",
        body="Melatonin bei Schlafstörungen.",
        language="de",
    )
    # Where the reader's language has matches, only those are listed.
    assert titles(results(bilingual, "/en/search", "melatonin")) == ["Melatonin and sleep"]
    assert titles(results(bilingual, "/de/search", "melatonin")) == ["Melatonin und Schlaf"]
    # Where it has none, the other language's matches are, marked with their language.
    page = soup(bilingual.get("/en/search", params={"q": "Schlafstörung"}).text)
    assert "No articles in English match “Schlafstörung”. These in German do." in page_text(str(page))
    found = page.select(".search-result")
    assert titles(found) == ["Melatonin und Schlaf"]
    title = found[0].select_one(".card__title")
    assert title is not None and title["lang"] == "de"
    assert title.a is not None and title.a["href"] == "/de/articles/melatonin-de"
    snippet = found[0].select_one(".search-result__snippet")
    assert snippet is not None and snippet["lang"] == "de" and marks(found) == ["Schlafstörungen"]
    assert "German" in page_text(str(found[0]))
    assert soup(bilingual.get("/en/search", params={"q": "walrus"}).text).select(".search-result") == []


def test_a_gated_german_passage_reaches_only_its_readers(
    bilingual: TestClient, db: Session, bilingual_settings: Settings
) -> None:
    factories.article(db, slug="nerven", title="Depression im Alter", body=GERMAN_BODY, language="de")
    for path in ("/de/search", "/en/search"):
        assert results(bilingual, path, "Dosierungen") == []
        found = results(bilingual, path, "Depressionen")
        assert titles(found) == ["Depression im Alter"]
        text = " ".join(page_text(str(hit)) for hit in found)
        assert "Zorbulat" not in text and "Dosierung" not in text
    applicant = factories.applicant(
        db, bilingual_settings, state=RequestState.APPROVED, profession=Profession.PHYSICIAN
    )
    login(bilingual, applicant.user.email, factories.PASSWORD)
    assert marks(results(bilingual, "/de/search", "Dosierungen")) == ["Dosierung"]


def test_the_demos_german_article_is_found_by_its_inflected_words(
    bilingual: TestClient, db: Session, bilingual_settings: Settings
) -> None:
    name = "01-addressing-immunity-in-depression.md"
    for path in (seed.DEMO_ARTICLES / name, seed.DEMO_ARTICLES / "de" / name):
        import_file(db, path, media_dir=bilingual_settings.media_dir)
    db.commit()
    for query in ("Depressionen", "Entzündung", "stresshormon"):
        assert titles(results(bilingual, "/de/search", query)) == ["Depression und Immunsystem"], query
