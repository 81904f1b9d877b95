"""HTTP caching as a browser and a shared cache meet it: validators for the public, none for persons."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from app.access.models import RequestState
from app.core.config import Settings
from app.core.etag import ETags
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.test_feeds import GATED_BODY

PUBLIC = "public, max-age=60"


def visitor(app: FastAPI) -> TestClient:
    """A browser that has never been given a cookie."""
    return TestClient(app)


def test_a_visitor_gets_a_public_validated_page_and_a_304_on_revalidation(
    client: TestClient, db: Session
) -> None:
    factories.article(db, slug="open", title="Open article")
    first = client.get("/articles/open")
    etag = first.headers["etag"]
    assert first.status_code == 200 and "Open article" in first.text
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert first.headers["cache-control"] == PUBLIC
    assert first.headers["vary"] in ("Cookie", "Cookie, Accept-Encoding")
    assert "set-cookie" not in first.headers
    again = client.get("/articles/open", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == PUBLIC
    assert "content-type" not in again.headers
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        assert client.get("/articles/open", headers={"If-None-Match": header}).status_code == 304


def test_a_changed_page_gets_a_new_etag_and_a_stale_one_gets_the_page(
    client: TestClient, db: Session
) -> None:
    factories.article(db, slug="open", summary="First summary.")
    etag = client.get("/articles/open").headers["etag"]
    assert client.get("/articles/open", headers={"If-None-Match": '"stale"'}).status_code == 200
    # Saved as every change is (editor, import): the save retires the shared copy of the page.
    factories.article(db, slug="open", summary="Second summary.")
    fresh = client.get("/articles/open", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "Second summary." in fresh.text
    assert fresh.headers["etag"] != etag


def test_a_feed_reader_revalidates_the_feed_and_the_sitemap(client: TestClient, db: Session) -> None:
    factories.article(db)
    for path in ("/feed.xml", "/sitemap.xml", "/robots.txt"):
        first = client.get(path)
        assert first.headers["cache-control"] == PUBLIC
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path


def test_a_logged_in_professional_gets_private_pages_and_never_a_visitors_304(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    factories.article(db, slug="open", body=GATED_BODY)
    public = visitor(app).get("/articles/open")
    assert "MARKER-GATED-BLOCK" not in public.text
    email = factories.applicant(db, settings, state=RequestState.APPROVED).user.email
    with TestClient(app) as browser:
        login(browser, email, factories.PASSWORD)
        mine = browser.get("/articles/open", headers={"If-None-Match": public.headers["etag"]})
        assert mine.status_code == 200 and "MARKER-GATED-BLOCK" in mine.text
        assert mine.headers["cache-control"] == "private, no-store"
        assert "Cookie" in mine.headers["vary"]
        assert "etag" not in mine.headers
        home = browser.get("/", headers={"If-None-Match": "*"})
        assert home.status_code == 200 and home.headers["cache-control"] == "private, no-store"


def test_a_page_that_sets_a_cookie_is_private_even_for_a_visitor(app: FastAPI) -> None:
    response = visitor(app).get("/login", headers={"If-None-Match": "*"})
    assert response.status_code == 200 and "set-cookie" in response.headers
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


def test_errors_and_redirects_are_not_validated(app: FastAPI) -> None:
    client = visitor(app)
    missing = client.get("/articles/no-such-article", headers={"If-None-Match": "*"})
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert "public" not in missing.headers.get("cache-control", "")
    gone = client.get("/account", follow_redirects=False)
    assert gone.status_code in (302, 303, 307) and "public" not in gone.headers.get("cache-control", "")


# The middleware on its own, around responses the site does not make today.


def small_app(max_body: int = 1024) -> TestClient:
    async def chunks():  # type: ignore[no-untyped-def]
        for part in (b"one ", b"two ", b"three"):
            yield part

    def stream(request: Request) -> Response:
        return StreamingResponse(chunks(), media_type="text/plain")

    def large(request: Request) -> Response:
        return PlainTextResponse("x" * (max_body + 1))

    def personal(request: Request) -> Response:
        return PlainTextResponse("mine", headers={"Cache-Control": "private, max-age=0"})

    def cookie(request: Request) -> Response:
        response = PlainTextResponse("hello")
        response.set_cookie("flash", "1")
        return response

    def chosen(request: Request) -> Response:
        return PlainTextResponse("chosen", headers={"Cache-Control": "public, max-age=3600"})

    routes = [Route(f"/{view.__name__}", view) for view in (stream, large, personal, cookie, chosen)]
    return TestClient(ETags(Starlette(routes=routes), max_body=max_body))


def test_a_streamed_body_is_validated_as_a_whole() -> None:
    client = small_app()
    first = client.get("/stream")
    assert first.text == "one two three" and first.headers["etag"]
    assert client.get("/stream", headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_a_body_too_large_to_hold_passes_through_without_an_etag() -> None:
    response = small_app(max_body=1024).get("/large", headers={"If-None-Match": "*"})
    assert response.status_code == 200 and len(response.content) == 1025
    assert "etag" not in response.headers


def test_private_responses_and_cookies_are_left_alone() -> None:
    client = small_app()
    personal = client.get("/personal", headers={"If-None-Match": "*"})
    assert personal.status_code == 200 and personal.headers["cache-control"] == "private, max-age=0"
    assert "etag" not in personal.headers
    setting = client.get("/cookie")
    assert "etag" not in setting.headers and "cache-control" not in setting.headers
    credentialed = small_app().get("/chosen", headers={"Authorization": "Bearer x", "If-None-Match": "*"})
    assert credentialed.status_code == 200 and "etag" not in credentialed.headers
    with_cookie = small_app().get("/chosen", headers={"Cookie": "a=b", "If-None-Match": "*"})
    assert with_cookie.status_code == 200 and "etag" not in with_cookie.headers


def test_a_views_own_cache_policy_is_kept() -> None:
    response = small_app().get("/chosen")
    assert response.headers["cache-control"] == "public, max-age=3600" and response.headers["etag"]


def test_head_answers_like_get_without_a_body(client: TestClient, db: Session) -> None:
    factories.article(db, slug="open", body="Public words.")
    got = client.get("/articles/open")
    head = client.head("/articles/open")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["etag"] == got.headers["etag"]
    assert client.head("/articles/nowhere").status_code == 404
