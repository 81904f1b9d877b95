"""Every route, by method, for every kind of viewer: the status each one gets.

A new route fails `test_the_matrix_covers_every_route` until its row is added here.

The site runs in English and German: every route is probed under /en/ and /de/ (the API, files and
health checks once, at their one address) and must answer the same in both.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core import i18n
from app.core.config import Settings
from app.core.errors import CSRF_MESSAGE
from app.core.languages import is_neutral
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from
from tests.test_routes import route_policies
from tests.viewers import browser_for

# `unconsented`: an approved physician who has not accepted the current terms. Every route of the
# account, access and staff routers but the consent page, their own data and logout sends them to
# accept first (303); public routes answer them as any member, and read as for a visitor.
KINDS = ["visitor", "pending", "physician", "unconsented", "editor", "reviewer", "admin"]
EVERYONE = dict.fromkeys(KINDS, 200)
MEMBERS = {
    "visitor": 303,
    "pending": 200,
    "physician": 200,
    "unconsented": 303,
    "editor": 303,
    "reviewer": 303,
    "admin": 303,
}
STAFF = {
    "visitor": 303,
    "pending": 403,
    "physician": 403,
    "unconsented": 303,
    "editor": 200,
    "reviewer": 200,
    "admin": 200,
}
REVIEWERS = {**STAFF, "editor": 403}
ADMINS = {**REVIEWERS, "reviewer": 403}
EDITORS = {**STAFF, "reviewer": 403}
NO_SUCH_MEDIA = {**EDITORS, "editor": 404, "admin": 404}
VISITORS_ONLY = {**dict.fromkeys(KINDS, 303), "visitor": 200}


LANGUAGES = ("en", "de")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's settings, for a site in both languages."""
    return settings.model_copy(update={"languages": ",".join(LANGUAGES)})


def addresses(path: str) -> list[tuple[str, str]]:
    """(prefix, address) of a path in each language; one address for those the same in all."""
    if is_neutral(path.split("?")[0]):
        return [("", path)]
    return [(f"/{code}", f"/{code}{path}") for code in LANGUAGES]


def expect(base: dict[str, int], **changes: int) -> dict[str, int]:
    return {**base, **changes}


# (method, route as declared, path to request, expected status by kind)
MATRIX = [
    ("GET", "/", "/", EVERYONE),
    ("GET", "/articles", "/articles", EVERYONE),
    ("GET", "/articles/{slug}", "/articles/open", EVERYONE),
    ("GET", "/categories/{slug}", "/categories/mental-health", EVERYONE),
    ("GET", "/tags/{slug}", "/tags/immunity", EVERYONE),
    ("GET", "/privacy", "/privacy", EVERYONE),
    ("GET", "/terms", "/terms", EVERYONE),
    ("GET", "/imprint", "/imprint", EVERYONE),
    ("GET", "/healthz", "/healthz", EVERYONE),
    ("GET", "/api/v1/articles", "/api/v1/articles", EVERYONE),
    ("GET", "/api/v1/articles/{slug}", "/api/v1/articles/open", EVERYONE),
    ("GET", "/media/{media_id}/{filename}", "/media/1/none.png", dict.fromkeys(KINDS, 404)),
    ("GET", "/readyz", "/readyz", EVERYONE),
    ("GET", "/search", "/search?q=immunity", EVERYONE),
    ("GET", "/feed.xml", "/feed.xml", EVERYONE),
    ("GET", "/sitemap.xml", "/sitemap.xml", EVERYONE),
    # The language switch: remembers the choice and leads back to the page, for everyone alike.
    ("GET", "/language/{code}", "/language/en?next=/articles", dict.fromkeys(KINDS, 303)),
    ("GET", "/robots.txt", "/robots.txt", EVERYONE),
    ("GET", "/contact", "/contact", EVERYONE),
    ("GET", "/contact/sent", "/contact/sent", EVERYONE),
    ("GET", "/login", "/login", VISITORS_ONLY),
    ("GET", "/request-access", "/request-access", VISITORS_ONLY),
    ("GET", "/request-access/sent", "/request-access/sent", expect(EVERYONE, unconsented=303)),
    ("GET", "/forgot-password", "/forgot-password", expect(EVERYONE, unconsented=303)),
    ("GET", "/reset-password", "/reset-password", expect(dict.fromkeys(KINDS, 400), unconsented=303)),
    ("GET", "/verify-email", "/verify-email", expect(dict.fromkeys(KINDS, 400), unconsented=303)),
    ("GET", "/account", "/account", MEMBERS),
    ("GET", "/account/password", "/account/password", expect(MEMBERS, editor=200, reviewer=200, admin=200)),
    ("GET", "/account/export", "/account/export",
     expect(MEMBERS, unconsented=200, editor=200, reviewer=200, admin=200)),
    ("GET", "/account/delete", "/account/delete",
     expect(MEMBERS, unconsented=200, editor=200, reviewer=200, admin=200)),
    ("GET", "/account/consent", "/account/consent", expect(dict.fromkeys(KINDS, 303), unconsented=200)),
    ("GET", "/account/two-factor", "/account/two-factor", STAFF),
    ("GET", "/login/two-factor", "/login/two-factor", VISITORS_ONLY),
    # The area's articles for professionals and staff; for everyone else, what it holds.
    ("GET", "/professional", "/professional", EVERYONE),
    ("GET", "/admin", "/admin", STAFF),
    ("GET", "/admin/requests", "/admin/requests", REVIEWERS),
    ("GET", "/admin/requests/{request_id}", "/admin/requests/{request_id}", REVIEWERS),
    ("GET", "/admin/requests/{request_id}/document", "/admin/requests/{request_id}/document",
     expect(REVIEWERS, reviewer=404, admin=404)),
    ("GET", "/admin/users", "/admin/users", REVIEWERS),
    ("GET", "/admin/users/{user_id}", "/admin/users/{user_id}", REVIEWERS),
    ("GET", "/admin/audit", "/admin/audit", ADMINS),
    ("GET", "/admin/audit.csv", "/admin/audit.csv", ADMINS),
    ("GET", "/admin/outbox", "/admin/outbox", REVIEWERS),
    ("GET", "/admin/messages", "/admin/messages", STAFF),
    ("GET", "/admin/messages/{message_id}", "/admin/messages/0",
     expect(STAFF, editor=404, reviewer=404, admin=404)),
    # Categories and tags: the article below files the first category (id 1) and tag (id 1).
    ("GET", "/admin/categories", "/admin/categories", expect(STAFF, reviewer=403)),
    ("GET", "/admin/categories/new", "/admin/categories/new", expect(STAFF, reviewer=403)),
    ("GET", "/admin/categories/{category_id}", "/admin/categories/1", expect(STAFF, reviewer=403)),
    ("GET", "/admin/tags", "/admin/tags", expect(STAFF, reviewer=403)),
    ("GET", "/admin/tags/new", "/admin/tags/new", expect(STAFF, reviewer=403)),
    ("GET", "/admin/tags/{tag_id}", "/admin/tags/1", expect(STAFF, reviewer=403)),
    ("GET", "/admin/tags/{tag_id}/merge", "/admin/tags/1/merge", expect(STAFF, reviewer=403)),
    ("GET", "/admin/media", "/admin/media", EDITORS),
    ("GET", "/admin/media/upload", "/admin/media/upload", EDITORS),
    ("GET", "/admin/media/{media_id}", "/admin/media/0", NO_SUCH_MEDIA),
    ("GET", "/admin/media/{media_id}/thumbnail", "/admin/media/0/thumbnail", NO_SUCH_MEDIA),
    ("GET", "/admin/media/{media_id}/delete", "/admin/media/0/delete", NO_SUCH_MEDIA),
    ("GET", "/admin/articles", "/admin/articles", EDITORS),
    ("GET", "/admin/articles/new", "/admin/articles/new", EDITORS),
    # Article 1 is the one the test creates first ("open").
    ("GET", "/admin/articles/{article_id}", "/admin/articles/1", EDITORS),
    ("GET", "/admin/articles/{article_id}/revisions", "/admin/articles/1/revisions", EDITORS),
    ("GET", "/admin/articles/{article_id}/revisions/compare",
     "/admin/articles/1/revisions/compare?old=1&new=1", EDITORS),
    # Posts carry a valid CSRF token and no other data: guards answer first, then validation.
    ("POST", "/login", "/login", expect(dict.fromkeys(KINDS, 422), unconsented=303)),
    ("POST", "/request-access", "/request-access", expect(dict.fromkeys(KINDS, 422), unconsented=303)),
    ("POST", "/contact", "/contact", dict.fromkeys(KINDS, 422)),
    ("POST", "/forgot-password", "/forgot-password", expect(dict.fromkeys(KINDS, 422), unconsented=303)),
    ("POST", "/reset-password", "/reset-password", expect(dict.fromkeys(KINDS, 400), unconsented=303)),
    ("POST", "/account/request", "/account/request", dict.fromkeys(KINDS, 303)),
    ("POST", "/account/renew", "/account/renew", dict.fromkeys(KINDS, 303)),
    ("POST", "/account/withdraw", "/account/withdraw", dict.fromkeys(KINDS, 303)),
    # No language chosen: the account page again, with the message.
    ("POST", "/account/language", "/account/language",
     expect(dict.fromkeys(KINDS, 422), visitor=303, unconsented=303)),
    ("POST", "/account/password", "/account/password",
     expect(dict.fromkeys(KINDS, 422), visitor=303, unconsented=303)),
    ("POST", "/account/delete", "/account/delete",
     expect(dict.fromkeys(KINDS, 422), visitor=303, editor=403, reviewer=403, admin=403)),
    ("POST", "/account/consent", "/account/consent", expect(dict.fromkeys(KINDS, 303), unconsented=422)),
    ("POST", "/account/two-factor", "/account/two-factor",
     expect(STAFF, editor=422, reviewer=422, admin=303)),
    ("POST", "/account/two-factor/recovery-codes", "/account/two-factor/recovery-codes",
     expect(STAFF, editor=303, reviewer=303, admin=422)),
    ("POST", "/account/two-factor/disable", "/account/two-factor/disable",
     expect(STAFF, editor=303, reviewer=303, admin=422)),
    ("POST", "/login/two-factor", "/login/two-factor", dict.fromkeys(KINDS, 303)),
    ("POST", "/admin/users/{user_id}/second-factor/reset", "/admin/users/0/second-factor/reset",
     expect(ADMINS, admin=404)),
    ("POST", "/admin/requests/{request_id}/{decision}", "/admin/requests/{request_id}/request-info",
     expect(REVIEWERS, reviewer=422, admin=422)),
    ("POST", "/admin/requests/{request_id}/access/{change}", "/admin/requests/{request_id}/access/suspend",
     expect(REVIEWERS, reviewer=422, admin=422)),
    ("POST", "/admin/users", "/admin/users", expect(ADMINS, admin=422)),
    ("POST", "/admin/requests", "/admin/requests", expect(REVIEWERS, reviewer=422, admin=422)),
    ("POST", "/admin/users/{user_id}/role", "/admin/users/0/role", expect(ADMINS, admin=404)),
    ("POST", "/admin/messages/{message_id}/reply", "/admin/messages/0/reply",
     expect(STAFF, editor=404, reviewer=404, admin=404)),
    ("POST", "/admin/messages/{message_id}/handled", "/admin/messages/0/handled",
     expect(STAFF, editor=404, reviewer=404, admin=404)),
    ("POST", "/admin/messages/{message_id}/reopen", "/admin/messages/0/reopen",
     expect(STAFF, editor=404, reviewer=404, admin=404)),
    ("POST", "/admin/categories/new", "/admin/categories/new",
     expect(STAFF, editor=422, reviewer=403, admin=422)),
    ("POST", "/admin/categories/{category_id}", "/admin/categories/1",
     expect(STAFF, editor=422, reviewer=403, admin=422)),
    # Refused while an article uses it: 409 with the count and the articles.
    ("POST", "/admin/categories/{category_id}/delete", "/admin/categories/1/delete",
     expect(STAFF, editor=409, reviewer=403, admin=409)),
    ("POST", "/admin/tags/new", "/admin/tags/new", expect(STAFF, editor=422, reviewer=403, admin=422)),
    ("POST", "/admin/tags/{tag_id}", "/admin/tags/1", expect(STAFF, editor=422, reviewer=403, admin=422)),
    ("POST", "/admin/tags/{tag_id}/merge", "/admin/tags/1/merge",
     expect(STAFF, editor=422, reviewer=403, admin=422)),
    ("POST", "/admin/tags/{tag_id}/delete", "/admin/tags/1/delete",
     expect(STAFF, editor=409, reviewer=403, admin=409)),
    ("POST", "/admin/media/upload", "/admin/media/upload", expect(EDITORS, editor=422, admin=422)),
    ("POST", "/admin/media/{media_id}", "/admin/media/0", NO_SUCH_MEDIA),
    ("POST", "/admin/media/{media_id}/delete", "/admin/media/0/delete", NO_SUCH_MEDIA),
    ("POST", "/admin/articles/new", "/admin/articles/new", expect(EDITORS, editor=422, admin=422)),
    ("POST", "/admin/articles/new/preview", "/admin/articles/new/preview", EDITORS),
    ("POST", "/admin/articles/preview/pane", "/admin/articles/preview/pane", EDITORS),
    ("POST", "/admin/articles/{article_id}", "/admin/articles/1", expect(EDITORS, editor=422, admin=422)),
    ("POST", "/admin/articles/{article_id}/preview", "/admin/articles/1/preview", EDITORS),
    # Without a language, starting a translation is refused and leads back to the editor.
    ("POST", "/admin/articles/{article_id}/translations",
     "/admin/articles/1/translations", expect(EDITORS, editor=303, admin=303)),
    # Without the version it was shown at, a restore is refused and leads back to the revisions.
    ("POST", "/admin/articles/{article_id}/revisions/{number}/restore",
     "/admin/articles/1/revisions/1/restore", expect(EDITORS, editor=303, admin=303)),
    # No session 0: back to the person's page, told it is not open.
    ("POST", "/admin/users/{user_id}/sessions/{session_id}/end", "/admin/users/{user_id}/sessions/0/end",
     expect(REVIEWERS, reviewer=303, admin=303)),
    ("POST", "/admin/users/{user_id}/sessions/end", "/admin/users/{user_id}/sessions/end",
     expect(REVIEWERS, reviewer=303, admin=303)),
    # Last: it ends the session of whoever is logged in.
    ("POST", "/logout", "/logout", dict.fromkeys(KINDS, 303)),
]  # fmt: skip


def _in_every_language(text: str) -> frozenset[str]:
    titles = set()
    for code in i18n.catalog_languages():
        with i18n.using(code):
            titles.add(i18n.gettext(text))
    return frozenset(titles)


# The title of the page that refuses a form for its token, as each language writes it.
REFUSED_FOR_TOKEN = _in_every_language(CSRF_MESSAGE[0])


class Poster:
    """Posts a form with nothing but a valid CSRF token, as the browser's page would send it.

    The token is read once: it changes only when the session starts again (a login), and a post
    refused for its token reads a fresh one and is sent again, so every post is judged with a valid
    token without opening a form page before each one.
    """

    def __init__(self, client: TestClient) -> None:
        self.client = client
        # Stale at first: the first form read shows that a refusal for the token is told apart.
        self.token = "stale"

    def post(self, url: str) -> Response:
        response = self.client.post(url, data={"csrf_token": self.token}, follow_redirects=False)
        if response.status_code == 403 and any(title in response.text for title in REFUSED_FOR_TOKEN):
            self.token = csrf_from(self.client, "/forgot-password")
            response = self.client.post(url, data={"csrf_token": self.token}, follow_redirects=False)
        return response


def test_the_matrix_covers_every_route(app: FastAPI) -> None:
    declared = {name for name in route_policies(app)}
    covered = {f"['{method}'] {route}" for method, route, _path, _expected in MATRIX}
    assert declared - covered == set()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_viewer_gets_the_expected_status_everywhere(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    factories.article(db, slug="open", tags=["Immunity"])
    request = factories.applicant(db, settings, state=RequestState.PENDING)
    client = browser_for(kind, app, db, settings)
    poster = Poster(client)
    got = {}
    for method, route, path, expected in MATRIX:
        path = path.replace("{request_id}", str(request.id)).replace("{user_id}", str(request.user_id))
        # Both languages one after the other: the last row, logout, ends the session in the first.
        for prefix, url in addresses(path):
            response = client.get(url, follow_redirects=False) if method == "GET" else poster.post(url)
            got[f"{method} {prefix}{route}"] = (response.status_code, expected[kind])
            guarded = route != "/language/{code}"  # the switch's 303 leads back to the page, not to login
            if (
                response.status_code == 303
                and expected[kind] == 303
                and kind == "visitor"
                and method == "GET"
            ):
                assert not guarded or response.headers["location"].startswith(f"{prefix}/login?next="), url
    client.__exit__(None, None, None)
    wrong = {name: pair for name, pair in got.items() if pair[0] != pair[1]}
    assert wrong == {}, "(got, expected)"


def test_a_number_no_row_can_have_is_not_found_on_every_route(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = browser_for("admin", app, db, settings)
    poster = Poster(client)
    huge = str(2**40)
    got = {}
    for method, route, _path, _expected in MATRIX:
        if "_id}" not in route and "{number}" not in route:
            continue
        path = re.sub(r"\{(\w+_id|number)\}", huge, route)
        path = path.replace("{decision}", "approve").replace("{change}", "suspend")
        for _prefix, url in addresses(path):
            response = client.get(url, follow_redirects=False) if method == "GET" else poster.post(url)
            got[f"{method} {url}"] = response.status_code
    client.__exit__(None, None, None)
    assert len(got) > 20
    assert {name: status for name, status in got.items() if status != 404} == {}
