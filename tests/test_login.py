"""Logging in and out: what a person sees, what the server keeps, and what another site cannot do."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from httpx2 import Response
from passlib.hash import bcrypt
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.models import Role, User, UserSession
from app.core.config import Settings
from app.core.db import utcnow
from app.mail.models import OutboxMessage
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, login, logout
from tests.conftest import page_text, soup
from tests.factories import PASSWORD

IDLE_MINUTES = 15
LOGIN_FAILED = "The email address or password is not correct."
TOO_MANY = "Too many attempts. Please wait a few minutes and try again."
FORM_EXPIRED = "Form expired"
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Short session limits, so idle and expired sessions show by moving clocks, never by waiting."""
    return settings.model_copy(update={"session_idle_minutes": IDLE_MINUTES, "session_absolute_hours": 1})


@pytest.fixture
def redis_url() -> str:
    """The Redis that shared rate limits are tested against; CI must have one, a laptop may not."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail(
                "CI=true but PORTAL_TEST_REDIS_URL is not set: limits shared through Redis must be tested"
            )
        pytest.skip(
            "PORTAL_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15): shared limits not tested"
        )
    return REDIS_URL


def member(db: Session, settings: Settings, **fields: Any) -> User:
    """An applicant with a pending request, who logs in with PASSWORD."""
    return factories.applicant(db, settings, **fields).user


def session_token(response: Response, settings: Settings) -> str:
    token = response.cookies.get(sessions.cookie_name(settings))
    assert token, f"no session cookie in {response.headers.get_list('set-cookie')}"
    return str(token)


def log_in(client: TestClient, settings: Settings, email: str, password: str = PASSWORD) -> str:
    """Log in through the form and return the session cookie the browser received."""
    response = login(client, email, password)
    assert response.status_code == 303, page_text(response.text)
    return session_token(response, settings)


def nav_text(html: str) -> str:
    nav = soup(html).select_one("nav.site-nav")
    assert nav is not None
    return page_text(str(nav))


def form_error(html: str) -> str:
    summary = soup(html).select_one(".error-summary")
    return page_text(str(summary)) if summary else ""


def shows_account(client: TestClient) -> bool:
    """Whether this browser still opens the account page as a logged-in person."""
    response = client.get("/account", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login?next=")
        return False
    assert "Log out" in nav_text(response.text)
    return True


def browser(app: FastAPI, settings: Settings, token: str = "", ip: str = "testclient") -> TestClient:
    """Another browser, optionally carrying a session cookie copied from elsewhere."""
    cookies = {sessions.cookie_name(settings): token} if token else None
    return TestClient(app, cookies=cookies, client=(ip, 50000))


def all_sessions(db: Session) -> list[UserSession]:
    db.expire_all()
    return list(db.scalars(select(UserSession).order_by(UserSession.id)))


def live_sessions(db: Session) -> list[UserSession]:
    return [row for row in all_sessions(db) if row.ended_at is None]


def aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def stored_state(db: Session) -> tuple[list[tuple[int, datetime | None]], int, int]:
    """Every session and whether it ended, and how many emails and people are stored."""
    session_rows = [(row.id, row.ended_at) for row in all_sessions(db)]
    emails = db.scalar(select(func.count()).select_from(OutboxMessage))
    people = db.scalar(select(func.count()).select_from(User))
    return session_rows, emails or 0, people or 0


# Logging in -------------------------------------------------------------------------------------


def test_an_applicant_lands_on_their_account_and_the_header_offers_log_out(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings, full_name="Dr. Ada Lovelace")
    assert "Log in" in nav_text(client.get("/").text)

    response = login(client, person.email, PASSWORD)

    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    account = client.get("/account")
    assert "Dr. Ada Lovelace" in page_text(account.text)
    assert "Pending review" in page_text(account.text)
    header = nav_text(account.text)
    assert "Log out" in header
    assert "Log in" not in header


def test_staff_land_on_the_staff_dashboard(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)

    response = login(client, reviewer.email, PASSWORD)

    assert response.headers["location"] == "/admin"
    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    header = page_text(str(soup(dashboard.text).select_one("header.staff-header")))
    assert "Staff workspace" in header and "Log out" in header
    # Back on the public site, its menu leads to the staff area.
    assert "Staff" in nav_text(client.get("/").text)


def test_an_editor_lands_on_a_staff_page_they_may_open(
    client: TestClient, db: Session, settings: Settings
) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR)

    landing = login(client, editor.email, PASSWORD).headers["location"]
    page = client.get(landing)

    assert page.status_code == 200, page_text(page.text)
    assert "Log out" in page_text(str(soup(page.text).select_one("header.staff-header")))


def test_email_is_matched_whatever_its_case_and_spacing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)

    response = login(client, f"  {person.email.upper()} ", PASSWORD)

    assert response.headers["location"] == "/account"
    assert shows_account(client)


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings, email="known@clinic.example")

    wrong_password = login(client, person.email, "not the password at all")
    unknown_email = login(client, "nobody@clinic.example", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 422
    assert form_error(wrong_password.text) == form_error(unknown_email.text) == LOGIN_FAILED
    # The only difference a person can see is the address they typed, kept in the field.
    assert page_text(wrong_password.text) == page_text(unknown_email.text)
    assert soup(wrong_password.text).select_one("input[name=email]")["value"] == "known@clinic.example"  # type: ignore[index]
    assert soup(unknown_email.text).select_one("input[name=email]")["value"] == "nobody@clinic.example"  # type: ignore[index]
    assert sessions.cookie_name(settings) not in wrong_password.cookies
    assert live_sessions(db) == []


def test_a_failed_login_never_sends_the_password_back(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    typed = "Sup3r-secret-typo!"

    response = login(client, person.email, typed)

    assert response.status_code == 422
    assert typed not in response.text
    password_field = soup(response.text).select_one("input[name=password]")
    assert password_field is not None
    assert not password_field.get("value")


def test_an_empty_form_asks_for_email_and_password(client: TestClient) -> None:
    response = login(client, "", "")

    assert response.status_code == 422
    assert form_error(response.text) == "Enter your email address and password."


def test_the_session_cookie_is_http_only_and_same_site_lax(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)

    response = login(client, person.email, PASSWORD)

    name = sessions.cookie_name(settings)
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"


def test_only_a_sha256_hash_of_the_cookie_is_stored(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)

    token = log_in(client, settings, person.email)

    [stored] = all_sessions(db)
    assert stored.user_id == person.id
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    rows = db.execute(text("SELECT * FROM user_session")).all()
    assert rows
    assert all(token not in str(value) for row in rows for value in row)


def test_logging_in_again_rotates_the_session(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    first = log_in(client, settings, person.email)

    second = log_in(client, settings, person.email)

    assert second != first
    assert shows_account(client)
    assert not shows_account(browser(app, settings, first))
    assert len(live_sessions(db)) == 1


def test_a_cookie_planted_before_login_is_replaced(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    client.cookies.set(sessions.cookie_name(settings), "planted-by-someone-else")

    token = log_in(client, settings, person.email)

    assert token != "planted-by-someone-else"
    assert not shows_account(browser(app, settings, "planted-by-someone-else"))


@pytest.mark.parametrize(
    ("next_path", "lands_on"),
    [
        ("/articles", "/articles"),
        ("/articles?page=1", "/articles?page=1"),
        ("//evil.example", "/account"),
        ("https://evil.example", "/account"),
        ("/\\evil.example", "/account"),
        ("javascript:alert(1)", "/account"),
        ("/\t/evil.example", "/account"),
    ],
)
def test_next_leads_inside_the_site_only(
    client: TestClient, db: Session, settings: Settings, next_path: str, lands_on: str
) -> None:
    person = member(db, settings)

    response = login(client, person.email, PASSWORD, next_path)

    assert response.headers["location"] == lands_on
    assert client.get(response.headers["location"]).status_code == 200


def _log_in_on_the_way_to(client: TestClient, page: str, email: str) -> str:
    """Open `page`, get sent to the login form, log in there; return where the browser goes next."""
    asked = client.get(page, follow_redirects=False)
    assert asked.headers["location"].startswith("/login?next=")
    form = client.get(asked.headers["location"])
    next_field = soup(form.text).select_one("input[name=next]")
    assert next_field is not None
    return login(client, email, PASSWORD, str(next_field["value"])).headers["location"]


def test_a_person_sent_to_log_in_comes_back_to_the_page_they_asked_for(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings)

    assert _log_in_on_the_way_to(client, "/admin/requests", reviewer.email) == "/admin/requests"


def test_a_person_sent_to_log_in_comes_back_with_the_query_they_asked_for(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings)

    landing = _log_in_on_the_way_to(client, "/admin/requests?status=needs_info", reviewer.email)

    assert landing == "/admin/requests?status=needs_info"


def test_a_failed_login_keeps_where_the_person_was_heading(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)

    failed = login(client, person.email, "wrong password", "/articles")
    next_field = soup(failed.text).select_one("input[name=next]")
    assert next_field is not None
    retried = login(client, person.email, PASSWORD, str(next_field["value"]))

    assert retried.headers["location"] == "/articles"


# Passwords --------------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id(db: Session, settings: Settings) -> None:
    person = member(db, settings)
    reviewer = factories.staff(db, settings)

    assert person.password_hash.startswith("$argon2id$")
    assert reviewer.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash


def test_a_bcrypt_hash_still_logs_in_and_is_upgraded_to_argon2id(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    # The fewest rounds bcrypt allows: the upgrade is what is tested, not bcrypt's cost (0.3 s a hash).
    old_hash = bcrypt.using(rounds=4).hash(PASSWORD)
    db.execute(update(User).where(User.id == person.id).values(password_hash=old_hash))
    db.commit()

    log_in(client, settings, person.email)

    db.expire_all()
    upgraded = db.get(User, person.id)
    assert upgraded is not None
    assert upgraded.password_hash.startswith("$argon2id$")
    log_in(browser(app, settings), settings, person.email)


# Logging out ------------------------------------------------------------------------------------


def test_logging_out_ends_the_session_even_for_a_copied_cookie(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    token = log_in(client, settings, person.email)

    response = logout(client)

    assert response.headers["location"] == "/"
    home = client.get("/")
    assert "You are logged out." in page_text(home.text)
    assert "Log in" in nav_text(home.text)
    replayed = browser(app, settings, token).get("/account", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/login?next=%2Faccount"
    assert live_sessions(db) == []


def test_opening_logout_as_a_link_does_not_log_out(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    log_in(client, settings, person.email)

    response = client.get("/logout")

    assert response.status_code == 405
    assert "This address does not accept that kind of request." in page_text(response.text)
    assert shows_account(client)
    assert len(live_sessions(db)) == 1


# Session limits ---------------------------------------------------------------------------------


def seen_at(app: FastAPI, db: Session, settings: Settings, token: str, moment: datetime) -> int | None:
    """The user id a request made at `moment` with this cookie identifies, touching it as requests do."""
    db.expire_all()
    found = sessions.live(db, settings, token, now=moment)
    if found is None:
        return None
    sessions.touch(app.state.session_factory, found, now=moment)
    return found.user_id


def test_an_active_session_lives_and_an_idle_one_ends(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    token = log_in(client, settings, person.email)
    start = aware(all_sessions(db)[0].last_seen_at)
    almost_idle = timedelta(minutes=IDLE_MINUTES) - timedelta(seconds=1)

    assert seen_at(app, db, settings, token, start + almost_idle) == person.id
    # Each request moves the idle limit on from the time it was made.
    assert seen_at(app, db, settings, token, start + 2 * almost_idle) == person.id
    idle_from = start + 2 * almost_idle
    assert seen_at(app, db, settings, token, idle_from + timedelta(minutes=IDLE_MINUTES)) is None

    # Nothing is written to end it (`portal tick` purges it): it is simply no longer valid.
    [idle] = all_sessions(db)
    assert idle.ended_at is None
    assert aware(idle.last_seen_at) == idle_from
    assert seen_at(app, db, settings, token, idle_from + timedelta(minutes=IDLE_MINUTES + 1)) is None


def test_a_session_ends_at_the_absolute_limit_however_active(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    token = log_in(client, settings, person.email)
    created = aware(all_sessions(db)[0].created_at)
    limit = created + timedelta(hours=settings.session_absolute_hours)

    moment = created
    while moment + timedelta(minutes=10) < limit:
        moment += timedelta(minutes=10)
        assert seen_at(app, db, settings, token, moment) == person.id

    assert seen_at(app, db, settings, token, limit - timedelta(seconds=1)) == person.id
    assert seen_at(app, db, settings, token, limit) is None
    assert seen_at(app, db, settings, token, limit + timedelta(minutes=1)) is None


def test_an_unknown_or_missing_token_identifies_nobody(db: Session, settings: Settings) -> None:
    member(db, settings)

    assert sessions.live(db, settings, None) is None
    assert sessions.live(db, settings, "") is None
    assert sessions.live(db, settings, "no-such-token") is None


def test_an_idle_session_is_refused_on_the_next_page(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    log_in(client, settings, person.email)

    def idle_for(minutes: int) -> None:
        db.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
        db.commit()

    idle_for(IDLE_MINUTES - 1)
    assert shows_account(client)
    # That request counted as activity.
    assert aware(all_sessions(db)[0].last_seen_at) > utcnow() - timedelta(minutes=1)

    idle_for(IDLE_MINUTES + 1)
    response = client.get("/account", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Faccount"
    assert "Log in" in nav_text(client.get("/").text)


# CSRF -------------------------------------------------------------------------------------------


def _request_form() -> dict[str, str]:
    form = factories.application(email="csrf-test@clinic.example")
    values = {name: str(value) for name, value in asdict(form).items()}
    return {**values, "password_confirm": form.password, "accept_terms": "on"}


@pytest.mark.parametrize("token", ["missing", "from another browser"])
@pytest.mark.parametrize(
    ("action", "form_page"),
    [
        ("/login", "/login"),
        ("/logout", "/"),
        ("/request-access", "/request-access"),
        ("/forgot-password", "/forgot-password"),
    ],
)
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, action: str, form_page: str, token: str
) -> None:
    person = member(db, settings)
    if action == "/logout":
        log_in(client, settings, person.email)
    data = {
        "/login": {"email": person.email, "password": PASSWORD},
        "/logout": {},
        "/request-access": _request_form(),
        "/forgot-password": {"email": person.email},
    }[action]
    csrf_from(client, form_page)  # the person has the real form open
    if token != "missing":
        data = {**data, "csrf_token": csrf_from(browser(app, settings), "/login")}
    before = stored_state(db)

    response = client.post(action, data=data, follow_redirects=False)

    assert response.status_code == 403
    assert FORM_EXPIRED in page_text(response.text)
    assert sessions.cookie_name(settings) not in response.cookies
    assert stored_state(db) == before
    assert shows_account(client) == (action == "/logout")


def test_a_visitor_with_an_expired_form_is_told_how_to_go_on(client: TestClient) -> None:
    csrf_from(client, "/login")

    response = client.post("/login", data={"email": "a@clinic.example", "password": "x"})

    assert response.status_code == 403
    text_seen = page_text(response.text)
    assert FORM_EXPIRED in text_seen
    assert "Go back, reload the page and try again." in text_seen
    assert "Log in" in nav_text(response.text)


def test_a_logged_in_person_with_an_expired_form_is_told_how_to_go_on(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    log_in(client, settings, person.email)

    response = client.post("/logout", data={"csrf_token": "expired"})

    assert response.status_code == 403
    text_seen = page_text(response.text)
    assert FORM_EXPIRED in text_seen
    assert "Go back, reload the page and try again." in text_seen
    assert "Log out" in nav_text(response.text)


def test_the_form_token_from_before_login_stops_working_after_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    before_login = csrf_from(client, "/login")
    log_in(client, settings, person.email)

    response = client.post("/logout", data={"csrf_token": before_login}, follow_redirects=False)

    assert response.status_code == 403
    assert shows_account(client)


# Rate limits ------------------------------------------------------------------------------------


def _too_many(response: Response) -> bool:
    return response.status_code == 429 and form_error(response.text) == TOO_MANY


def test_the_eleventh_attempt_in_a_minute_is_refused_even_with_the_right_password(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    for attempt in range(10):
        assert login(client, f"guess{attempt}@clinic.example", "guess").status_code == 422

    response = login(client, person.email, PASSWORD)

    assert _too_many(response)
    assert soup(response.text).select_one("input[name=email]")["value"] == person.email  # type: ignore[index]
    assert sessions.cookie_name(settings) not in response.cookies
    assert live_sessions(db) == []
    assert not shows_account(client)


def test_attempts_on_one_email_are_limited_across_networks(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    target = member(db, settings)
    other = member(db, settings)
    for network in range(10):
        attempt = login(browser(app, settings, ip=f"198.51.100.{network}"), target.email, "guess")
        assert attempt.status_code == 422

    newcomer = browser(app, settings, ip="203.0.113.7")
    assert _too_many(login(newcomer, target.email, PASSWORD))
    # The same network may still log in to another account: the count was the email's.
    assert login(newcomer, other.email, PASSWORD).headers["location"] == "/account"


@pytest.fixture
def shared_limit(redis_url: str) -> Iterator[None]:
    # Parallel test workers share this Redis database: one at a time, from a clean count.
    with redis.Redis.from_url(redis_url).lock(
        "portico-tests:shared-login-limit", timeout=60, blocking_timeout=60
    ):
        yield


def test_two_app_processes_share_the_login_limit_through_redis(
    shared_limit: None, redis_url: str, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    shared = settings.model_copy(update={"redis_url": redis_url})
    first, second = create_app(shared), create_app(shared)
    first.state.rate_limiter.reset()
    ip = f"192.0.2.{uuid.uuid4().int % 250}"
    try:
        one, two = browser(first, shared, ip=ip), browser(second, shared, ip=ip)
        for attempt in range(5):
            assert login(one, f"guess{attempt}@clinic.example", "guess").status_code == 422
            assert login(two, f"other{attempt}@clinic.example", "guess").status_code == 422

        # Each process saw only five attempts; together they saw ten.
        assert _too_many(login(one, person.email, PASSWORD))
        assert _too_many(login(two, person.email, PASSWORD))
    finally:
        for application in (first, second):
            application.state.engine.dispose()


# Caching ----------------------------------------------------------------------------------------


def test_pages_for_a_logged_in_person_are_never_stored_by_caches(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = member(db, settings)
    log_in(client, settings, person.email)

    for page in ("/account", "/", "/articles"):
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store"
        assert "Cookie" in response.headers.get_list("vary")
