"""Emailed links: how long a reset link lives, and that its token leaves the address bar at once."""

from __future__ import annotations

from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from app.accounts.models import User
from app.core.config import Settings
from app.core.security import hash_password
from tests import factories
from tests.browsing import link_in, login, mails, submit
from tests.conftest import page_text, soup
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
LINK_FAILED = "This password link does not work"


def member(db: Session, settings: Settings) -> User:
    return factories.applicant(db, settings).user


def reset_link(client: TestClient, db: Session, email: str) -> str:
    """Ask for a reset link from the public form and return it as the email carries it."""
    submit(client, "/forgot-password", {"email": email})
    return link_in(mails(db, email, "password_reset")[-1], "/reset-password")


def link_works(app: FastAPI, link: str) -> bool:
    """Whether a fresh browser opening `link` is offered the form to choose a password."""
    with TestClient(app) as browser:
        opened = browser.get(link)
    if LINK_FAILED in page_text(opened.text):
        return False
    assert "Choose a new password" in page_text(opened.text)
    return True


def send_form(client: TestClient, page_html: str, typed: dict[str, str]) -> Response:
    """Fill in the reset form of a page the browser has open, hidden fields as it keeps them."""
    form = soup(page_html).select_one('form[action="/reset-password"]')
    assert form is not None, "the page has no reset form"
    hidden = {str(field["name"]): str(field.get("value", "")) for field in form.select("input[type=hidden]")}
    return client.post("/reset-password", data={**hidden, **typed}, follow_redirects=False)


# How long a reset link lives ----------------------------------------------------------------------


def test_a_reset_link_dies_when_its_owner_logs_in(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)
    assert link_works(app, link)

    with TestClient(app) as owner:
        assert login(owner, person.email, PASSWORD).status_code == 303

    assert not link_works(app, link)


def test_a_reset_link_dies_when_the_password_is_changed_on_the_account_page(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    with TestClient(app) as owner:
        login(owner, person.email, PASSWORD)
        link = reset_link(client, db, person.email)
        assert link_works(app, link)
        changed = submit(
            owner,
            "/account/password",
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        )
        assert changed.status_code == 303

    assert not link_works(app, link)


def test_a_reset_link_dies_when_the_password_is_set_by_any_other_route(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)

    # As a command or an admin's tool would: a new hash, no login, no use of the link.
    person.password_hash = hash_password(settings, NEW_PASSWORD)
    db.commit()

    assert not link_works(app, link)


def test_a_reset_form_opened_before_the_owner_logs_in_saves_nothing(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)
    form_page = client.get(link)
    assert "Choose a new password" in page_text(form_page.text)
    with TestClient(app) as owner:
        login(owner, person.email, PASSWORD)

    response = send_form(client, form_page.text, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert LINK_FAILED in page_text(response.text)
    with TestClient(app) as owner:
        assert login(owner, person.email, PASSWORD).status_code == 303
