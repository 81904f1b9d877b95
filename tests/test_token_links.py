"""Emailed links: how long a reset link lives, and that its token leaves the address bar at once."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import User
from app.core import clock
from app.core.config import Settings
from app.core.security import hash_password
from tests import factories
from tests.asgi_client import TestClient
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


# The token leaves the address at once -----------------------------------------------------------


def token_of(link: str) -> str:
    return link.split("token=")[1]


def test_a_reset_link_takes_its_token_out_of_the_address_before_showing_the_form(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)

    opened = client.get(link, follow_redirects=False)
    form_page = client.get(opened.headers["location"])

    assert opened.status_code == 303 and opened.headers["location"] == "/reset-password"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "Choose a new password" in page_text(form_page.text)
    assert form_page.headers["referrer-policy"] == "no-referrer"
    assert token_of(link) not in form_page.text
    saved = send_form(client, form_page.text, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert saved.headers["location"] == "/login"
    with TestClient(app) as owner:
        assert login(owner, person.email, NEW_PASSWORD).status_code == 303


def test_a_mistake_on_the_reset_form_answers_without_a_referrer_and_keeps_the_link(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    form_page = client.get(reset_link(client, db, person.email))

    mistake = send_form(client, form_page.text, {"password": NEW_PASSWORD, "password_confirm": "other"})
    saved = send_form(client, mistake.text, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert mistake.status_code == 422 and mistake.headers["referrer-policy"] == "no-referrer"
    assert saved.headers["location"] == "/login"


def test_a_confirmation_link_takes_its_token_out_of_the_address_before_confirming(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.UNVERIFIED)
    link = link_in(mails(db, request.user.email, "confirm_email")[-1], "/verify-email")

    opened = client.get(link, follow_redirects=False)
    confirmed = client.get(opened.headers["location"])

    assert opened.status_code == 303 and opened.headers["location"] == "/verify-email"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "Thank you, your email address is confirmed" in page_text(confirmed.text)
    assert confirmed.headers["referrer-policy"] == "no-referrer"
    assert token_of(link) not in confirmed.text
    db.expire_all()
    assert db.get_one(AccessRequest, request.id).state == RequestState.PENDING


def test_the_link_waits_in_the_browser_only_a_few_minutes(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)
    client.get(link, follow_redirects=False)

    with clock.travel(timedelta(minutes=20)):
        later = client.get("/reset-password")
        again = client.get(link)

    assert later.status_code == 400 and LINK_FAILED in page_text(later.text)
    assert "Choose a new password" in page_text(again.text)


def test_the_address_without_a_link_says_the_link_does_not_work(client: TestClient) -> None:
    reset = client.get("/reset-password")
    verify = client.get("/verify-email")

    assert reset.status_code == 400 and LINK_FAILED in page_text(reset.text)
    assert verify.status_code == 400 and "This confirmation link does not work" in page_text(verify.text)
    assert reset.headers["referrer-policy"] == verify.headers["referrer-policy"] == "no-referrer"


# Throttling ---------------------------------------------------------------------------------------


def test_opening_emailed_links_is_throttled_per_client_address(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    link = reset_link(client, db, person.email)
    confirmation = factories.applicant(db, settings, state=RequestState.UNVERIFIED).user.email
    verify_link = link_in(mails(db, confirmation, "confirm_email")[-1], "/verify-email")
    limit = int(settings.link_rate_limit.split("/")[0])
    with TestClient(app, client=("203.0.113.9", 40000)) as guesser:
        for number in range(limit):
            guess = guesser.get(f"/reset-password?token=guess{number}", follow_redirects=False)
            assert guess.status_code == 303

        throttled = guesser.get(link, follow_redirects=False)
        also_throttled = guesser.get(verify_link, follow_redirects=False)

    assert throttled.status_code == also_throttled.status_code == 429
    assert "Too many links opened" in page_text(throttled.text)
    assert "wait a few minutes" in page_text(throttled.text)
    assert throttled.headers["referrer-policy"] == "no-referrer"
    with TestClient(app, client=("198.51.100.7", 40000)) as elsewhere:
        assert "Choose a new password" in page_text(elsewhere.get(link).text)
