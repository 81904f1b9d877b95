"""Odd values typed into every staff form and query string: a message or a normal page, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.accounts.models import Role, User
from app.articles.models import Category, Tag
from app.contact.models import ContactMessage
from app.core.config import Settings
from app.media.models import MediaFile
from tests import factories
from tests.browsing import csrf_from, login, submit
from tests.test_admin_media import image_bytes

ODD = [
    "",
    " ",
    "x" * 20_000,
    "a\x00b",
    "\x00",
    "-1",
    "0",
    "99999999999999999999999",
    "9" * 5000,
    "²",
    "١٢",
    "abc",
    "1.5",
    "2026-13-45",
    "2026-02-30T25:61",
    "0000-00-00",
    "9999-12-31",
    "9999-12-31T23:59",
    "<script>alert(1)</script>",
    "'; drop table article; --",
    "%00",
    "\ud7ff\ufffe",
]
ODD_FIELD_NAMES = ["page", "id", "version", "x\x00y"]


@pytest.fixture
def admin(app: FastAPI, db: Session, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        submit(
            client,
            "/contact",
            {
                "name": "Ann",
                "email": "ann@example.org",
                "subject": "Hello",
                "message": "A question.",
                "consent": "on",
            },
        )
        person = factories.staff(db, settings, role=Role.ADMIN)
        secret = factories.second_factor(db, settings, person)
        factories.staff(db, settings, role=Role.REVIEWER)
        login(client, person.email, factories.PASSWORD, secret=secret)
        factories.article(db, tags=["Sleep"], body="Text.\n\n::: professional\nGated.\n:::\n")
        png = ("a.png", image_bytes("PNG"), "image/png")
        submit(client, "/admin/media/upload", {"alt": "A chart", "caption": ""}, files={"file": png})
        yield client


def ids(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        "article": 1,
        "category": db.scalars(select(Category.id)).first() or 0,
        "tag": db.scalars(select(Tag.id)).first() or 0,
        "media": db.scalars(select(MediaFile.id)).first() or 0,
        "message": db.scalars(select(ContactMessage.id)).first() or 0,
        "reviewer": db.scalars(select(User.id).where(User.role == Role.REVIEWER)).first() or 0,
    }


def gets(n: dict[str, int]) -> dict[str, list[str]]:
    """Each staff page with a query string, and the parameters it reads."""
    return {
        "/admin": [],
        "/admin/articles": ["q", "status", "category", "audience", "author", "sort", "page"],
        f"/admin/articles/{n['article']}/revisions": ["page"],
        f"/admin/articles/{n['article']}/revisions/compare": ["old", "new"],
        "/admin/media": ["kind", "q", "page"],
        "/admin/categories": ["page"],
        f"/admin/categories/{n['category']}": ["page"],
        "/admin/tags": ["page", "q"],
        f"/admin/tags/{n['tag']}": ["page"],
        f"/admin/tags/{n['tag']}/merge": ["into", "q"],
        "/admin/messages": ["status", "page"],
        "/admin/users": ["q", "role", "state", "profession", "page"],
        "/admin/audit": ["actor", "action", "target_type", "target_id", "from", "to", "page", "format"],
        "/admin/audit.csv": ["actor", "action", "target_type", "target_id", "from", "to"],
    }


EDITOR = {
    "title": "T", "slug": "", "summary": "S", "body": "B", "category": "1", "tags": "a, b",
    "audience": "professions", "professions": "physician", "author_name": "A", "hero_image": "1",
    "hero_alt": "Alt", "published_at": "2030-01-01T09:00", "action": "schedule", "version": "1",
    "preview_profession": "dentist", "ref-0-key": "k", "ref-0-year": "2020", "ref-0-doi": "10.1/x",
    "ref-0-title": "Ref", "ref-59-title": "Last",
}  # fmt: skip
CATEGORY = {"name": "Named", "slug": "", "description": "D"}
REQUEST = {
    "full_name": "Dr. A", "email": "a@clinic.example", "password": factories.PASSWORD,
    "password_confirm": factories.PASSWORD, "profession": "physician", "specialty": "S",
    "licence_number": "1234567893", "licence_country": "US", "institution": "I", "country": "US",
    "group_membership": "", "accept_terms": "on",
}  # fmt: skip


def posts(n: dict[str, int]) -> list[tuple[str, dict[str, str]]]:
    """(address, a valid filling of its form) for every staff form, and the public ones they touch."""
    article, media, tag = (
        f"/admin/articles/{n['article']}",
        f"/admin/media/{n['media']}",
        f"/admin/tags/{n['tag']}",
    )
    return [
        ("/admin/articles/new", EDITOR),
        ("/admin/articles/new/preview", EDITOR),
        (article, EDITOR),
        (f"{article}/preview", EDITOR),
        (f"{article}/revisions/1/restore", {"version": "1"}),
        ("/admin/media/upload", {"alt": "A", "caption": "C"}),
        (media, {"alt": "A", "caption": "C"}),
        ("/admin/categories/new", CATEGORY),
        (f"/admin/categories/{n['category']}", CATEGORY),
        ("/admin/tags/new", {"name": "Named", "slug": ""}),
        (tag, {"name": "Named", "slug": ""}),
        (f"{tag}/merge", {"into": str(n["tag"]), "confirm": "merge"}),
        (f"/admin/messages/{n['message']}/reply", {"body": "Thanks", "handled": "on"}),
        ("/admin/users", {"email": "new@society.example", "full_name": "New", "role": "editor"}),
        (f"/admin/users/{n['reviewer']}/role", {"role": "reviewer"}),
        ("/contact", {"name": "A", "email": "a@b.example", "subject": "S", "message": "M", "consent": "on"}),
        ("/request-access", REQUEST),
        (f"{media}/delete", {"confirm": "delete", "used_by": ""}),
    ]  # fmt: skip


def odd_cases(fields: list[list[str]]) -> list[tuple[int, str, list[str]]]:
    """(form, field name, the odd values to send in it) for every field of every form.

    A field name is read by the same parser on every form that has it, so each name meets every
    odd value once, on the first form that has it; every later form still meets each of its
    fields with one odd value, a different one each time.
    """
    seen: dict[str, int] = {}
    cases = []
    for form, names in enumerate(fields):
        for name in dict.fromkeys([*names, *ODD_FIELD_NAMES]):
            times = seen.get(name, 0)
            seen[name] = times + 1
            cases.append((form, name, ODD if times == 0 else [ODD[times % len(ODD)]]))
    return cases


# Field names do not depend on the ids in the addresses, so the cases are made once, up front,
# and dealt into a few groups that run side by side on several workers.
NO_IDS = dict.fromkeys(["article", "category", "tag", "media", "message", "reviewer"], 0)
GET_CASES = odd_cases(list(gets(NO_IDS).values()))
POST_CASES = odd_cases([list(valid) for _, valid in posts(NO_IDS)])
GROUPS = 4


@pytest.mark.parametrize("group", range(GROUPS))
def test_odd_query_values_give_a_page_or_a_4xx(admin: TestClient, db: Session, group: int) -> None:
    failures = []
    pages = list(gets(ids(db)))
    for index, name, values in GET_CASES[group::GROUPS]:
        path = pages[index]
        for value in values:
            response = admin.get(path, params={name: value})
            if response.status_code >= 500:
                failures.append((path, name, value[:30], response.status_code))
        doubled = admin.get(path, params=[(name, "1"), (name, "x")])
        if doubled.status_code >= 500:
            failures.append((path, name, "twice", doubled.status_code))
    assert not failures, "\n".join(map(repr, failures))


def post(client: TestClient, token: str, action: str, data: Any) -> int:
    body = urlencode([("csrf_token", token), *data])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post(action, content=body, headers=headers, follow_redirects=False)
    assert response.status_code != 403, (action, data)  # the form was read, not refused for its token
    return response.status_code


@pytest.mark.parametrize("group", range(GROUPS))
def test_odd_form_values_give_a_page_or_a_4xx(admin: TestClient, db: Session, group: int) -> None:
    failures = []
    token = csrf_from(admin, "/admin/categories/new")
    forms = posts(ids(db))
    for index, name, values in POST_CASES[group::GROUPS]:
        action, valid = forms[index]
        for value in values:
            status = post(admin, token, action, [*{**valid, name: value}.items()])
            if status >= 500:
                failures.append((action, name, value[:30], status))
        status = post(admin, token, action, [*valid.items(), (name, "1"), (name, "x")])
        if status >= 500:
            failures.append((action, name, "twice", status))
    assert not failures, "\n".join(map(repr, failures))


def test_a_nul_in_the_public_contact_and_access_forms_is_marked_not_refused_by_the_database(
    client: TestClient, db: Session
) -> None:
    fields = {
        "name": "Ann\x00",
        "email": "ann@example.org",
        "subject": "Hel\x00lo",
        "message": "A\x00 question.",
    }
    sent = submit(client, "/contact", {**fields, "consent": "on"}, follow=True)
    assert sent.status_code == 200
    db.expire_all()
    stored = db.scalars(select(ContactMessage)).one()
    assert (stored.name, stored.subject, stored.message) == ("Ann\ufffd", "Hel\ufffdlo", "A\ufffd question.")
    asked = submit(
        client, "/request-access", {**REQUEST, "full_name": "Dr.\x00 A", "email": "a\x00@clinic.example"}
    )
    assert asked.status_code in (303, 422)
