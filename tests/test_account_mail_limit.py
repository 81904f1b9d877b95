"""The public forms mail an address about its account at most a few times an hour, whoever asks."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.core import clock
from app.core.config import Settings
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import link_in, mails, submit
from tests.conftest import page_text

ACCOUNT_MAIL = {"confirm_email", "password_reset", "account_exists"}
_addresses = count(1)


def stranger(app: FastAPI) -> TestClient:
    """A browser from a client address not seen before."""
    return TestClient(app, client=(f"203.0.113.{next(_addresses)}", 40000))


def request_form(email: str) -> dict[str, str]:
    return factories.request_form(full_name="Dr. Someone Else", email=email)


def account_mail(db: Session, email: str) -> list[OutboxMessage]:
    return [mail for mail in mails(db, email) if mail.message in ACCOUNT_MAIL]


def forgot(app: FastAPI, email: str) -> str:
    with stranger(app) as browser:
        return page_text(submit(browser, "/forgot-password", {"email": email}).text)


# Each test runs two hours after its accounts were made, so the confirmation they were sent is old.


def test_three_account_mails_an_hour_reach_an_address_whatever_the_client_address(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, email="target@clinic.example").user
    with clock.travel(timedelta(hours=2)):
        answers = [forgot(app, person.email), forgot(app, person.email)]
        with stranger(app) as browser:
            sent = submit(browser, "/request-access", request_form(person.email), follow=True)
        answers.append(forgot(app, person.email))
        unknown = forgot(app, "nobody@clinic.example")
        capped = [mail.message for mail in account_mail(db, person.email)]
        with clock.travel(timedelta(minutes=61)):
            forgot(app, person.email)

    assert capped == ["confirm_email", "password_reset", "password_reset", "account_exists"]
    assert "Check your email We have sent a message to target@clinic.example" in page_text(sent.text)
    assert len(set(answers)) == 1
    assert answers[0].replace(person.email, "nobody@clinic.example") == unknown
    assert [mail.message for mail in account_mail(db, person.email)][-1] == "password_reset"
    assert len(account_mail(db, person.email)) == 5


def test_a_request_that_is_not_mailed_leaves_the_earlier_link_working(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, email="kept@clinic.example").user
    with clock.travel(timedelta(hours=2)):
        for _ in range(3):
            forgot(app, person.email)
        link = link_in(mails(db, person.email, "password_reset")[-1], "/reset-password")
        forgot(app, person.email)

        opened = client.get(link)

    assert len(mails(db, person.email, "password_reset")) == 3
    assert "Choose a new password" in page_text(opened.text)


def test_an_unconfirmed_address_gets_its_confirmation_at_most_three_times_an_hour(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(
        db, settings, email="unconfirmed@clinic.example", state=RequestState.UNVERIFIED
    )
    email = request.user.email
    with clock.travel(timedelta(hours=2)):
        for _ in range(5):
            with stranger(app) as browser:
                submit(browser, "/request-access", request_form(email))
        recent = [m for m in account_mail(db, email) if m.message == "confirm_email"][1:]

    assert len(recent) == 3
