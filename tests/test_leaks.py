"""Proof that gated text reaches only those who may read it, on every surface.

Distinct markers (single words, so no snippet cuts one in half) are planted in gated blocks,
whole-article bodies, a gated figure, a reference cited only in gated text, a draft and a
scheduled article. Each kind of viewer then opens every GET route and follows every link it
finds; a marker may appear only where the audience allows.

The site runs in English and German: the gate knows no language, and each viewer's one crawl opens
every page in both (/en/... and /de/...), with the same expectations.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.articles.models import ArticleStatus
from app.core.config import Settings
from app.core.db import utcnow
from app.core.languages import is_neutral
from tests import factories
from tests.asgi_client import TestClient
from tests.crawl import crawl
from tests.test_routes import route_policies
from tests.viewers import NOT_ENTITLED, PROFESSIONALS, STAFF, browser_for

OPEN_BODY = """Open introduction about immunity.

::: professional
Notes for every profession: MARKERBLOCKALL.

![MARKERALTGATED](/static/figures/immunity-depression.svg "MARKERCAPTIONGATED")
:::

::: professional prescribers
Prescribing notes: MARKERBLOCKPRESCRIBERS, as studied[^gated].
:::

::: professional psychotherapist
Therapy notes: MARKERBLOCKPSYCHOTHERAPIST.
:::

Open conclusion.
"""
ALL_PROFESSIONS = {"MARKERBLOCKALL", "MARKERALTGATED", "MARKERCAPTIONGATED", "MARKERWHOLEALL"}
PRESCRIBERS = {"MARKERBLOCKPRESCRIBERS", "MARKERREFGATED", "MARKERWHOLEPRESCRIBERS"}
EXPECTED = {
    "therapist": ALL_PROFESSIONS,
    "psychotherapist": ALL_PROFESSIONS | {"MARKERBLOCKPSYCHOTHERAPIST"},
    "physician": ALL_PROFESSIONS | PRESCRIBERS,
    "pharmacist": ALL_PROFESSIONS | PRESCRIBERS,
    **{kind: ALL_PROFESSIONS | PRESCRIBERS | {"MARKERBLOCKPSYCHOTHERAPIST"} for kind in STAFF},
}
MARKER = re.compile(r"MARKER[A-Z]+")
LANGUAGES = ("en", "de")
CRAWL_LIMIT = 1200
LANGUAGE_PREFIX = re.compile(r"^/(?:en|de)(?=/)")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings, for a site in both languages."""
    return settings.model_copy(update={"languages": ",".join(LANGUAGES)})


def plant(db: Session) -> list[str]:
    """Store the articles that carry the markers; return the slugs worth opening directly."""
    factories.article(
        db,
        slug="open",
        title="Immunity and mood",
        body=OPEN_BODY,
        tags=["Immunity"],
        references=[factories.reference("gated", title="MARKERREFGATED")],
    )
    factories.article(
        db,
        slug="whole",
        title="For clinicians",
        summary="A public teaser.",
        body="Body: MARKERWHOLEALL.",
        audience="professional",
        tags=["Immunity"],
    )
    factories.article(
        db,
        slug="rx",
        title="For prescribers",
        summary="Another teaser.",
        body="Body: MARKERWHOLEPRESCRIBERS.",
        audience="prescribers",
    )
    factories.article(
        db,
        slug="draft",
        title="MARKERDRAFTTITLE",
        summary="MARKERDRAFTSUMMARY",
        body="Draft body: MARKERDRAFTBODY",
        status=ArticleStatus.DRAFT,
    )
    factories.article(
        db,
        slug="later",
        title="MARKERSCHEDULEDTITLE",
        summary="MARKERSCHEDULED",
        body="Scheduled body: MARKERSCHEDULEDBODY",
        status=ArticleStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=2),
    )
    return ["open", "whole", "rx", "draft", "later"]


def start_paths(app: FastAPI, slugs: list[str]) -> list[str]:
    plain = [
        name.split(" ", 1)[1]
        for name in route_policies(app)
        if name.startswith("['GET']") and "{" not in name and "/logout" not in name
    ]
    searches = [
        f"/search?q={word}"
        # Words of the gated passages, not the markers: a results page repeats the query itself.
        for word in (
            "notes",
            "profession",
            "prescribing",
            "therapy",
            "body",
            "draft",
            "scheduled",
            "immunity",
        )
    ]
    articles = [f"/articles/{slug}" for slug in slugs] + [f"/api/v1/articles/{slug}" for slug in slugs]
    paths = [*plain, *articles, *searches, "/categories/mental-health", "/tags/immunity", "/no/such/page"]
    # Each page in each language; the API, files and health checks have one address for all.
    return [path if is_neutral(path) else f"/{code}{path}" for code in LANGUAGES for path in paths]


def markers_seen(client: TestClient, app: FastAPI, slugs: list[str]) -> dict[str, set[str]]:
    """Every marker in every response this viewer can reach, by the path that showed it."""
    seen: dict[str, set[str]] = {}
    pages: set[str] = set()
    for path, body in crawl(client, tuple(start_paths(app, slugs)), limit=CRAWL_LIMIT):
        pages.add(path)
        found = set(MARKER.findall(body))
        if found:
            # `crawl` names the page that answered: /login sends staff on to the dashboard at /admin.
            seen.setdefault(path, set()).update(found)
    assert len(pages) < CRAWL_LIMIT, "the crawl stopped before it had seen every page"
    # Every page was read in every language.
    languages = {code: {unprefixed(p) for p in pages if p.startswith(f"/{code}/")} for code in LANGUAGES}
    assert languages["en"] == languages["de"] and len(languages["en"]) > 20
    # An article shows the same markers in every language (a page of the other language shows the
    # article as it is, with the same rule); lists and searches list their own language's articles.
    for path in [p for p in seen if LANGUAGE_PREFIX.match(p) and unprefixed(p).startswith("/articles/")]:
        assert all(seen.get(f"/{code}{unprefixed(path)}") == seen[path] for code in LANGUAGES), path
    return seen


def unprefixed(path: str) -> str:
    """The page's path without its language: "/admin/requests" for "/de/admin/requests"."""
    return LANGUAGE_PREFIX.sub("", path)


@pytest.mark.parametrize("kind", NOT_ENTITLED)
def test_no_gated_text_reaches_a_viewer_who_may_not_read_it(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    slugs = plant(db)
    client = browser_for(kind, app, db, settings)
    assert markers_seen(client, app, slugs) == {}
    client.__exit__(None, None, None)


@pytest.mark.parametrize("kind", [*PROFESSIONALS, *STAFF])
def test_each_professional_reads_exactly_what_their_audience_allows(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    slugs = plant(db)
    client = browser_for(kind, app, db, settings)
    seen = markers_seen(client, app, slugs)
    client.__exit__(None, None, None)
    # The staff workspace shows every article, drafts too, to those who write them; no other role
    # may find an article there, and nothing outside it may show a draft to anyone.
    workspace = {
        path: found
        for path, found in seen.items()
        if unprefixed(path).split("?")[0] == "/admin" or unprefixed(path).startswith("/admin/")
    }
    if kind not in ("editor", "admin"):
        assert set().union(*workspace.values()) == set()
    seen = {path: found for path, found in seen.items() if path not in workspace}
    everything = set().union(*seen.values()) if seen else set()
    assert everything == EXPECTED[kind]
    assert not any("DRAFT" in m or "SCHEDULED" in m for m in everything)


def test_the_hub_lists_what_a_professional_may_read(app: FastAPI, db: Session, settings: Settings) -> None:
    plant(db)
    therapist = browser_for("therapist", app, db, settings)
    titles = [a.get_text() for a in _soup(therapist.get("/en/professional").text).select(".card__title a")]
    therapist.__exit__(None, None, None)
    assert sorted(titles) == ["For clinicians", "Immunity and mood"]
    physician = browser_for("physician", app, db, settings)
    titles = [a.get_text() for a in _soup(physician.get("/en/professional").text).select(".card__title a")]
    physician.__exit__(None, None, None)
    assert sorted(titles) == ["For clinicians", "For prescribers", "Immunity and mood"]


def test_others_find_what_the_area_holds_and_none_of_its_text(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    # The articles are in English: the German page names the German ones only.
    for kind, language in (("visitor", "en"), ("pending", "en"), ("unconsented", "en")):
        client = browser_for(kind, app, db, settings)
        response = client.get(f"/{language}/professional", follow_redirects=False)
        client.__exit__(None, None, None)
        assert response.status_code == 200, kind
        assert MARKER.findall(response.text) == [], kind
        titles = {a.get_text() for a in _soup(response.text).select(".area__topic a")}
        assert titles == {"Immunity and mood", "For clinicians", "For prescribers"}, kind


def _soup(html: str):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")
