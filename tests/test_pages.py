"""What a visitor reads on each public page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy.orm import Session

from app.articles import service
from app.articles.models import ArticleStatus, SlugRedirect
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import page_text, soup

IMMUNITY_BODY = """*Demo text.*

## What depression is

Depression is common[^schiepers].

![Immune signals reach the brain](/static/figures/immunity-depression.svg "Immune signals and mood")

## Cytokines

Cytokines matter[^raison] and again[^schiepers].

## Treatment

Talk to your doctor.
"""


def immunity(db: Session, **overrides):  # type: ignore[no-untyped-def]
    fields = {
        "title": "Addressing immunity in depression",
        "slug": "addressing-immunity-in-depression",
        "body": IMMUNITY_BODY,
        "summary": "How inflammation may shape mood.",
        "tags": ["Depression", "Immunology"],
        "author": "Dr. Jane Example",
        "references": [
            factories.reference(
                "schiepers",
                authors="Schiepers OJ, Wichers MC, Maes M",
                title="Cytokines and major depression",
                doi="10.1016/j.pnpbp.2004.11.003",
                pmid="15694227",
            ),
            factories.reference(
                "raison", authors="Raison CL, Capuron L, Miller AH", title="Cytokines sing the blues"
            ),
        ],
    }
    return factories.article(db, **{**fields, **overrides})


def test_home_shows_featured_and_latest_articles(client: TestClient, db: Session) -> None:
    factories.article(db, title="The featured one", featured=True)
    factories.article(db, title="A newer plain one", published_at=utcnow() - timedelta(hours=1))
    html = soup(client.get("/").text)
    featured = html.select_one("#featured-heading").find_parent("section")
    latest = html.select_one("#latest-heading").find_parent("section")
    assert "The featured one" in page_text(str(featured))
    assert "A newer plain one" in page_text(str(latest))
    assert "The featured one" not in page_text(str(latest))
    assert "Mental health" in page_text(str(html.select_one("#categories-heading").find_parent("section")))


def test_home_without_articles_says_so(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles have been published yet." in page_text(response.text)


def test_article_page_shows_what_a_reader_needs(client: TestClient, db: Session) -> None:
    immunity(db)
    response = client.get("/articles/addressing-immunity-in-depression")
    html = soup(response.text)
    text = page_text(response.text)
    assert html.h1.get_text() == "Addressing immunity in depression"
    assert html.title.get_text().startswith("Addressing immunity in depression")
    assert "Mental health" in page_text(str(html.select_one(".article__header")))
    assert "By Dr. Jane Example" in text and "1 min read" in text
    assert [a.get_text() for a in html.select(".toc a")] == ["What depression is", "Cytokines", "Treatment"]
    # Open as sent; the page's script folds it on phones.
    assert html.select_one(".toc details[open] summary h2").get_text() == "On this page"
    figure = html.select_one(".prose figure")
    assert figure.img["alt"] == "Immune signals reach the brain"
    assert (figure.img["width"], figure.img["height"]) == ("960", "600")
    assert figure.a["href"] == figure.img["src"] == "/static/figures/immunity-depression.svg"
    assert figure.figcaption.get_text() == "Immune signals and mood"
    refs = html.select(".references li")
    assert [r["id"] for r in refs] == ["ref-1", "ref-2"]
    assert page_text(str(refs[0])).startswith(
        "Schiepers OJ, Wichers MC, Maes M. Cytokines and major depression."
    )
    assert refs[0].select_one('a[href="https://doi.org/10.1016/j.pnpbp.2004.11.003"]') is not None
    assert refs[0].select_one('a[href="https://pubmed.ncbi.nlm.nih.gov/15694227/"]') is not None
    assert [a["href"] for a in refs[0].select("a.backlink")] == ["#cite-1-1", "#cite-1-2"]
    assert "Questions about this topic?" in text
    assert [a.get_text() for a in html.select(".tags a")] == ["Depression", "Immunology"]
    assert html.select_one('meta[property="og:title"]')["content"] == "Addressing immunity in depression"


def test_the_header_menu_button_controls_search_navigation_and_languages(bilingual: TestClient) -> None:
    html = soup(bilingual.get("/de/articles").text)
    button = html.select_one("header button[aria-controls]")
    assert button is not None and button.get_text() == "Menü" and button["aria-expanded"] == "false"
    menu = html.select_one(f"header #{button['aria-controls']}")
    assert menu is not None
    parts = [part.get("aria-label") for part in menu.select("[role=search], nav")]
    assert parts == ["Website", "Hauptmenü", "Sprache"]


def test_article_page_lists_related_articles_sharing_tags(client: TestClient, db: Session) -> None:
    immunity(db)
    factories.article(db, title="Sharing a tag", tags=["Immunology"], category="Other")
    factories.article(db, title="Unrelated", category="Other")
    html = soup(client.get("/articles/addressing-immunity-in-depression").text)
    related = [a.get_text() for a in html.select(".related .card__title a")]
    assert related[0] == "Sharing a tag"
    assert "Addressing immunity in depression" not in related


def test_an_article_without_category_or_tags_lists_the_newest_others_as_related(
    client: TestClient, db: Session
) -> None:
    factories.article(db, slug="alone", title="Alone", category="")
    factories.article(db, title="Older", category="Other", published_at=utcnow() - timedelta(days=5))
    factories.article(db, title="Newer", category="Other", published_at=utcnow() - timedelta(days=2))
    factories.article(db, title="Not yet", published_at=utcnow() + timedelta(days=1))
    html = soup(client.get("/articles/alone").text)
    assert [a.get_text() for a in html.select(".related .card__title a")] == ["Newer", "Older"]


def test_professional_blocks_show_a_panel_and_never_their_text(client: TestClient, db: Session) -> None:
    immunity(db, body=IMMUNITY_BODY + "\n::: professional prescribers\nMARKER-PRESCRIBERS\n:::\n")
    response = client.get("/articles/addressing-immunity-in-depression")
    assert "MARKER-PRESCRIBERS" not in response.text
    panel = soup(response.text).select_one(".prose .locked-panel")
    assert "For prescribers" in page_text(str(panel))
    assert "reserved for verified prescribers" in page_text(str(panel))
    assert (
        panel.select_one('a[href="/login?next=/articles/addressing-immunity-in-depression"]').get_text()
        == "Log in"
    )
    assert panel.select_one('a[href="/request-access"]').get_text() == "Request access"


def test_an_article_for_professionals_shows_title_summary_and_panel_only(
    client: TestClient, db: Session
) -> None:
    factories.article(
        db,
        slug="gated",
        title="For clinicians",
        summary="Public teaser.",
        body="MARKER-WHOLE-BODY [^x]",
        audience="professional",
        references=[factories.reference("x", title="MARKER-REFERENCE")],
    )
    response = client.get("/articles/gated")
    text = page_text(response.text)
    assert "For clinicians" in text and "Public teaser." in text
    assert "MARKER" not in response.text
    assert "For health professionals" in page_text(str(soup(response.text).select_one(".locked-panel")))
    assert "min read" not in text


def test_gated_articles_are_listed_with_their_summary_and_a_badge(client: TestClient, db: Session) -> None:
    factories.article(
        db, title="For prescribers only", summary="Teaser.", audience="prescribers", body="MARKER"
    )
    response = client.get("/articles")
    card = soup(response.text).select_one(".card")
    assert "For prescribers only" in page_text(str(card)) and "Teaser." in page_text(str(card))
    assert card.select_one(".badge--gated").get_text(strip=True) == "For prescribers"
    assert "MARKER" not in response.text


def test_articles_are_paginated_newest_first(client: TestClient, db: Session) -> None:
    for n in range(6):
        factories.article(db, title=f"Number {n}", published_at=utcnow() - timedelta(days=10 - n))
    first = soup(client.get("/articles").text)
    assert [a.get_text() for a in first.select(".card__title a")] == [
        "Number 5",
        "Number 4",
        "Number 3",
        "Number 2",
    ]
    assert "Page 1 of 2" in page_text(str(first.select_one(".pagination")))
    assert first.select_one('.pagination a[rel="next"]')["href"] == "/articles?page=2"
    second = soup(client.get("/articles?page=2").text)
    assert [a.get_text() for a in second.select(".card__title a")] == ["Number 1", "Number 0"]
    assert second.select_one('.pagination a[rel="prev"]')["href"] == "/articles"
    assert second.select_one('.pagination a[rel="next"]') is None


def test_a_long_list_counts_a_few_pages_ahead_and_the_last_pages_exactly(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "LOOK_AHEAD", 6)
    for n in range(11):
        factories.article(db, title=f"Number {n}", published_at=utcnow() - timedelta(days=20 - n))
    first = soup(client.get("/articles").text)
    assert "Page 1 of at least 2" in page_text(str(first.select_one(".pagination")))
    assert first.select_one('.pagination a[rel="next"]')["href"] == "/articles?page=2"
    second = soup(client.get("/articles?page=2").text)
    assert "Page 2 of at least 3" in page_text(str(second.select_one(".pagination")))
    third = soup(client.get("/articles?page=3").text)
    assert "Page 3 of 3" in page_text(str(third.select_one(".pagination")))
    assert [a.get_text() for a in third.select(".card__title a")] == ["Number 2", "Number 1", "Number 0"]
    assert third.select_one('.pagination a[rel="next"]') is None
    assert client.get("/articles?page=4").status_code == 404
    # The API still counts every article.
    assert client.get("/api/v1/articles").json()["total"] == 11


def test_a_page_past_the_end_is_not_found_and_a_bad_number_means_page_one(
    client: TestClient, db: Session
) -> None:
    factories.article(db, title="Only one")
    assert client.get("/articles?page=3").status_code == 404
    assert client.get("/articles?page=99999999999999999999").status_code == 404
    response = client.get("/articles?page=abc")
    assert response.status_code == 200 and "Only one" in page_text(response.text)


def test_drafts_and_scheduled_articles_are_neither_listed_nor_readable(
    client: TestClient, db: Session
) -> None:
    factories.article(db, slug="draft", title="MARKER-DRAFT", status=ArticleStatus.DRAFT)
    factories.article(
        db,
        slug="later",
        title="MARKER-LATER",
        status=ArticleStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=3),
    )
    factories.article(db, slug="early", title="MARKER-EARLY", published_at=utcnow() + timedelta(days=3))
    for path in ("/", "/articles", "/categories/mental-health"):
        assert "MARKER" not in client.get(path).text
    for slug in ("draft", "later", "early"):
        response = client.get(f"/articles/{slug}")
        assert response.status_code == 404 and "MARKER" not in response.text


def test_category_and_tag_pages_list_their_articles(client: TestClient, db: Session) -> None:
    factories.article(db, title="In lifestyle", category="Healthy lifestyle", tags=["Sleep"])
    factories.article(db, title="Elsewhere", category="Mental health")
    category = client.get("/categories/healthy-lifestyle")
    assert soup(category.text).h1.get_text() == "Healthy lifestyle"
    assert [a.get_text() for a in soup(category.text).select(".card__title a")] == ["In lifestyle"]
    tag = client.get("/tags/sleep")
    assert soup(tag.text).h1.get_text() == "Sleep"
    assert [a.get_text() for a in soup(tag.text).select(".card__title a")] == ["In lifestyle"]


def test_an_empty_category_says_so(client: TestClient, db: Session) -> None:
    factories.article(db, title="A draft", category="Quiet", status=ArticleStatus.DRAFT)
    response = client.get("/categories/quiet")
    assert "No articles have been published in this category yet." in page_text(response.text)


def test_unknown_category_tag_and_article_are_helpful_404s(client: TestClient) -> None:
    for path in (
        "/categories/nope",
        "/tags/nope",
        "/articles/nope",
        "/no/such/page",
        "/articles/%00",
        "/tags/%F0%9F%92%A9",
    ):
        response = client.get(path)
        assert response.status_code == 404
        html = soup(response.text)
        assert html.h1.get_text() == "Page not found"
        assert html.select_one("main code").get_text() == unquote(path)
        assert html.select_one('main a[href="/articles"]') is not None


def test_an_old_slug_redirects_to_the_article(client: TestClient, db: Session) -> None:
    article = immunity(db)
    db.add(SlugRedirect(old_slug="immunity-and-depression", article_id=article.id))
    db.commit()
    response = client.get("/articles/immunity-and-depression", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/articles/addressing-immunity-in-depression"


def test_legal_pages_are_readable(client: TestClient) -> None:
    for path, heading in (
        ("/privacy", "Privacy notice"),
        ("/terms", "Terms of use"),
        ("/imprint", "Imprint"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert soup(response.text).h1.get_text() == heading
        assert soup(client.get("/").text).select_one(f'footer a[href="{path}"]') is not None


def test_a_server_error_shows_a_calm_page_without_a_traceback(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert soup(response.text).h1.get_text() == "Something went wrong on our side"
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_the_stylesheet_is_served_with_a_version(client: TestClient) -> None:
    href = soup(client.get("/").text).select_one('link[rel="stylesheet"]')["href"]
    assert href.startswith("/static/site.css?v=")
    response = client.get(href)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def test_every_link_to_another_site_opens_without_opener_or_referrer(client: TestClient, db: Session) -> None:
    body = IMMUNITY_BODY + "\nSee [the guideline](https://guidelines.example/depression).\n"
    refs = [
        factories.reference("schiepers", doi="10.1016/x", pmid="1"),
        factories.reference("raison", url="https://r.example"),
    ]
    immunity(db, body=body, references=refs)
    page = soup(client.get("/articles/addressing-immunity-in-depression").text)
    outside = [a for a in page.find_all("a", href=True) if a["href"].startswith(("http:", "https:", "//"))]
    assert {a["href"] for a in outside} >= {
        "https://guidelines.example/depression",
        "https://doi.org/10.1016/x",
        "https://pubmed.ncbi.nlm.nih.gov/1/",
        "https://r.example",
    }
    assert {a["href"]: a.get("rel") for a in outside if a.get("rel") != ["noopener", "noreferrer"]} == {}
