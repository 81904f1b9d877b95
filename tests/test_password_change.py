"""A logged-in person changes their password; every other session ends."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails, submit
from tests.conftest import page_text, soup

NEW = "a brand new passphrase"


def test_changing_the_password_needs_the_current_one(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, state=RequestState.APPROVED).user
    login(client, person.email, factories.PASSWORD)
    response = submit(
        client, "/account/password", {"current_password": "wrong", "password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 422
    assert (
        soup(response.text).select_one("#current_password-error").get_text()
        == "This is not your current password"
    )
    short = submit(
        client,
        "/account/password",
        {"current_password": factories.PASSWORD, "password": "short", "password_confirm": "short"},
    )
    assert "at least 12 characters" in soup(short.text).select_one("#password-error").get_text()
    assert mails(db, person.email, "password_changed") == []


def test_a_new_password_ends_every_other_session(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, state=RequestState.APPROVED).user
    other = TestClient(app)
    login(other, person.email, factories.PASSWORD)
    login(client, person.email, factories.PASSWORD)
    done = submit(
        client,
        "/account/password",
        {"current_password": factories.PASSWORD, "password": NEW, "password_confirm": NEW},
        follow=True,
    )
    assert "Your password has been changed." in page_text(done.text)
    assert client.get("/account").status_code == 200
    assert other.get("/account", follow_redirects=False).status_code == 303
    assert len(mails(db, person.email, "password_changed")) == 1
    fresh = TestClient(app)
    assert login(fresh, person.email, factories.PASSWORD).status_code == 422
    assert login(fresh, person.email, NEW).headers["location"] == "/account"
