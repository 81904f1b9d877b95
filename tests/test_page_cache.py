"""The shared page cache: visitors share stored pages; nobody else ever gets or makes one.

A page comes from the cache when its answer says `X-Cache: hit`; what is stored is read from the
`cached_page` table. Every kind of logged-in viewer is checked, since a page built for one of them
and handed to a visitor (or the reverse) is the worst bug this cache could have.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles import taxonomy
from app.articles.models import Article, ArticleStatus, Category, Tag
from app.core import clock, page_store
from app.core.anonymous import is_anonymous
from app.core.config import Settings
from app.core.content_version import CachedPage
from app.jobs import tick
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import asgi_get, submit
from tests.conftest import page_text
from tests.test_admin_articles import editor_client, editor_values
from tests.test_statement_counts import counted
from tests.viewers import ALL_KINDS, browser_for

GATED = "Open words for all.\n\n::: professional physician\nDosing for physicians only.\n:::\n"
PAGES = ["/", "/articles", "/articles/dosing", "/categories/mental-health", "/search?q=words", "/feed.xml"]
PAGES += ["/api/v1/articles", "/sitemap.xml", "/tags/sleep"]


@pytest.fixture
def dosing(db: Session) -> None:
    factories.article(db, slug="dosing", title="Dosing guide", body=GATED, tags=["Sleep"])


def visit(app: FastAPI, path: str, **headers: str) -> Response:
    """One request from a fresh browser without cookies."""
    with TestClient(app) as browser:
        return browser.get(path, headers=headers)


def stored_pages(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(CachedPage)) or 0


@pytest.mark.usefixtures("dosing")
@pytest.mark.parametrize("path", PAGES)
def test_a_visitors_second_request_is_served_from_the_cache_with_one_statement(
    app: FastAPI, path: str
) -> None:
    first = visit(app, path)
    with counted(app) as statements:
        second = visit(app, path)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert len(statements) == 1, statements


@pytest.mark.usefixtures("dosing")
def test_a_stored_page_keeps_its_headers_and_answers_gzip_plain_head_and_revalidation(
    app: FastAPI, db: Session
) -> None:
    built = visit(app, "/articles/dosing", **{"accept-encoding": "identity"})
    zipped = visit(app, "/articles/dosing", **{"accept-encoding": "gzip"})
    plain = visit(app, "/articles/dosing", **{"accept-encoding": "identity"})
    assert stored_pages(db) == 1
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.content == plain.content == built.content
    assert "Open words for all." in page_text(plain.text) and "Dosing for physicians" not in plain.text
    for answer in (zipped, plain):
        headers = answer.headers
        assert headers["cache-control"] == "public, max-age=60"
        assert headers["vary"] == "Cookie, Accept-Encoding"
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "set-cookie" not in headers
    assert zipped.headers["etag"] != plain.headers["etag"] == built.headers["etag"]
    again = visit(app, "/articles/dosing", **{"if-none-match": plain.headers["etag"], "accept-encoding": ""})
    assert (again.status_code, again.content, again.headers["x-cache"]) == (304, b"", "hit")
    with TestClient(app) as browser:
        head = browser.head("/articles/dosing", headers={"accept-encoding": "identity"})
    assert (head.status_code, head.content, head.headers["x-cache"]) == (200, b"", "hit")
    assert head.headers["content-length"] == str(len(plain.content))


@pytest.mark.parametrize("kind", [kind for kind in ALL_KINDS if kind != "visitor"])
def test_a_logged_in_viewer_never_receives_a_visitors_page_nor_makes_one_for_visitors(
    app: FastAPI, db: Session, settings: Settings, kind: str
) -> None:
    factories.article(db, slug="dosing", title="Dosing guide", body=GATED)
    for path in ("/articles/dosing", "/"):
        visit(app, path)
    shown = {path: visit(app, path) for path in ("/articles/dosing", "/")}
    assert shown["/articles/dosing"].headers["x-cache"] == "hit"
    person = browser_for(kind, app, db, settings)
    for path in (*PAGES, "/articles/dosing?unseen=1"):
        for _ in range(2):  # the second may come from the logged-in readers' cache (test_reader_cache.py)
            page = person.get(path)
            assert page.headers["cache-control"] == "private, no-store", (kind, path)
            assert "age" not in page.headers and "etag" not in page.headers, (kind, path)
    # Visitors still get the pages stored for visitors, and nothing a logged-in person was shown.
    for path, before in shown.items():
        after = visit(app, path)
        assert after.headers["x-cache"] == "hit" and after.content == before.content, (kind, path)
    # What each kind sees is built for them: a physician reads the block the stored page lacks.
    if kind == "physician":
        assert "Dosing for physicians only." in person.get("/articles/dosing").text


def test_the_identity_rule_lets_no_cookie_or_credential_through() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
        return {"type": "http", "headers": [(b"host", b"testserver"), *headers]}

    assert is_anonymous(scope())
    assert is_anonymous(scope((b"accept-encoding", b"gzip"), (b"if-none-match", b'"x"')))
    for cookie in (b"portal_session=abc", b"portal_flash=xyz", b"__Host-portal_session=abc", b"other=1"):
        assert not is_anonymous(scope((b"cookie", cookie)))
    assert not is_anonymous(scope((b"authorization", b"Bearer abc")))
    # The language switch's cookie alone says nothing about who reads: still a visitor.
    assert is_anonymous(scope((b"cookie", b"portal_language=de")))
    assert is_anonymous(scope((b"cookie", b"portal_language=de"), (b"cookie", b"portal_language=en")))
    for cookie in (
        b"portal_language=de; portal_session=abc",
        b"portal_session=abc; portal_language=de",
        b"portal_language=de;portal_flash=xyz",
        b"Portal_Language=de",
        b"portal_language_x=de",
        b"",
    ):
        assert not is_anonymous(scope((b"cookie", cookie))), cookie
    assert not is_anonymous(scope((b"cookie", b"portal_language=de"), (b"cookie", b"portal_session=abc")))
    assert not is_anonymous(scope((b"cookie", b"portal_language=de"), (b"authorization", b"Basic x")))


def test_a_page_with_a_form_is_never_stored(app: FastAPI, db: Session) -> None:
    for path in ("/contact", "/login", "/request-access", "/forgot-password"):
        visit(app, path)
        second = visit(app, path)
        assert 'name="csrf_token"' in second.text and "x-cache" not in second.headers, path
    assert stored_pages(db) == 0


def test_health_checks_are_never_stored(app: FastAPI, db: Session) -> None:
    for path in ("/healthz", "/readyz"):
        visit(app, path)
        assert visit(app, path).headers["cache-control"] == "no-store"
    assert stored_pages(db) == 0


@pytest.mark.usefixtures("dosing")
def test_an_editors_save_unpublish_and_publish_show_to_visitors_at_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    for path in ("/articles/dosing", "/"):
        visit(app, path)
        assert visit(app, path).headers["x-cache"] == "hit"
    editor = editor_client(app, db, settings)
    article = db.scalars(select(Article).where(Article.slug == "dosing")).one()
    page = f"/admin/articles/{article.id}"
    submit(editor, page, {**editor_values(editor, article), "title": "Dosing, revised", "action": "save"})
    seen = visit(app, "/articles/dosing")
    assert seen.headers["x-cache"] == "miss" and "Dosing, revised" in seen.text
    assert "Dosing, revised" in visit(app, "/").text
    submit(editor, page, {**editor_values(editor, article), "action": "unpublish"})
    assert visit(app, "/articles/dosing").status_code == 404
    assert "Dosing, revised" not in visit(app, "/").text
    submit(editor, page, {**editor_values(editor, article), "action": "publish"})
    assert "Dosing, revised" in visit(app, "/articles/dosing").text


@pytest.mark.usefixtures("dosing")
def test_renaming_a_category_or_tag_shows_to_visitors_at_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    for path in ("/articles/dosing", "/categories/mental-health", "/tags/sleep"):
        visit(app, path)
    editor = factories.staff(db, settings, role=Role.EDITOR)
    category = db.scalars(select(Category).where(Category.slug == "mental-health")).one()
    taxonomy.update_category(db, category, name="Mind", slug="mental-health", description="", actor=editor)
    db.commit()
    assert "Mind" in page_text(visit(app, "/categories/mental-health").text)
    assert visit(app, "/articles/dosing").headers["x-cache"] == "miss"
    tag = db.scalars(select(Tag).where(Tag.slug == "sleep")).one()
    taxonomy.rename_tag(db, tag, name="Rest", slug="sleep", actor=editor)
    db.commit()
    assert "Rest" in page_text(visit(app, "/tags/sleep").text)


def test_scheduled_publishing_by_the_tick_shows_to_visitors_at_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    factories.article(
        db,
        slug="later",
        title="Coming soon",
        status=ArticleStatus.SCHEDULED,
        published_at=clock.now() + timedelta(minutes=5),
    )
    assert "Coming soon" not in visit(app, "/articles").text
    with clock.travel(timedelta(minutes=6)):
        tick.run(app.state.session_factory, settings)
        listed = visit(app, "/articles")
    assert "Coming soon" in listed.text and listed.headers["x-cache"] == "miss"


def test_the_query_string_and_the_host_are_part_of_the_key(
    app_with: Callable[..., FastAPI], db: Session
) -> None:
    application = app_with(allowed_hosts="testserver,other.example")
    visit(application, "/search?q=sleep")
    assert visit(application, "/search?q=mood").headers["x-cache"] == "miss"
    assert visit(application, "/search?q=sleep").headers["x-cache"] == "hit"
    with TestClient(application, base_url="http://other.example") as other:
        assert other.get("/search?q=sleep").headers["x-cache"] == "miss"
    with TestClient(application, base_url="https://testserver") as secure:
        assert secure.get("/search?q=sleep").headers["x-cache"] == "miss"
    with TestClient(application, base_url="http://forged.example") as forged:
        assert forged.get("/search?q=sleep").status_code == 400
    assert stored_pages(db) == 4
    long_query = "/search?q=" + "a" * 2000
    visit(application, long_query)
    assert "x-cache" not in visit(application, long_query).headers


@pytest.mark.usefixtures("dosing")
def test_a_page_is_built_again_after_the_maximum_age(app: FastAPI) -> None:
    visit(app, "/articles/dosing")
    with clock.travel(timedelta(seconds=59)):
        assert visit(app, "/articles/dosing").headers["x-cache"] == "hit"
    with clock.travel(timedelta(seconds=61)):
        assert visit(app, "/articles/dosing").headers["x-cache"] == "miss"


def test_the_tick_keeps_at_most_the_configured_number_of_pages(
    app_with: Callable[..., FastAPI], settings: Settings, db: Session
) -> None:
    capped = settings.model_copy(update={"page_cache_max_entries": 3})
    application = app_with(page_cache_max_entries=3)
    for n in range(6):
        visit(application, f"/search?q=word{n}")
    assert stored_pages(db) == 6
    report = tick.run(application.state.session_factory, capped)
    assert report.done["stale shared pages removed"] == 3 and stored_pages(db) == 3


@pytest.mark.usefixtures("dosing")
def test_pages_are_still_served_when_the_cache_cannot_be_read(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit(app, "/articles/dosing")
    tries: list[str] = []

    def unreachable(*args: object, **kwargs: object) -> None:
        tries.append("lookup")
        raise OperationalError("SELECT", {}, ConnectionRefusedError("the database is away"))

    monkeypatch.setattr(page_store, "lookup", unreachable)
    for _ in range(2):
        page = visit(app, "/articles/dosing")
        assert page.status_code == 200 and "Open words for all." in page.text
        assert "x-cache" not in page.headers
    # After one failure the cache is left alone for a few seconds: an outage costs no more time.
    assert tries == ["lookup"]


def test_no_page_cache_when_its_age_is_zero(app_with: Callable[..., FastAPI], db: Session) -> None:
    application = app_with(page_cache_seconds=0)
    for _ in range(2):
        assert "x-cache" not in visit(application, "/").headers
    assert stored_pages(db) == 0


@pytest.mark.usefixtures("dosing")
def test_visitors_asking_at_once_for_a_missing_page_wait_for_one_build(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[bytes] = []

    async def ask() -> None:
        await asgi_get(app, "/articles/dosing", answered=lambda headers: answers.append(headers[b"x-cache"]))

    async def crowd() -> None:
        async def later() -> None:
            while b"miss" not in answers:  # the page is sent; it is still being stored
                await asyncio.sleep(0.01)
            await asyncio.gather(ask(), ask())

        await asyncio.gather(*(ask() for _ in range(6)), later())

    storing = page_store.store

    def slow_store(*args: object, **kwargs: object) -> None:
        time.sleep(0.5)  # a busy database: the page is built and sent, not stored yet
        storing(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(page_store, "store", slow_store)
    # A loop of its own in a thread: a worker that ran the browser tests may hold a running loop.
    with TestClient(app), ThreadPoolExecutor(1) as thread:  # the client runs the app's start-up
        thread.submit(asyncio.run, crowd()).result()
    assert sorted(answers) == [b"hit"] * 7 + [b"miss"]
