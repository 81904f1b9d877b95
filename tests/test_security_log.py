"""Security events in the structured log: each is named, carries the request id, and holds no secret.

Events are captured as structlog hands them on, with the request's context variables merged in as
the production chain merges them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts import totp
from app.accounts.models import Role, UserSession
from app.core.config import Settings
from app.core.db import utcnow
from app.core.security_log import fingerprint
from app.jobs import housekeeping
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, login, logout, submit
from tests.conftest import page_text

Events = list[dict[str, Any]]
WRONG = "not my password at all"


@contextmanager
def capture() -> Iterator[Events]:
    """Capture log events; open it after building the app, whose set-up configures the logs."""
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as captured:
        yield captured


@pytest.fixture
def events(app: FastAPI) -> Iterator[Events]:
    with capture() as captured:
        yield captured


def put_cookie(client: TestClient, name: str, value: str) -> None:
    """Replace a cookie as a browser's owner could, whatever the site set before."""
    client.cookies.delete(name)
    client.cookies.set(name, value)


def named(events: Events, name: str) -> Events:
    return [event for event in events if event["event"] == name]


def nothing_secret(events: Events, *secrets: str) -> None:
    """No value anywhere in the captured events contains any of `secrets` (in any case)."""
    text = repr(events).lower()
    for secret in secrets:
        assert secret.lower() not in text, secret


def test_a_failed_login_is_logged_by_a_hash_of_the_address_never_the_address_or_password(
    client: TestClient, events: Events, settings: Settings
) -> None:
    response = login(client, "Someone.Else@Clinic.example", WRONG)

    assert "The email address or password is not correct." in page_text(response.text)
    [failed] = named(events, "login.failed")
    assert failed["email_hash"] == fingerprint(settings.secret_key, "someone.else@clinic.example")
    assert failed["log_level"] == "warning"
    nothing_secret(events, WRONG, "someone.else", "clinic.example")


def test_wrong_second_factor_codes_are_logged_up_to_the_lock_out(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings)
    secret = factories.second_factor(db, settings, reviewer)
    login(client, reviewer.email, factories.PASSWORD)
    wrong = "000000" if totp.code_at(secret, utcnow()) != "000000" else "111111"

    answers = [submit(client, "/login/two-factor", {"code": wrong}) for _ in range(6)]

    assert [answer.status_code for answer in answers] == [422] * 5 + [429]
    failures = named(events, "second_factor.failed")
    assert [(e["user_id"], e["path"]) for e in failures] == [(reviewer.id, "/login/two-factor")] * 5
    [locked] = named(events, "login.locked_out")
    assert (locked["user_id"], locked["limits"]) == (reviewer.id, ["second-factor-user"])
    assert [e["limit"] for e in named(events, "ratelimit.refused")] == ["second-factor-user"]
    nothing_secret(events, wrong, secret, factories.PASSWORD, reviewer.email)


@pytest.fixture
def strict(app: FastAPI, app_with: Callable[..., FastAPI]) -> Iterator[tuple[TestClient, Events]]:
    """A browser on a site that allows two failed logins a minute, and the events it logs."""
    # After `app`, whose set-up (for the `db` fixture) would otherwise end the capture.
    with TestClient(app_with(login_rate_limit="2/minute")) as browser, capture() as captured:
        yield browser, captured


def test_a_lock_out_and_each_refusal_after_it_are_logged(
    strict: tuple[TestClient, Events], db: Session, settings: Settings
) -> None:
    browser, events = strict
    person = factories.applicant(db, settings).user
    login(browser, person.email, WRONG)
    assert named(events, "login.locked_out") == []

    login(browser, person.email, WRONG)
    [locked] = named(events, "login.locked_out")
    refused = login(browser, person.email, factories.PASSWORD)

    assert refused.status_code == 429 and "Too many attempts" in page_text(refused.text)
    assert locked["email_hash"] == fingerprint(settings.secret_key, person.email)
    assert locked["limits"] == ["login-ip", "login-email"]
    [refusal] = named(events, "ratelimit.refused")
    assert refusal["limit"] == "login-ip"  # the first of the two limits the page asks about
    assert len(named(events, "login.failed")) == 2
    nothing_secret(events, WRONG, factories.PASSWORD, person.email, person.email.split("@")[0])


def test_a_refused_reset_request_is_logged_though_the_page_does_not_tell(
    client: TestClient, events: Events
) -> None:
    answers = [submit(client, "/forgot-password", {"email": "reset.me@clinic.example"}) for _ in range(6)]

    assert page_text(answers[-1].text) == page_text(answers[0].text)
    [refused] = named(events, "ratelimit.refused")
    assert refused["limit"] == "reset-ip" and len(refused["subject"]) == 16
    nothing_secret(events, "reset.me", "clinic.example", "testclient")


def test_a_refused_form_token_is_logged_without_the_token(client: TestClient, events: Events) -> None:
    real = csrf_from(client, "/login")
    response = client.post("/login", data={"csrf_token": "forged-token-value", "email": "a@b.example"})

    assert response.status_code == 403 and "Form expired" in page_text(response.text)
    [refused] = named(events, "csrf.refused")
    assert (refused["path"], refused["method"], refused["reason"]) == ("/login", "POST", "mismatch")
    nothing_secret(events, "forged-token-value", real, "a@b.example")


def test_a_flash_cookie_with_a_broken_signature_is_logged_and_ignored(
    client: TestClient, events: Events
) -> None:
    put_cookie(client, "portal_flash", "eyJmbGFzaCI6IFtdfQ==.forged.signature")

    response = client.get("/")

    assert response.status_code == 200
    [tampered] = named(events, "cookie.tampered")
    assert (tampered["cookie"], tampered["path"]) == ("flash", "/")
    nothing_secret(events, "forged.signature", "eyJmbGFzaCI6IFtdfQ")


def test_a_genuine_flash_cookie_is_not_reported(client: TestClient, events: Events) -> None:
    csrf_from(client, "/login")  # sets a signed flash cookie with the form secret
    client.get("/")
    assert named(events, "cookie.tampered") == []


def test_an_unknown_session_token_is_logged_and_identifies_nobody(client: TestClient, events: Events) -> None:
    put_cookie(client, "portal_session", "made-up-session-token-value")

    response = client.get("/account", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Faccount"
    [tampered] = named(events, "cookie.tampered")
    assert tampered["cookie"] == "session"
    nothing_secret(events, "made-up-session-token-value")


def test_an_altered_session_cookie_is_logged(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    genuine = client.cookies["portal_session"]
    altered = genuine[:-1] + ("0" if genuine[-1] != "0" else "1")
    put_cookie(client, "portal_session", altered)

    response = client.get("/account", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Faccount"
    assert [event["cookie"] for event in named(events, "cookie.tampered")] == ["session"]
    nothing_secret(events, genuine, altered, genuine.split(".")[0])


def test_a_session_that_ended_and_was_purged_is_not_reported_as_tampering(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    copied = client.cookies["portal_session"]
    logout(client)
    put_cookie(client, "portal_session", copied)
    client.get("/account", follow_redirects=False)
    housekeeping.purge_sessions(db, settings, utcnow())

    response = client.get("/account", follow_redirects=False)

    assert response.headers["location"] == "/login?next=%2Faccount"
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0
    assert named(events, "cookie.tampered") == []


def test_a_failed_password_change_is_logged_with_the_user_id_and_no_password(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    new = "a brand new passphrase"

    response = submit(
        client,
        "/account/password",
        {"current_password": WRONG, "password": new, "password_confirm": new},
    )

    assert response.status_code == 422 and "This is not your current password" in page_text(response.text)
    [failed] = named(events, "password_change.failed")
    assert (failed["user_id"], failed["reason"]) == (person.id, "wrong_current_password")
    nothing_secret(events, WRONG, new, factories.PASSWORD, person.email)


def test_a_member_denied_a_staff_page_is_logged(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, state=RequestState.APPROVED).user
    login(client, person.email, factories.PASSWORD)

    response = client.get("/admin/requests")

    assert response.status_code == 403 and "You may not open this page." in page_text(response.text)
    [denied] = named(events, "access.denied")
    assert (denied["user_id"], denied["path"], denied["required"]) == (
        person.id,
        "/admin/requests",
        "reviewer",
    )
    nothing_secret(events, person.email, factories.PASSWORD)


def test_each_event_carries_the_id_of_its_own_request(app_with: Callable[..., FastAPI]) -> None:
    with TestClient(app_with()) as browser, capture() as events:
        failed = login(browser, "nobody@clinic.example", WRONG)
        put_cookie(browser, "portal_flash", "forged")
        home = browser.get("/")

    names = {event["event"]: event.get("request_id") for event in events if event["event"] != "request"}
    assert names == {
        "login.failed": failed.headers["x-request-id"],
        "cookie.tampered": home.headers["x-request-id"],
    }
    assert failed.headers["x-request-id"] != home.headers["x-request-id"]


def test_a_reviewer_refused_the_sessions_of_a_colleague_is_logged(
    client: TestClient, events: Events, db: Session, settings: Settings
) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    login(client, reviewer.email, factories.PASSWORD)
    page = f"/admin/users/{editor.id}"

    response = submit(client, page, {}, action=f"{page}/sessions/end")

    assert response.status_code == 403 and "You may not open this page." in page_text(response.text)
    [denied] = named(events, "access.denied")
    assert (denied["user_id"], denied["path"], denied["required"]) == (
        reviewer.id,
        f"{page}/sessions/end",
        "admin",
    )
