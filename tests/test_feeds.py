"""What feed readers, crawlers and link previews receive: public fields only, never gated text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.articles.models import ArticleStatus
from app.core.config import Settings
from app.core.db import utcnow
from app.core.etag import ETags
from app.core.head import HeadAsGet
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import soup

A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "http://127.0.0.1:8000"
GATED_BODY = """Open words for everyone.

::: professional
Dosing notes: MARKER-GATED-BLOCK.
:::
"""
MARKERS = ("MARKER-GATED-BLOCK", "MARKER-WHOLE-BODY", "MARKER-DRAFT", "MARKER-SCHEDULED", "MARKER-FUTURE")


def test_the_application_wires_etags_and_share_metadata(settings: Settings) -> None:
    application = create_app(settings)
    assert "article_share" in application.state.templates.env.globals
    # Outermost but for HEAD handling, which changes no header: ETags sees the final headers.
    assert [m.cls for m in application.user_middleware[:2]] == [HeadAsGet, ETags]


def plant(db: Session) -> None:
    """Articles whose gated, unpublished or future text carries a marker, and their public peers."""
    factories.article(db, slug="open", title="Open article", body=GATED_BODY, tags=["Sleep"])
    factories.article(
        db,
        slug="whole",
        title="For clinicians",
        summary="A public teaser.",
        body="Body: MARKER-WHOLE-BODY.",
        audience="professional",
        category="Clinical",
    )
    factories.article(
        db, slug="draft", title="MARKER-DRAFT", body="x", category="Drafts only", status=ArticleStatus.DRAFT
    )
    later = utcnow() + timedelta(days=2)
    factories.article(
        db, slug="later", title="MARKER-SCHEDULED", status=ArticleStatus.SCHEDULED, published_at=later
    )
    factories.article(db, slug="future", title="MARKER-FUTURE", tags=["Future only"], published_at=later)


def feed_entries(client: TestClient) -> list[ET.Element]:
    return ET.fromstring(client.get("/feed.xml").content).findall(f"{A}entry")


def test_the_feed_lists_the_newest_articles_with_their_summaries_only(
    client: TestClient, db: Session
) -> None:
    now = utcnow()
    for days, title in ((3, "Oldest"), (1, "Newest"), (2, "Middle")):
        factories.article(
            db,
            title=title,
            slug=title.lower(),
            summary=f"Summary of {title}.",
            body=f"Body words of {title}.",
            tags=["Sleep"],
            published_at=now - timedelta(days=days),
        )
    response = client.get("/feed.xml")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}title") == "Portico"
    assert feed.find(f"{A}link[@rel='self']").get("href") == f"{BASE}/feed.xml"  # type: ignore[union-attr]
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == ["Newest", "Middle", "Oldest"]
    newest = entries[0]
    assert newest.find(f"{A}link").get("href") == f"{BASE}/articles/newest"  # type: ignore[union-attr]
    assert newest.findtext(f"{A}summary") == "Summary of Newest."
    assert newest.findtext(f"{A}id").startswith("tag:127.0.0.1,")  # type: ignore[union-attr]
    assert newest.findtext(f"{A}published") == (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert newest.findtext(f"{A}updated") and newest.findtext(f"{A}author/{A}name") == "Dr. Example"
    labels = [c.get("label") for c in newest.findall(f"{A}category")]
    assert labels == ["Mental health", "Sleep"]
    # The feed changed when its latest entry did; the articles were saved a moment apart.
    assert feed.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") or "" for e in entries)
    assert newest.find(f"{A}content") is None
    assert "Body words" not in response.text


def test_the_feed_holds_the_twenty_newest(client: TestClient, db: Session) -> None:
    for number in range(22):
        factories.article(db, title=f"Number {number}", published_at=utcnow() - timedelta(hours=number + 1))
    titles = [e.findtext(f"{A}title") for e in feed_entries(client)]
    assert titles == [f"Number {n}" for n in range(20)]


def test_the_feed_escapes_markup_and_survives_control_characters(client: TestClient, db: Session) -> None:
    factories.article(db, title="Fish & <chips> ]]>", summary='Say "hi" & <b>bye</b>\x0b now.')
    entry = feed_entries(client)[0]
    assert entry.findtext(f"{A}title") == "Fish & <chips> ]]>"
    assert entry.findtext(f"{A}summary") == 'Say "hi" & <b>bye</b> now.'


def test_an_empty_feed_is_still_valid(client: TestClient) -> None:
    feed = ET.fromstring(client.get("/feed.xml").content)
    assert feed.findall(f"{A}entry") == [] and feed.findtext(f"{A}updated")


@pytest.mark.parametrize("kind", ["visitor", "professional"])
def test_gated_unpublished_and_future_text_never_reaches_feed_sitemap_or_robots(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    with TestClient(app) as client:
        if kind == "professional":
            email = factories.applicant(db, settings, state=RequestState.APPROVED).user.email
            login(client, email, factories.PASSWORD)
            assert "MARKER-GATED-BLOCK" in client.get("/articles/open").text  # the marker is readable
        documents = {path: client.get(path).text for path in ("/feed.xml", "/sitemap.xml", "/robots.txt")}
    for path, text in documents.items():
        assert [m for m in MARKERS if m in text] == [], path
    titles = [e.findtext(f"{A}title") for e in ET.fromstring(documents["/feed.xml"]).findall(f"{A}entry")]
    assert sorted(titles) == ["For clinicians", "Open article"]  # type: ignore[type-var]
    assert "A public teaser." in documents["/feed.xml"]


def test_the_sitemap_lists_public_pages_and_nothing_unpublished(client: TestClient, db: Session) -> None:
    plant(db)
    response = client.get("/sitemap.xml")
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    urlset = ET.fromstring(response.content)
    assert urlset.tag == f"{SM}urlset"
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in urlset.findall(f"{SM}url")}
    assert set(lastmod) == {
        f"{BASE}/",
        f"{BASE}/articles",
        f"{BASE}/articles/open",
        f"{BASE}/articles/whole",
        f"{BASE}/categories/mental-health",
        f"{BASE}/categories/clinical",
        f"{BASE}/tags/sleep",
    }
    assert all(value and value.endswith("Z") for value in lastmod.values())


def test_robots_txt_keeps_crawlers_on_the_reading_site(client: TestClient) -> None:
    response = client.get("/robots.txt")
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin", "/account", "/api/", "/login", "/request-access", "/reset-password"):
        assert f"Disallow: {path}" in lines
    assert {"Disallow: /verify-email", "Disallow: /search", "Allow: /"} <= set(lines)
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    assert "Disallow: /" not in lines


def meta(html: str) -> dict[str, str]:
    page = soup(html)
    found = {str(m.get("property") or m.get("name")): str(m["content"]) for m in page.select("meta[content]")}
    return found | {"canonical": str(page.select_one('link[rel="canonical"]')["href"])}  # type: ignore[index]


def json_ld(html: str) -> tuple[str, dict[str, object]]:
    scripts = soup(html).select('script[type="application/ld+json"]')
    assert len(scripts) == 1
    raw = scripts[0].string or ""
    return raw, json.loads(raw)


def test_an_article_page_carries_opengraph_and_twitter_metadata(client: TestClient, db: Session) -> None:
    published = utcnow() - timedelta(days=3)
    factories.article(
        db,
        slug="sleep-and-mood",
        title="Sleep and mood",
        summary="Why rest matters.",
        body="Body words.",
        category="Healthy lifestyle",
        tags=["Sleep", "Mood"],
        published_at=published,
    )
    tags = meta(client.get("/articles/sleep-and-mood").text)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == "Sleep and mood"
    assert tags["og:description"] == tags["twitter:description"] == "Why rest matters."
    assert tags["og:url"] == tags["canonical"] == f"{BASE}/articles/sleep-and-mood"
    assert tags["og:site_name"] == "Portico"
    assert tags["article:published_time"] == published.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert tags["article:modified_time"] >= tags["article:published_time"]
    assert tags["article:section"] == "Healthy lifestyle"
    assert tags["twitter:card"] == "summary"
    assert "Body words" not in " ".join(tags.values())


def test_json_ld_describes_an_open_article_as_free(client: TestClient, db: Session) -> None:
    factories.article(db, slug="open", title="Open", summary="Teaser.", body="Body words.", author="Dr. A")
    raw, data = json_ld(client.get("/articles/open").text)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
    assert data["headline"] == "Open" and data["description"] == "Teaser."
    assert data["url"] == f"{BASE}/articles/open"
    assert data["author"] == {"@type": "Person", "name": "Dr. A"}
    assert data["publisher"]["name"] == "Society for Psychoneuroimmunology (demo)"  # type: ignore[index]
    assert data["datePublished"] and data["dateModified"]
    assert data["isAccessibleForFree"] is True and "hasPart" not in data
    assert "Body words" not in raw


@pytest.mark.parametrize("kind", ["visitor", "professional"])
def test_json_ld_marks_gated_articles_as_not_free_and_never_holds_their_text(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    locked_part = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".locked-panel"}
    with TestClient(app) as client:
        if kind == "professional":
            email = factories.applicant(db, settings, state=RequestState.APPROVED).user.email
            login(client, email, factories.PASSWORD)
        for slug, marker in (("open", "MARKER-GATED-BLOCK"), ("whole", "MARKER-WHOLE-BODY")):
            html = client.get(f"/articles/{slug}").text
            assert (marker in html) is (kind == "professional")
            raw, data = json_ld(html)
            assert data["isAccessibleForFree"] is False and data["hasPart"] == locked_part
            assert marker not in raw and "Open words" not in raw
            assert marker not in " ".join(meta(html).values())
            if kind == "visitor":
                assert soup(html).select_one(".locked-panel") is not None


def test_json_ld_cannot_close_its_script_element(client: TestClient, db: Session) -> None:
    summary = "</script><script>alert('x')</script> & <!-- more"
    factories.article(db, slug="tricky", title="Tricky </script>", summary=summary)
    html = client.get("/articles/tricky").text
    raw, data = json_ld(html)
    assert data["description"] == summary and data["headline"] == "Tricky </script>"
    assert not {"<", ">", "&", "'"} & set(raw)
    assert "<script>alert" not in html
