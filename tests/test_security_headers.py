"""Every response, whatever produced it, carries the security headers; pages need no inline code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import production_browser, soup
from tests.crawl import crawl


def directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["content-security-policy"]
    pairs = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


def assert_protected(response) -> None:  # type: ignore[no-untyped-def]
    csp = directives(response)
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"])
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "server" not in response.headers


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def test_pages_api_static_errors_and_redirects_all_carry_the_headers(
    failing_app: FastAPI, db: Session
) -> None:
    factories.article(db, slug="sleep-and-mood")
    with TestClient(failing_app, raise_server_exceptions=False) as client:
        responses = {
            "page": client.get("/articles/sleep-and-mood"),
            "api": client.get("/api/v1/articles"),
            "static": client.get("/static/site.css"),
            "not found": client.get("/no-such-page"),
            "slash redirect": client.get("/articles/", follow_redirects=False),
            "login redirect": client.get("/account", follow_redirects=False),
            "server error": client.get("/boom"),
            "head": client.head("/articles/sleep-and-mood"),
        }
    assert [r.status_code for r in responses.values()] == [200, 200, 200, 404, 307, 303, 500, 200]
    for response in responses.values():
        assert_protected(response)


def test_a_response_that_chose_its_referrer_policy_keeps_it(app: FastAPI, client: TestClient) -> None:
    @app.get("/token-page")
    def token_page() -> PlainTextResponse:
        return PlainTextResponse("a page with a token", headers={"Referrer-Policy": "no-referrer"})

    assert client.get("/token-page").headers.get_list("referrer-policy") == ["no-referrer"]


def test_hsts_is_sent_in_production_only(client: TestClient, settings: Settings) -> None:
    assert "strict-transport-security" not in client.get("/").headers
    with production_browser(settings) as browser:
        response = browser.get("/")
    assert response.status_code == 200
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert_protected(response)


TABLE_BODY = """Doses at a glance:

| drug | dose |
|:-----|-----:|
| A    | 5 mg |
"""


def inline_code(html: str) -> list[str]:
    """Scripts and styles written into the page itself, which the CSP would block."""
    page = soup(html)
    found = [f"<style> {tag.get_text()[:40]}" for tag in page.find_all("style")]
    found += [f"style= on <{tag.name}>" for tag in page.find_all(style=True)]
    found += [f"on* on <{tag.name}>" for tag in page.find_all() if any(a.startswith("on") for a in tag.attrs)]
    scripts = page.find_all("script")
    found += [f"<script> {s.get_text()[:40]}" for s in scripts if not s.get("src") and not _data(s)]
    return found


def _data(script) -> bool:  # type: ignore[no-untyped-def]
    return script.get("type") == "application/ld+json"


@pytest.fixture
def staff_client(app: FastAPI, db: Session, settings: Settings) -> Iterator[TestClient]:
    editor = factories.staff(db, settings, role=Role.EDITOR)
    with TestClient(app) as browser:
        login(browser, editor.email, factories.PASSWORD)
        yield browser


def test_no_page_needs_inline_script_or_style(
    client: TestClient, staff_client: TestClient, db: Session
) -> None:
    factories.article(db, slug="with-a-table", body=TABLE_BODY, tags=["Doses"])
    pages = {path: body for path, body in crawl(client) if "content-type: text/html" in body}
    assert "/articles/with-a-table" in pages
    for path in ("/admin/articles/new", "/account/two-factor", "/admin", "/admin/articles"):
        pages[path] = staff_client.get(path).text
    assert "QR code" in pages["/account/two-factor"] and "dose" in pages["/articles/with-a-table"]
    assert {path: found for path, body in pages.items() if (found := inline_code(body))} == {}
