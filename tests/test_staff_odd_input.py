"""Odd values typed into every staff form and query string: a message or a normal page, never a 500."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.articles.models import Category, Tag
from app.contact.models import ContactMessage
from app.core.config import Settings
from app.media.models import MediaFile
from tests import factories
from tests.asgi_client import TestClient
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
# What a field holds decides which odd values can break its parser; the others are one class with a
# plain wrong value (to a title, "1.5" is no odder than "x"). Every field meets the values of every
# kind of field: nothing, blanks, too long, NUL, characters PostgreSQL or an encoder may refuse.
EVERY_KIND = ["", " ", "x" * 20_000, "a\x00b", "\x00", "\ud7ff\ufffe", "%00"]
# The values that broke most fields before: past a column's size, and a NUL PostgreSQL refuses.
STAPLES = ["x" * 20_000, "a\x00b"]
BY_KIND = {
    # Free text, stored and shown again.
    "text": ["<script>alert(1)</script>", "'; drop table article; --"],
    # Text read in a form of its own: a slug, an address, a DOI, a tag list, a password.
    "format": ["<script>alert(1)</script>", "'; drop table article; --", "-1", "abc", "²"],
    "number": ["-1", "0", "99999999999999999999999", "9" * 5000, "²", "١٢", "abc", "1.5"],
    "date": ["2026-13-45", "2026-02-30T25:61", "0000-00-00", "9999-12-31", "9999-12-31T23:59", "abc", "0"],
    # One of a list (a select, radio buttons or a confirmation word).
    "choice": ["abc", "0", "-1", "<script>alert(1)</script>"],
    # A tick box: present or not, whatever it says.
    "flag": ["abc", "0"],
}
KIND = {
    **dict.fromkeys(
        ["title", "summary", "body", "author_name", "hero_alt", "ref-0-title", "ref-59-title", "name",
         "description", "alt", "caption", "subject", "message", "full_name", "specialty", "institution",
         "group_membership", "q", "actor", "x\x00y"],
        "text",
    ),
    **dict.fromkeys(
        ["slug", "tags", "ref-0-key", "ref-0-doi", "email", "password", "password_confirm",
         "licence_number", "used_by"],
        "format",
    ),
    **dict.fromkeys(
        ["category", "hero_image", "version", "ref-0-year", "into", "page", "id", "old", "new", "author",
         "target_id"],
        "number",
    ),
    **dict.fromkeys(["published_at", "from", "to"], "date"),
    **dict.fromkeys(
        ["audience", "professions", "action", "preview_profession", "viewer", "role", "state", "status",
         "kind", "sort", "profession", "licence_country", "country", "format", "confirm", "target_type"],
        "choice",
    ),
    **dict.fromkeys(["consent", "accept_terms", "handled"], "flag"),
}  # fmt: skip
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
        ("/admin/articles/preview/pane", {**EDITOR, "viewer": "dentist"}),
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


Change = list[tuple[str, str]]


def odd_cases(forms: list[list[str]]) -> list[tuple[int, Change]]:
    """(form, the fields to send instead of the valid ones) for each request worth sending.

    Forms share their parsers by kind of field (core/forms.py, pydantic types), so in each form the
    first field of each kind meets every odd value of its kind where that kind is first met, and
    after that the long and the NUL values and two more, a different two on each form; it is also
    sent twice with different values. Every other field meets one odd value of its kind. The names
    no form has (ODD_FIELD_NAMES) arrive together, once per form, each with its own odd value.
    """
    met: Counter[str] = Counter()
    cases: list[tuple[int, Change]] = []
    for form, names in enumerate(forms):
        leaders: dict[str, str] = {}
        for name in names:
            leaders.setdefault(KIND[name], name)
        for name in names:
            kind = KIND[name]
            values = [*EVERY_KIND, *BY_KIND[kind]]
            times = met[kind]
            met[kind] += 1
            if leaders[kind] != name:
                cases.append((form, [(name, values[times % len(values)])]))
                continue
            rest = [value for value in values if value not in STAPLES]
            chosen = values if times == 0 else [*STAPLES, *(rest[(times + i) % len(rest)] for i in (0, 1))]
            cases += [(form, [(name, value)]) for value in chosen]
            cases.append((form, [(name, "1"), (name, "x")]))
        extras = enumerate(ODD_FIELD_NAMES)
        cases.append(
            (form, [(extra, ODD[(form * len(ODD_FIELD_NAMES) + i) % len(ODD)]) for i, extra in extras])
        )
    return cases


def filled(valid: dict[str, str], change: Change) -> Change:
    """The valid filling with `change` in it; a field named twice is sent after its valid value."""
    names = [name for name, _value in change]
    if len(set(names)) < len(names):
        return [*valid.items(), *change]
    return [*{**valid, **dict(change)}.items()]


# Field names do not depend on the ids in the addresses, so the cases are made once, up front,
# and dealt into a few groups that run side by side on several workers.
NO_IDS = dict.fromkeys(["article", "category", "tag", "media", "message", "reviewer"], 0)
GET_CASES = odd_cases(list(gets(NO_IDS).values()))
POST_CASES = odd_cases([list(valid) for _, valid in posts(NO_IDS)])
# Posts cost more than pages (the editor saves, previews and renders): twice the groups keeps each
# test a few seconds long.
GET_GROUPS, POST_GROUPS = 2, 4


def test_every_odd_value_is_sent_and_every_field_of_every_form_meets_one() -> None:
    assert set(EVERY_KIND).union(*BY_KIND.values()) == set(ODD)
    forms = [list(gets(NO_IDS).values()), [list(valid) for _, valid in posts(NO_IDS)]]
    assert {name for names in forms[0] + forms[1] for name in names if name not in KIND} == set()
    for fields, cases in zip(forms, (GET_CASES, POST_CASES), strict=True):
        met = {(form, name) for form, change in cases for name, _value in change}
        assert {(form, name) for form, names in enumerate(fields) for name in names} - met == set()


@pytest.mark.parametrize("group", range(GET_GROUPS))
def test_odd_query_values_give_a_page_or_a_4xx(admin: TestClient, db: Session, group: int) -> None:
    failures = []
    pages = list(gets(ids(db)))
    for index, change in GET_CASES[group::GET_GROUPS]:
        path = pages[index]
        response = admin.get(path, params=change)
        if response.status_code >= 500:
            failures.append((path, [(name, value[:30]) for name, value in change], response.status_code))
    assert not failures, "\n".join(map(repr, failures))


def post(client: TestClient, token: str, action: str, data: Any) -> int:
    body = urlencode([("csrf_token", token), *data])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post(action, content=body, headers=headers, follow_redirects=False)
    assert response.status_code != 403, (action, data)  # the form was read, not refused for its token
    return response.status_code


@pytest.mark.parametrize("group", range(POST_GROUPS))
def test_odd_form_values_give_a_page_or_a_4xx(admin: TestClient, db: Session, group: int) -> None:
    failures = []
    token = csrf_from(admin, "/admin/categories/new")
    forms = posts(ids(db))
    for index, change in POST_CASES[group::POST_GROUPS]:
        action, valid = forms[index]
        status = post(admin, token, action, filled(valid, change))
        if status >= 500:
            failures.append((action, [(name, value[:30]) for name, value in change], status))
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
