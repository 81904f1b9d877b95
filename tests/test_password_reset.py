"""Forgotten passwords: the emailed link, choosing a new password, and what the link cannot do."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import AuthToken, TokenPurpose, User, UserSession
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, link_in, login, mails, submit
from tests.conftest import page_text, soup
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
LOGIN_FAILED = "The email address or password is not correct."
LINK_FAILED = "This password link does not work"


def member(db: Session, settings: Settings, **fields: Any) -> User:
    """An applicant with a pending request, who logs in with PASSWORD."""
    return factories.applicant(db, settings, **fields).user


def ask_for_link(client: TestClient, email: str) -> Response:
    return submit(client, "/forgot-password", {"email": email})


def emailed_link(db: Session, email: str) -> str:
    """The reset link of the newest password email sent to `email`, as a site path."""
    sent = mails(db, email, "password_reset")
    assert sent, f"no password_reset email for {email}"
    return link_in(sent[-1], "/reset-password")


def fill_in(client: TestClient, page: str, typed: dict[str, str]) -> Response:
    """Open `page`, fill in its reset form (hidden fields as the browser keeps them) and send it."""
    form = soup(client.get(page).text).select_one('form[action="/reset-password"]')
    assert form is not None, f"{page} has no reset form"
    hidden = {str(field["name"]): str(field.get("value", "")) for field in form.select("input[type=hidden]")}
    return client.post("/reset-password", data={**hidden, **typed}, follow_redirects=False)


def choose(client: TestClient, page: str, password: str, again: str | None = None) -> Response:
    """Open the emailed link and, if it still offers the form, choose a password there."""
    opened = client.get(page)
    if opened.status_code != 200:
        return opened
    return fill_in(
        client, page, {"password": password, "password_confirm": password if again is None else again}
    )


def field_error(html: str, field: str) -> str:
    error = soup(html).select_one(f"#{field}-error")
    return page_text(str(error)) if error else ""


def logs_in(client: TestClient, email: str, password: str) -> bool:
    response = login(client, email, password)
    if response.status_code == 422:
        assert LOGIN_FAILED in page_text(response.text)
        return False
    assert response.status_code == 303, page_text(response.text)
    return True


def stored_hash(db: Session, user: User) -> str:
    db.expire_all()
    return db.scalars(select(User.password_hash).where(User.id == user.id)).one()


# Asking for a link ------------------------------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer_and_only_one_gets_mail(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings, email="known@clinic.example")

    known = ask_for_link(client, person.email)
    unknown = ask_for_link(TestClient(app), "nobody@clinic.example")

    assert known.status_code == unknown.status_code == 200
    seen_known = page_text(known.text)
    assert "Check your email" in seen_known
    assert "If an account exists for known@clinic.example" in seen_known
    assert seen_known.replace("known@", "nobody@") == page_text(unknown.text)
    assert len(mails(db, person.email, "password_reset")) == 1
    assert mails(db, "nobody@clinic.example") == []


def test_an_empty_address_is_asked_for_again(client: TestClient) -> None:
    response = ask_for_link(client, "  ")

    assert response.status_code == 422
    assert field_error(response.text, "email") == "Enter your email address"


def test_the_email_carries_a_link_whose_token_is_stored_only_as_a_hash(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)

    ask_for_link(client, person.email.upper())

    [sent] = mails(db, person.email, "password_reset")
    assert f"{settings.base_url}/reset-password?token=" in sent.text_body
    assert f"{settings.reset_password_minutes} minutes" in sent.text_body
    token = parse_qs(urlsplit(emailed_link(db, person.email)).query)["token"][0]
    [stored] = db.scalars(select(AuthToken).where(AuthToken.purpose == TokenPurpose.RESET_PASSWORD)).all()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash


def test_too_many_requests_answer_the_same_but_send_no_more_mail(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    settings.account_mail_per_hour = 10  # the cap per address has its own tests
    answers = [page_text(ask_for_link(client, person.email).text) for _ in range(6)]

    assert len(set(answers)) == 1
    # form_rate_limit is 5 per 10 minutes: the sixth request is answered but not acted on.
    assert len(mails(db, person.email, "password_reset")) == 5


# Choosing a new password ------------------------------------------------------------------------


def test_the_emailed_link_lets_the_person_choose_a_new_password(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)

    form_page = client.get(link)
    assert "Choose a new password" in page_text(form_page.text)
    response = choose(client, link, NEW_PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "Your password has been changed. Please log in with the new one." in page_text(
        client.get("/login").text
    )
    assert stored_hash(db, person).startswith("$argon2id$")
    assert not logs_in(TestClient(app), person.email, PASSWORD)
    assert logs_in(TestClient(app), person.email, NEW_PASSWORD)
    [changed] = mails(db, person.email, "password_changed")
    assert changed.subject
    assert NEW_PASSWORD not in changed.text_body


@pytest.mark.parametrize(
    ("password", "again", "field", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "!", "password_confirm", "The two passwords are not the same"),
        ("short", "short", "password", "Choose a password of at least 12 characters"),
    ],
)
def test_a_new_password_that_does_not_fit_is_explained_beside_its_field(
    client: TestClient, db: Session, settings: Settings, password: str, again: str, field: str, message: str
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)
    before = stored_hash(db, person)

    response = choose(client, link, password, again)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert message in page_text(str(soup(response.text).select_one(".error-summary")))
    assert password not in response.text
    assert stored_hash(db, person) == before
    assert mails(db, person.email, "password_changed") == []


def test_after_a_mistake_the_same_page_still_saves_the_password(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)
    mistake = choose(client, link, NEW_PASSWORD, "something else entirely")
    assert mistake.status_code == 422

    # The person corrects the form that came back, which still carries the link's token.
    form = soup(mistake.text).select_one('form[action="/reset-password"]')
    assert form is not None
    hidden = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    typed = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    response = client.post("/reset-password", data={**hidden, **typed}, follow_redirects=False)

    assert response.headers["location"] == "/login"
    assert logs_in(client, person.email, NEW_PASSWORD)


def test_the_link_works_only_once(app: FastAPI, client: TestClient, db: Session, settings: Settings) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)
    assert choose(client, link, NEW_PASSWORD).status_code == 303

    again = choose(client, link, "someone else's choice")

    assert again.status_code == 400
    assert LINK_FAILED in page_text(again.text)
    assert "Ask for a new link" in page_text(again.text)
    assert logs_in(TestClient(app), person.email, NEW_PASSWORD)
    assert len(mails(db, person.email, "password_changed")) == 1


def test_an_expired_link_does_not_work(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)
    db.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()

    response = choose(client, link, NEW_PASSWORD)

    assert response.status_code == 400
    assert LINK_FAILED in page_text(response.text)
    assert "It may have been used already, or it has expired." in page_text(response.text)
    assert logs_in(TestClient(app), person.email, PASSWORD)
    assert mails(db, person.email, "password_changed") == []


def test_asking_again_makes_the_earlier_link_stop_working(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    first = emailed_link(db, person.email)
    ask_for_link(client, person.email)
    second = emailed_link(db, person.email)
    assert first != second

    assert LINK_FAILED in page_text(choose(client, first, NEW_PASSWORD).text)
    assert choose(client, second, NEW_PASSWORD).headers["location"] == "/login"


def test_a_link_that_expires_while_the_form_is_open_does_not_work(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    ask_for_link(client, person.email)
    link = emailed_link(db, person.email)
    token = csrf_from(client, link)
    db.execute(update(AuthToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    response = client.post(
        "/reset-password",
        data={
            "csrf_token": token,
            "token": link.split("token=")[1],
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400 and LINK_FAILED in page_text(response.text)
    assert logs_in(TestClient(app), person.email, PASSWORD)


def test_a_made_up_token_does_not_work(client: TestClient, db: Session, settings: Settings) -> None:
    person = member(db, settings)
    before = stored_hash(db, person)

    response = choose(client, "/reset-password?token=made-up", NEW_PASSWORD)

    assert response.status_code == 400
    assert LINK_FAILED in page_text(response.text)
    assert stored_hash(db, person) == before


def test_a_reset_ends_every_session_of_that_person_and_no_one_else(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    bystander = member(db, settings)
    laptop, phone, other = TestClient(app), TestClient(app), TestClient(app)
    for browser, email in ((laptop, person.email), (phone, person.email), (other, bystander.email)):
        assert logs_in(browser, email, PASSWORD)

    ask_for_link(client, person.email)
    assert choose(client, emailed_link(db, person.email), NEW_PASSWORD).status_code == 303

    for browser in (laptop, phone):
        response = browser.get("/account", follow_redirects=False)
        assert response.headers["location"] == "/login?next=%2Faccount"
    assert "Log out" in page_text(other.get("/account").text)
    db.expire_all()
    live = db.scalars(select(UserSession.user_id).where(UserSession.ended_at.is_(None))).all()
    assert live == [bystander.id]
