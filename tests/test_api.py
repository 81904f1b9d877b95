"""The JSON API: the same access rule and the same session as the site, paginated, documented.

Markers are planted in gated blocks, a gated heading, references cited only in gated text and
whole-article bodies; each kind of viewer then reads the list and every article through the API,
and a marker may appear in the raw JSON only where the viewer's audience allows.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import Role
from app.articles.models import ArticleStatus, SlugRedirect
from app.core.config import Settings
from app.core.db import utcnow
from app.core.policy import Profession
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, logout
from tests.conftest import production_browser, soup

OPEN_BODY = """Open introduction[^open].

## Background

Open background.

::: professional
## Dosing MARKER-TOC-ALL

Notes for every profession: MARKER-BLOCK-ALL, as shown[^all].
:::

## Findings

Open findings.

::: professional prescribers
Prescribing notes: MARKER-BLOCK-PRESCRIBERS, as studied[^rx].
:::

## Conclusion

Open conclusion.
"""
ALL_PROFESSIONS = {"MARKER-TOC-ALL", "MARKER-BLOCK-ALL", "MARKER-REF-ALL"} | {
    "MARKER-WHOLE-ALL",
    "MARKER-REF-WHOLE",
}
PRESCRIBERS = {"MARKER-BLOCK-PRESCRIBERS", "MARKER-REF-PRESCRIBERS", "MARKER-WHOLE-PRESCRIBERS"}
EVERYTHING = ALL_PROFESSIONS | PRESCRIBERS
MARKER = re.compile(r"MARKER-[A-Z-]+[A-Z]")
SLUGS = ["open", "whole", "rx", "draft", "later"]
KINDS: dict[str, set[str]] = {
    "visitor": set(),
    "unverified": set(),
    "pending": set(),
    "rejected": set(),
    "therapist": ALL_PROFESSIONS,
    "physician": EVERYTHING,
    "reviewer": EVERYTHING,
    "editor": EVERYTHING,
    "admin": EVERYTHING,
}
PROFESSIONS = {"therapist": Profession.THERAPIST, "physician": Profession.PHYSICIAN}


def plant(db: Session) -> None:
    """Store the articles that carry the markers: open with gated blocks, whole-gated, unpublished."""
    factories.article(
        db,
        slug="open",
        title="Immunity and mood",
        body=OPEN_BODY,
        tags=["Immunity", "Mood"],
        references=[
            factories.reference("open", title="An open study"),
            factories.reference("all", title="MARKER-REF-ALL"),
            factories.reference("rx", title="MARKER-REF-PRESCRIBERS"),
        ],
        published_at=utcnow() - timedelta(hours=1),
    )
    factories.article(
        db,
        slug="whole",
        title="For clinicians",
        summary="A public teaser.",
        body="Body: MARKER-WHOLE-ALL, as reviewed[^w].",
        audience="professional",
        references=[factories.reference("w", title="MARKER-REF-WHOLE")],
        published_at=utcnow() - timedelta(hours=2),
    )
    factories.article(
        db,
        slug="rx",
        title="For prescribers",
        summary="Another teaser.",
        body="Body: MARKER-WHOLE-PRESCRIBERS.",
        audience="prescribers",
        published_at=utcnow() - timedelta(hours=3),
    )
    factories.article(db, slug="draft", title="MARKER-DRAFT", body="MARKER-DRAFT", status=ArticleStatus.DRAFT)
    factories.article(
        db,
        slug="later",
        title="MARKER-SCHEDULED",
        body="MARKER-SCHEDULED",
        status=ArticleStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=2),
    )


def log_in_as(kind: str, client: TestClient, db: Session, settings: Settings) -> None:
    """Log `client` in through the site's login form as a fresh person of this kind."""
    if kind == "visitor":
        return
    if kind in ("reviewer", "editor", "admin"):
        email = factories.staff(db, settings, role=Role(kind)).email
    elif kind in PROFESSIONS:
        request = factories.applicant(db, settings, state=RequestState.APPROVED, profession=PROFESSIONS[kind])
        email = request.user.email
    else:
        email = factories.applicant(db, settings, state=RequestState(kind)).user.email
    assert login(client, email, factories.PASSWORD).status_code == 303


def markers(text: str) -> set[str]:
    return set(MARKER.findall(text))


@pytest.mark.parametrize("kind", KINDS)
def test_each_viewer_reads_exactly_what_their_audience_allows(
    kind: str, client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    log_in_as(kind, client, db, settings)
    listing = client.get("/api/v1/articles?page_size=50")
    assert listing.status_code == 200
    # The list never carries a body, whoever asks.
    assert markers(listing.text) == set()
    assert [item["slug"] for item in listing.json()["items"]] == ["open", "whole", "rx"]
    answers = {slug: client.get(f"/api/v1/articles/{slug}") for slug in SLUGS}
    assert {slug: r.status_code for slug, r in answers.items()} == {
        "open": 200,
        "whole": 200,
        "rx": 200,
        "draft": 404,
        "later": 404,
    }
    assert set().union(*(markers(r.text) for r in answers.values())) == KINDS[kind]


@pytest.mark.parametrize("kind", ["visitor", "pending"])
def test_a_viewer_without_access_gets_markers_in_place_of_gated_blocks(
    kind: str, client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    log_in_as(kind, client, db, settings)
    article = client.get("/api/v1/articles/open").json()
    assert article["readable"] is True and article["locked"] is False
    assert article["locked_blocks"] == 2
    assert re.findall(r'<div class="locked" data-audience="([^"]*)"></div>', article["body_html"]) == [
        "Health professionals",
        "Prescribers",
    ]
    assert "Open findings." in article["body_html"]
    assert [entry["text"] for entry in article["toc"]] == ["Background", "Findings", "Conclusion"]
    assert [(ref["number"], ref["title"]) for ref in article["references"]] == [(1, "An open study")]


@pytest.mark.parametrize("kind", ["visitor", "pending", "therapist"])
def test_a_closed_article_shows_only_its_public_fields(
    kind: str, client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    log_in_as(kind, client, db, settings)
    article = client.get("/api/v1/articles/rx").json()
    assert article["title"] == "For prescribers" and article["summary"] == "Another teaser."
    assert article["audience"] == {"public": False, "label": "Prescribers"}
    assert article["readable"] is False and article["locked"] is True
    body_fields = ("body_html", "toc", "references", "reading_minutes", "locked_blocks")
    assert {name: article[name] for name in body_fields} == dict.fromkeys(body_fields)
    listed = {item["slug"]: item["readable"] for item in client.get("/api/v1/articles").json()["items"]}
    assert listed == {"open": True, "whole": kind == "therapist", "rx": False}


def test_a_physician_reads_every_block_with_references_in_citation_order(
    client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    log_in_as("physician", client, db, settings)
    article = client.get("/api/v1/articles/open").json()
    assert article["locked_blocks"] == 0
    assert 'class="locked"' not in article["body_html"]
    assert [ref["title"] for ref in article["references"]] == [
        "An open study",
        "MARKER-REF-ALL",
        "MARKER-REF-PRESCRIBERS",
    ]
    assert [entry["anchor"] for entry in article["toc"]][:2] == ["background", "dosing-marker-toc-all"]


def test_an_article_lists_its_public_fields(client: TestClient, db: Session, settings: Settings) -> None:
    plant(db)
    item = client.get("/api/v1/articles").json()["items"][0]
    assert item["slug"] == "open"
    assert item["url"] == f"{settings.base_url}/articles/open"
    assert item["category"] == {
        "slug": "mental-health",
        "name": "Mental health",
        "names": {"en": "Mental health"},
    }
    assert item["tags"] == [
        {"slug": "immunity", "name": "Immunity", "names": {"en": "Immunity"}},
        {"slug": "mood", "name": "Mood", "names": {"en": "Mood"}},
    ]
    assert (item["language"], item["translations"]) == ("en", [])
    assert item["author"] == "Dr. Example"
    assert item["audience"] == {"public": True, "label": "Everyone"}
    assert item["published_at"].endswith(("Z", "+00:00"))
    assert not {"body_html", "references", "toc"} & item.keys()


def test_drafts_and_scheduled_articles_are_neither_listed_nor_found(
    client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    staff_client = client
    log_in_as("admin", staff_client, db, settings)
    slugs = [item["slug"] for item in staff_client.get("/api/v1/articles").json()["items"]]
    assert "draft" not in slugs and "later" not in slugs
    answers = {slug: staff_client.get(f"/api/v1/articles/{slug}") for slug in ("draft", "later", "no-such")}
    assert {slug: (r.status_code, r.json()) for slug, r in answers.items()} == dict.fromkeys(
        answers, (404, {"detail": "There is no article at this address."})
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/articles/no-such-article",
        "/api/v1/articles/Not_A_Slug",
        "/api/v1/articles/%3Cscript%3E",
        "/api/v1/articles/" + "a" * 300,
        "/api/v1/articles/open/extra",
        "/api/v1/nothing",
    ],
)
def test_unknown_and_malformed_addresses_answer_json_404(path: str, client: TestClient, db: Session) -> None:
    plant(db)
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "<html" not in response.text.lower()


def test_an_old_slug_redirects_to_the_new_one(client: TestClient, db: Session) -> None:
    article = factories.article(db, slug="new-name", title="Renamed")
    db.add(SlugRedirect(old_slug="old-name", article_id=article.id))
    db.commit()
    response = client.get("/api/v1/articles/old-name", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/api/v1/articles/new-name"
    assert client.get("/api/v1/articles/old-name").json()["title"] == "Renamed"


def test_an_old_slug_of_an_unpublished_article_answers_404_without_naming_it(
    client: TestClient, db: Session
) -> None:
    article = factories.article(db, slug="secret-new-name", status=ArticleStatus.DRAFT)
    db.add(SlugRedirect(old_slug="old-name", article_id=article.id))
    db.commit()
    response = client.get("/api/v1/articles/old-name", follow_redirects=False)
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "There is no article at this address."},
    )
    assert "secret-new-name" not in str(response.headers)


def test_pages_run_newest_first_and_link_to_each_other(client: TestClient, db: Session) -> None:
    for hours in range(5):
        factories.article(db, slug=f"a{hours}", published_at=utcnow() - timedelta(hours=hours + 1))
    first = client.get("/api/v1/articles?page_size=2").json()
    assert [item["slug"] for item in first["items"]] == ["a0", "a1"]
    assert (first["page"], first["page_size"], first["total"], first["pages"]) == (1, 2, 5, 3)
    assert first["previous"] is None
    assert first["next"] == "http://127.0.0.1:8000/api/v1/articles?page=2&page_size=2"
    last = client.get("/api/v1/articles", params={"page": 3, "page_size": 2}).json()
    assert [item["slug"] for item in last["items"]] == ["a4"]
    assert last["next"] is None and last["previous"].endswith("page=2&page_size=2")
    past = client.get("/api/v1/articles?page=9&page_size=2").json()
    assert past["items"] == [] and past["previous"].endswith("page=3&page_size=2")
    assert client.get("/api/v1/articles").json()["page_size"] == 20


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page_size=51", "page_size must be a whole number from 1 to 50"),
        ("page_size=0", "page_size must be a whole number from 1 to 50"),
        ("page_size=lots", "page_size must be a whole number from 1 to 50"),
        ("page=0", "page must be a whole number from 1 to 1000000"),
        ("page=-1", "page must be a whole number from 1 to 1000000"),
        ("page=1.5", "page must be a whole number from 1 to 1000000"),
        ("page=99999999999999999999", "page must be a whole number from 1 to 1000000"),
    ],
)
def test_page_values_out_of_range_are_refused_clearly(
    query: str, message: str, client: TestClient, db: Session
) -> None:
    response = client.get(f"/api/v1/articles?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": message}


def test_the_largest_page_size_is_served(client: TestClient, db: Session) -> None:
    for _ in range(3):
        factories.article(db)
    body = client.get("/api/v1/articles?page_size=50").json()
    assert (body["page_size"], len(body["items"]), body["pages"]) == (50, 3, 1)


def test_the_site_session_is_honoured_and_kept_private(
    client: TestClient, db: Session, settings: Settings
) -> None:
    plant(db)
    visitor = client.get("/api/v1/articles/whole")
    assert visitor.json()["readable"] is False
    assert "private" not in visitor.headers.get("cache-control", "")
    log_in_as("therapist", client, db, settings)
    professional = client.get("/api/v1/articles/whole")
    assert professional.json()["readable"] is True
    assert "MARKER-WHOLE-ALL" in professional.json()["body_html"]
    assert professional.headers["cache-control"] == "private, no-store"
    assert "Cookie" in professional.headers["vary"]
    logout(client)
    assert client.get("/api/v1/articles/whole").json()["readable"] is False


def test_the_openapi_document_describes_both_operations(client: TestClient) -> None:
    document = client.get("/api/openapi.json").json()
    listing = document["paths"]["/api/v1/articles"]["get"]
    detail = document["paths"]["/api/v1/articles/{slug}"]["get"]
    for operation, schema in ((listing, "ArticleList"), (detail, "ArticleDetail")):
        assert operation["tags"] == ["articles"]
        assert operation["summary"]
        for viewer in ("visitor", "applicant", "professional", "staff"):
            assert viewer in operation["description"]
        content = operation["responses"]["200"]["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{schema}"}
    assert {p["name"]: p["schema"].get("maximum") for p in listing["parameters"]} == {
        "page": 1_000_000,
        "page_size": 50,
        "language": None,
    }
    assert detail["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
    schemas = document["components"]["schemas"]
    summary, full = schemas["ArticleSummary"], schemas["ArticleDetail"]
    assert {"readable", "audience", "url", "published_at"} <= summary["properties"].keys()
    assert {"body_html", "locked", "locked_blocks", "references"} <= full["properties"].keys()
    assert "body_html" not in summary["properties"]
    assert full["properties"]["body_html"]["description"]
    assert summary["examples"] and full["examples"]


def test_the_api_description_is_not_published_in_production(db: Session, settings: Settings) -> None:
    factories.article(db, title="Open to all")
    with production_browser(settings) as browser:
        described, docs = browser.get("/api/openapi.json"), browser.get("/api/docs")
        listing = browser.get("/api/v1/articles")
    assert (described.status_code, docs.status_code) == (404, 404)
    assert "paths" not in described.text and "swagger" not in docs.text.lower()
    assert [item["title"] for item in listing.json()["items"]] == ["Open to all"]


def test_the_development_api_docs_page_runs_under_its_own_policy(client: TestClient) -> None:
    response = client.get("/api/docs")
    [inline] = [script for script in soup(response.text).find_all("script") if not script.get("src")]
    assert "/api/openapi.json" in inline.get_text()
    policy = {
        part.split(" ", 1)[0]: part.split(" ", 1)[1]
        for part in response.headers["content-security-policy"].split("; ")
    }
    assert f"'nonce-{inline['nonce']}'" in policy["script-src"].split()
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["cache-control"] == "no-store"
