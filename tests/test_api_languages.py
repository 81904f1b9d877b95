"""The JSON API on a site in English and German: each article's language, its published
translations and its own page, a filter by language, and category and tag names in every language.

The API's addresses carry no language; what it answers is the same whoever asks (tests/test_api.py
holds the access rule, which is the same here).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleStatus
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import SQLITE_ONLY


@pytest.fixture
def library(db: Session) -> dict[str, Article]:
    """An English article and its German translation; another whose German version is a draft,
    one whose German version is only scheduled; a German original without a translation."""

    def hours_ago(hours: int) -> datetime:
        return utcnow() - timedelta(hours=hours)

    english = factories.article(
        db, slug="sleep-and-mood", title="Sleep and mood", category="Wellbeing", tags=["Sleep", "Mood"],
        published_at=hours_ago(1),
        references=[factories.reference("a", title="An English study")],
    )  # fmt: skip
    german = factories.article(
        db, slug="schlaf-und-stimmung", title="Schlaf und Stimmung", category="Wellbeing", tags=["Sleep"],
        language="de", translation_of=english, published_at=hours_ago(2), body="Text[^a][^b].",
        references=[
            factories.reference("a", title="An English study", language="en"),
            factories.reference("b", title="Eine deutsche Studie"),
        ],
    )  # fmt: skip
    drafted = factories.article(db, slug="fever", title="Fever", published_at=hours_ago(3))
    factories.article(
        db, slug="geheimer-entwurf", language="de", translation_of=drafted, status=ArticleStatus.DRAFT
    )
    scheduled = factories.article(db, slug="cough", title="Cough", published_at=hours_ago(4))
    factories.article(
        db, slug="geplanter-husten", language="de", translation_of=scheduled,
        status=ArticleStatus.SCHEDULED, published_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    only_german = factories.article(
        db, slug="nur-deutsch", title="Nur auf Deutsch", language="de", published_at=hours_ago(5)
    )
    assert english.category is not None
    english.category.translations = {"de": {"name": "Wohlbefinden"}}
    [mood] = [tag for tag in english.tags if tag.slug == "mood"]
    mood.translations = {"de": {"name": "Stimmung"}}
    db.commit()
    return {"english": english, "german": german, "only_german": only_german}


def listed(bilingual: TestClient, query: str = "") -> dict[str, dict[str, object]]:
    answer = bilingual.get(f"/api/v1/articles?page_size=50{query}")
    assert answer.status_code == 200, answer.text
    return {item["slug"]: item for item in answer.json()["items"]}


@pytest.mark.usefixtures("library")
def test_each_article_names_its_language_its_page_and_its_published_translations(
    bilingual: TestClient, bilingual_settings: Settings
) -> None:
    site = bilingual_settings.base_url
    items = listed(bilingual)
    # Every language's articles, as before; unpublished translations are never listed.
    assert list(items) == ["sleep-and-mood", "schlaf-und-stimmung", "fever", "cough", "nur-deutsch"]
    assert {slug: item["language"] for slug, item in items.items()} == {
        "sleep-and-mood": "en",
        "schlaf-und-stimmung": "de",
        "fever": "en",
        "cough": "en",
        "nur-deutsch": "de",
    }
    assert items["sleep-and-mood"]["url"] == f"{site}/en/articles/sleep-and-mood"
    assert items["schlaf-und-stimmung"]["url"] == f"{site}/de/articles/schlaf-und-stimmung"
    assert items["sleep-and-mood"]["translations"] == [
        {"language": "de", "slug": "schlaf-und-stimmung", "url": f"{site}/de/articles/schlaf-und-stimmung"}
    ]
    assert items["schlaf-und-stimmung"]["translations"] == [
        {"language": "en", "slug": "sleep-and-mood", "url": f"{site}/en/articles/sleep-and-mood"}
    ]
    # A draft or scheduled translation is neither named nor linked.
    assert {slug: items[slug]["translations"] for slug in ("fever", "cough", "nur-deutsch")} == dict.fromkeys(
        ("fever", "cough", "nur-deutsch"), []
    )
    text = bilingual.get("/api/v1/articles?page_size=50").text
    assert "geheimer-entwurf" not in text and "geplanter-husten" not in text


@pytest.mark.usefixtures("library")
def test_an_article_read_alone_names_its_language_and_translations_too(
    bilingual: TestClient, bilingual_settings: Settings
) -> None:
    site = bilingual_settings.base_url
    german = bilingual.get("/api/v1/articles/schlaf-und-stimmung").json()
    assert (german["language"], german["url"]) == ("de", f"{site}/de/articles/schlaf-und-stimmung")
    assert german["translations"] == [
        {"language": "en", "slug": "sleep-and-mood", "url": f"{site}/en/articles/sleep-and-mood"}
    ]
    # A reference's language is given when it is not the article's; empty means the article's.
    assert [(ref["title"], ref["language"]) for ref in german["references"]] == [
        ("An English study", "en"),
        ("Eine deutsche Studie", ""),
    ]
    fever = bilingual.get("/api/v1/articles/fever")
    assert fever.json()["translations"] == [] and "geheimer-entwurf" not in fever.text


@pytest.mark.usefixtures("library")
def test_categories_and_tags_are_named_in_every_language_of_the_site(bilingual: TestClient) -> None:
    english = listed(bilingual)["sleep-and-mood"]
    # `name` stays the default language's; a name not translated is the default one in each language.
    assert english["category"] == {
        "slug": "wellbeing",
        "name": "Wellbeing",
        "names": {"en": "Wellbeing", "de": "Wohlbefinden"},
    }
    assert english["tags"] == [
        {"slug": "mood", "name": "Mood", "names": {"en": "Mood", "de": "Stimmung"}},
        {"slug": "sleep", "name": "Sleep", "names": {"en": "Sleep", "de": "Sleep"}},
    ]


@pytest.mark.usefixtures("library")
def test_the_list_can_be_kept_to_one_language_across_its_pages(bilingual: TestClient) -> None:
    assert list(listed(bilingual, "&language=de")) == ["schlaf-und-stimmung", "nur-deutsch"]
    assert list(listed(bilingual, "&language=en")) == ["sleep-and-mood", "fever", "cough"]
    first = bilingual.get("/api/v1/articles?language=en&page_size=2").json()
    assert first["total"] == 3
    assert first["next"].endswith("/api/v1/articles?page=2&page_size=2&language=en")
    second = bilingual.get(first["next"]).json()
    assert [item["slug"] for item in second["items"]] == ["cough"]
    assert second["previous"].endswith("/api/v1/articles?page=1&page_size=2&language=en")


@SQLITE_ONLY
@pytest.mark.parametrize("query", ["language=fr", "language=DE", "language=", "language=de,en"])
def test_a_language_the_site_does_not_speak_is_refused_clearly(bilingual: TestClient, query: str) -> None:
    response = bilingual.get(f"/api/v1/articles?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "language must be one of the site's languages: en, de"}


@SQLITE_ONLY
def test_the_openapi_document_describes_the_languages(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    listing = document["paths"]["/api/v1/articles"]["get"]
    [language] = [p for p in listing["parameters"] if p["name"] == "language"]
    assert language["in"] == "query" and not language["required"] and language["description"]
    schemas = document["components"]["schemas"]
    summary = schemas["ArticleSummary"]["properties"]
    for field in ("language", "translations", "url"):
        assert summary[field].get("description"), field
    assert set(schemas["Translation"]["properties"]) == {"language", "slug", "url"}
    assert schemas["Named"]["properties"]["names"]["description"]
    assert schemas["ReferenceOut"]["properties"]["language"]["description"]
    [example] = schemas["ArticleSummary"]["examples"]
    assert example["language"] and example["translations"] and example["category"]["names"]
