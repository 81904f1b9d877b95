"""The logged-in readers' page cache: a page stored for one reader is what a fresh render gives another.

Every kind of viewer (tests/viewers.py), two people of each, opens every kind of reading page for
articles of every audience; the person who warms each page changes from page to page, so a page
stored for one kind is asked for by every other. Whatever comes from the cache (`X-Cache: hit`)
must be, byte for byte, what the app renders for that person with the cache off (their own CSRF
token included), and must carry no marker of an audience they may not read.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access.models import AccessRequest
from app.articles.models import Article
from app.core import page_store
from app.core.config import Settings
from app.core.content_version import CachedPage
from app.core.policy import Profession, parse_audience
from app.core.reader_cache import Reader, ReaderPages
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import asgi_get, csrf_from, logout, submit
from tests.conftest import SQLITE_ONLY, SharedEngines
from tests.test_admin_articles import editor_client, editor_values
from tests.viewers import ALL_KINDS, NOT_ENTITLED, PROFESSIONALS, STAFF, browser_for

# Each marker's audience; single words, so no search snippet cuts one in half.
MARKERS = {
    "MARKERBLOCKALL": "professional",
    "MARKERBLOCKPRESCRIBERS": "prescribers",
    "MARKERBLOCKTHERAPIST": "therapist",
    "MARKERWHOLEALL": "professional",
    "MARKERWHOLEPHYSICIAN": "physician",
    "MARKERWHOLEPSYCHOTHERAPIST": "psychotherapist pharmacist",
}
OPEN_BODY = """Open notes on immunity.

::: professional
Notes for every profession: MARKERBLOCKALL.
:::

::: professional prescribers
Prescribing notes: MARKERBLOCKPRESCRIBERS.
:::

::: professional therapist
Therapy notes: MARKERBLOCKTHERAPIST.
:::
"""
WHOLE = {
    "whole": ("professional", "MARKERWHOLEALL"),
    "for-physicians": ("physician", "MARKERWHOLEPHYSICIAN"),
    "for-two": ("psychotherapist pharmacist", "MARKERWHOLEPSYCHOTHERAPIST"),
}
SLUGS = ["open", *WHOLE]
PAGES = [
    "/",
    "/articles",
    "/articles?page=2",
    *(f"/articles/{slug}" for slug in SLUGS),
    "/categories/mental-health",
    "/tags/immunity",
    "/search?q=notes",
    "/search?q=body",
    "/feed.xml",
    "/sitemap.xml",
    "/api/v1/articles",
    *(f"/api/v1/articles/{slug}" for slug in SLUGS),
    "/privacy",
    "/professional",
]
MARKER = re.compile(r"MARKER[A-Z]+")


def plant(db: Session) -> None:
    """Articles for every audience, with enough plain ones that the list has a second page."""
    factories.article(db, slug="open", title="Immunity notes", body=OPEN_BODY, tags=["Immunity"])
    for slug, (audience, marker) in WHOLE.items():
        factories.article(
            db,
            slug=slug,
            title=f"Gated {slug}",
            body=f"Gated body: {marker}.",
            audience=audience,
            tags=["Immunity"],
        )
    for n in range(4):
        factories.article(db, slug=f"plain-{n}", title=f"Plain {n}", body="A plain body.")


def readable_markers(kind: str) -> set[str]:
    """The markers this kind of viewer may read, from the test's own table of who they are."""
    if kind in STAFF:
        return set(MARKERS)
    if kind not in PROFESSIONALS:
        return set()
    profession: Profession = PROFESSIONALS[kind]
    return {
        marker for marker, audience in MARKERS.items() if profession in parse_audience(audience).professions
    }


def visitor_with_a_cookie(app: FastAPI) -> TestClient:
    """A browser that is not logged in but carries the flash cookie (with its form secret)."""
    browser = TestClient(app)
    browser.__enter__()
    csrf_from(browser, "/login")
    assert browser.cookies
    return browser


def people(app: FastAPI, db: Session, settings: Settings) -> list[tuple[str, TestClient]]:
    """One person of every kind and a second physician and applicant, each having opened a page."""
    found = []
    for kind in [*ALL_KINDS, "physician", "pending"]:
        browser = visitor_with_a_cookie(app) if kind == "visitor" else browser_for(kind, app, db, settings)
        browser.get("/account")  # shows any message waiting, as the first page after logging in
        found.append((kind, browser))
    return found


@pytest.fixture
def fresh(settings: Settings, shared_engines: SharedEngines) -> Iterator[TestClient]:
    """The same site on the same database with both page caches off: what a page is, built anew."""
    uncached = settings.model_copy(update={"page_cache_seconds": 0})
    with TestClient(create_app(uncached, engines=shared_engines[settings.database_url])) as browser:
        yield browser


def fresh_render(fresh: TestClient, person: TestClient, path: str) -> str:
    fresh.cookies.clear()
    fresh.cookies.update(person.cookies)
    return fresh.get(path).text


# Four parts of the pages, every kind of person asking for each: four tests of a few seconds.
PARTS = {f"pages {start + 1} of every 4": PAGES[start::4] for start in range(4)}


# On SQLite only: what is compared is the pages each variant is served, and the tests above store
# and read pages on PostgreSQL as well.
@SQLITE_ONLY
@pytest.mark.parametrize("part", PARTS)
def test_every_page_from_the_cache_is_what_its_reader_would_be_shown_anew(
    part: str, app: FastAPI, db: Session, settings: Settings, fresh: TestClient
) -> None:
    plant(db)
    pages = PARTS[part]
    everyone = people(app, db, settings)
    from_others: dict[str, int] = {}
    seen: dict[str, set[str]] = {}
    for number, path in enumerate(pages):
        # A different kind warms each page; everyone else then asks for it.
        turn = number % len(everyone)
        for place, (kind, person) in enumerate(everyone[turn:] + everyone[:turn]):
            # The first request for a path in a process only learns whether its route is shared.
            answers = [person.get(path) for _ in range(3 if place == 0 else 2)]
            assert answers[-1].headers.get("x-cache") == "hit", (kind, path)
            # A page built for this person is a fresh render; one from the cache is compared to one.
            built = answers[0].headers.get("x-cache") != "hit"
            expected = answers[0].text if built else fresh_render(fresh, person, path)
            for answer in answers:
                assert answer.status_code == 200, (kind, path)
                assert answer.headers["cache-control"] == "private, no-store", (kind, path)
                assert answer.text == expected, (kind, path)
                assert set(MARKER.findall(answer.text)) <= readable_markers(kind), (kind, path)
                seen.setdefault(kind, set()).update(MARKER.findall(answer.text))
            from_others[kind] = from_others.get(kind, 0) + (not built)
    # Each kind read all it may read of what these pages show anyone: the comparison was not vacuous.
    shown = set().union(*seen.values())
    assert {kind: seen.get(kind, set()) for kind in ALL_KINDS} == {
        kind: readable_markers(kind) & shown for kind in ALL_KINDS
    }
    assert readable_markers("admin") & shown, "these pages show no gated text at all"
    # Pages built for one person went to another: the staff roles share a variant, as do the twins.
    # (A page's first request in the process builds nothing, so a group may miss one or two pages.)
    assert min(from_others["physician"], from_others["pending"]) >= len(pages) - 2, from_others
    assert sum(from_others[kind] for kind in STAFF) >= 2 * len(pages) - 4, from_others


def stored_bodies(db: Session) -> list[bytes]:
    db.expire_all()
    return [gzip.decompress(body) for body in db.scalars(select(CachedPage.body))]


def test_no_readers_token_is_stored_and_each_reader_logs_out_with_their_own(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    first, second = (browser_for("physician", app, db, settings) for _ in range(2))
    for browser in (first, first, second):
        page = browser.get("/articles/open")
    assert page.headers["x-cache"] == "hit" and "MARKERBLOCKALL" in page.text
    tokens = [csrf_from(browser, "/articles/open") for browser in (first, second)]
    assert tokens[0] != tokens[1]
    assert not any(token.encode() in body for token in tokens for body in stored_bodies(db))
    response = submit(second, "/articles/open", {}, action="/logout")
    assert response.status_code == 303
    assert "MARKERBLOCKALL" not in second.get("/articles/open").text
    assert "MARKERBLOCKALL" in first.get("/articles/open").text


def test_a_suspension_changes_what_the_reader_is_served_at_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    colleague = browser_for("physician", app, db, settings)
    reader = factories.applicant(db, settings, state=lifecycle.RequestState.APPROVED)
    person = TestClient(app)
    submit(person, "/login", {"email": reader.user.email, "password": factories.PASSWORD, "next": ""})
    for browser in (colleague, colleague, person):
        assert "MARKERWHOLEPHYSICIAN" in browser.get("/articles/for-physicians").text
    request = db.get(AccessRequest, reader.id)
    assert request is not None
    lifecycle.suspend(
        db,
        settings,
        request,
        reviewer=factories.staff(db, settings),
        reason="Test",
        revision=request.revision,
    )
    db.commit()
    page = person.get("/articles/for-physicians")
    assert page.status_code == 200 and "MARKERWHOLEPHYSICIAN" not in page.text
    assert "MARKERWHOLEPHYSICIAN" in colleague.get("/articles/for-physicians").text


def test_a_reader_with_a_message_waiting_sees_it_once_on_a_page_built_for_them(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    others = [visitor_with_a_cookie(app) for _ in range(2)]
    for browser in others:
        assert browser.get("/").status_code == 200
    assert others[-1].get("/").headers["x-cache"] == "hit"
    person = browser_for("pending", app, db, settings)
    logout(person)
    shown = person.get("/")
    assert "You are logged out." in shown.text and "x-cache" not in shown.headers
    again = person.get("/")
    assert "You are logged out." not in again.text and again.headers["x-cache"] == "hit"
    assert "You are logged out." not in others[0].get("/").text


def test_an_editors_save_shows_to_logged_in_readers_at_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    reader = browser_for("physician", app, db, settings)
    for _ in range(3):
        page = reader.get("/articles/open")
    assert page.headers["x-cache"] == "hit" and "MARKERBLOCKALL" in page.text
    editor = editor_client(app, db, settings)
    article = db.scalars(select(Article).where(Article.slug == "open")).one()
    body = OPEN_BODY.replace("MARKERBLOCKALL", "MARKERREWRITTEN")
    response = submit(
        editor, f"/admin/articles/{article.id}", {**editor_values(editor, article), "body": body}
    )
    assert response.status_code == 303
    page = reader.get("/articles/open")
    assert "MARKERREWRITTEN" in page.text and "MARKERBLOCKALL" not in page.text
    assert "x-cache" not in page.headers


def test_the_cache_keeps_one_page_per_variant_not_per_person(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    plant(db)
    kinds = ["physician", "physician", "reviewer", "editor", "admin", *NOT_ENTITLED[1:3]]
    for kind in kinds:
        browser = browser_for(kind, app, db, settings)
        for _ in range(2):
            browser.get("/articles/open")
    # Physicians share one page, the three staff roles another, each applicant state its own.
    assert len(stored_bodies(db)) == 4


def test_readers_asking_at_once_for_a_new_page_wait_for_one_learning_and_one_build(
    app: FastAPI, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant(db)
    physician = browser_for("physician", app, db, settings)
    cookie = "; ".join(f"{name}={value}" for name, value in physician.cookies.items()).encode()
    answers: list[bytes] = []

    async def ask() -> None:
        body = await asgi_get(
            app,
            "/articles/open",
            headers=((b"cookie", cookie),),
            answered=lambda headers: answers.append(headers.get(b"x-cache", b"built")),
        )
        assert b"MARKERBLOCKALL" in body

    async def crowd() -> None:
        async def later() -> None:
            while not storing_started:  # the page is sent; it is still being stored
                await asyncio.sleep(0.01)
            await asyncio.gather(ask(), ask())

        await asyncio.gather(*(ask() for _ in range(6)), later())

    storing = page_store.store
    storing_started: list[bool] = []

    def slow_store(*args: object, **kwargs: object) -> None:
        storing_started.append(True)
        time.sleep(0.5)  # a busy database: the page is built and sent, not stored yet
        storing(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(page_store, "store", slow_store)
    # A loop of its own in a thread: a worker that ran the browser tests may hold a running loop.
    with TestClient(app), ThreadPoolExecutor(1) as thread:  # the client runs the app's start-up
        thread.submit(asyncio.run, crowd()).result()
    # One learns whether the route is shared, one builds the page; the others are served it, also
    # those whose lookup missed while it was being stored.
    assert sorted(answers) == [b"built"] * 2 + [b"hit"] * 6


def test_a_page_that_changed_or_set_a_cookie_is_not_kept(settings: Settings) -> None:
    pages = ReaderPages(
        None,  # type: ignore[arg-type]
        engine=create_engine("sqlite://"),
        reader=create_engine("sqlite://"),
        settings=settings,
        read_as=lambda *_: Reader("visitor", None),
    )
    held = {"csrf": "a-secret-of-the-reader-0123456789"}

    def flash_cookie(contents: dict[str, object]) -> tuple[bytes, bytes]:
        value = pages.signer.sign(base64.b64encode(json.dumps(contents).encode())).decode()
        return (b"set-cookie", f"portal_flash={value}; path=/; httponly".encode())

    assert pages._same_flash([(b"content-type", b"text/html")], held)
    assert pages._same_flash([flash_cookie(held)], held)
    assert not pages._same_flash([flash_cookie({**held, "flash": [{"message": "Hi"}]})], held)
    assert not pages._same_flash([flash_cookie({"csrf": "another"})], held)
    assert not pages._same_flash([(b"set-cookie", b"portal_flash=null; expires=Thu, 01 Jan 1970")], held)
    assert not pages._same_flash([(b"set-cookie", b"portal_session=abc; path=/")], held)
