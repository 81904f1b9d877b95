"""Text is gzipped for visitors, never beside a secret; static files are cached for a year by version."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core.config import Settings
from app.core.static_files import IMMUTABLE, SHORT
from app.core.web import static_version
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login

GZIP = {"Accept-Encoding": "gzip"}
LONG_BODY = "A paragraph about sleep and mood that is long enough to be worth compressing. " * 20


def test_a_visitor_gets_a_gzipped_page_with_its_own_etag_and_all_headers(
    client: TestClient, db: Session
) -> None:
    factories.article(db, slug="open", title="Open article", body=LONG_BODY)
    page = client.get("/articles/open", headers=GZIP)
    assert page.headers["content-encoding"] == "gzip" and "Open article" in page.text
    assert "Accept-Encoding" in page.headers["vary"] and "Cookie" in page.headers["vary"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert int(page.headers["content-length"]) < len(page.text.encode())
    plain = client.get("/articles/open", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == page.text
    assert plain.headers["etag"] != page.headers["etag"]
    again = client.get("/articles/open", headers={**GZIP, "If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_head_announces_the_length_of_the_gzipped_get(client: TestClient, db: Session) -> None:
    factories.article(db, slug="open", body=LONG_BODY)
    got = client.get("/articles/open", headers=GZIP)
    head = client.head("/articles/open", headers=GZIP)
    assert head.content == b"" and head.headers["content-length"] == got.headers["content-length"]


def test_a_logged_in_page_is_never_compressed(app: FastAPI, db: Session, settings: Settings) -> None:
    factories.article(db, slug="open", body=LONG_BODY)
    email = factories.applicant(db, settings, state=RequestState.APPROVED).user.email
    with TestClient(app) as browser:
        login(browser, email, factories.PASSWORD)
        mine = browser.get("/articles/open", headers=GZIP)
    assert mine.status_code == 200 and "sleep and mood" in mine.text
    assert "content-encoding" not in mine.headers


def test_a_static_file_at_its_current_version_is_cached_for_a_year_even_with_cookies(
    client: TestClient,
) -> None:
    current = client.get(f"/static/site.css?v={static_version('site.css')}", headers=GZIP)
    assert current.headers["cache-control"] == IMMUTABLE
    assert current.headers["content-encoding"] == "gzip"
    client.cookies.set("portal_flash", "anything")
    with_cookie = client.get(f"/static/site.css?v={static_version('site.css')}")
    assert with_cookie.headers["cache-control"] == IMMUTABLE


def test_a_static_file_without_its_current_version_gets_a_short_life(client: TestClient) -> None:
    for address in ("/static/site.css", "/static/site.css?v=0123456789"):
        assert client.get(address).headers["cache-control"] == SHORT, address
    assert client.get("/static/missing.css?v=1").status_code == 404
