"""Approved access over time: its period, refused on the next request once over, suspension and
reinstatement, extension by a reviewer, renewal by the professional, and auto-approval."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role, User, UserSession
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from app.core.db import utcnow
from app.jobs import tick
from app.mail import service as mail_service
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails, submit
from tests.conftest import page_text, soup

GATED = "Public part.\n\n::: professional\nMARKER-GATED\n:::\n"
OTHER_NPI = "1245319599"  # a valid NPI that is not the factories' default
PROOF = {"document": ("licence.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}


@pytest.fixture
def gated(db: Session) -> str:
    """The path of an article with a block only professionals may read."""
    return f"/articles/{factories.article(db, slug='gated', body=GATED).slug}"


@pytest.fixture
def long_sessions(settings: Settings) -> None:
    """Sessions that outlive the time travelled, so that only the access rule ends them."""
    settings.session_idle_minutes = 60 * 24 * 1000
    settings.session_absolute_hours = 24 * 1000


@contextmanager
def browser(app: FastAPI, email: str | None = None) -> Iterator[TestClient]:
    with TestClient(app) as client:
        if email:
            login(client, email, factories.PASSWORD)
        yield client


def reads_gated(client: TestClient, path: str) -> bool:
    return "MARKER-GATED" in client.get(path).text


def logged_in(client: TestClient) -> bool:
    return "Log out" in page_text(client.get("/").text)


def fresh(db: Session, request: AccessRequest) -> AccessRequest:
    db.expire_all()
    found = db.get(AccessRequest, request.id)
    assert found is not None
    return found


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def reviewer_page(client: TestClient, request: AccessRequest) -> BeautifulSoup:
    return soup(client.get(f"/admin/requests/{request.id}").text)


def change_access(client: TestClient, request: AccessRequest, change: str, **data: str) -> Any:
    page = f"/admin/requests/{request.id}"
    revision = reviewer_page(client, request).select_one('input[name="revision"]')
    assert revision is not None, f"no form on {page}"
    return submit(
        client, page, {"revision": revision["value"], **data}, action=f"{page}/access/{change}", follow=True
    )


def renewal_form(client: TestClient) -> dict[str, str]:
    """The renewal form's fields as the account page fills them in."""
    form = soup(client.get("/account").text).select_one('form[action="/account/renew"]')
    assert form is not None, "the account page offers no renewal"
    values = {
        field["name"]: field.get("value", "") for field in form.select("input") if field["type"] != "checkbox"
    }
    for field in form.select("select"):
        chosen = field.select_one("option[selected]")
        values[field["name"]] = chosen["value"] if chosen else ""
    values.pop("csrf_token")
    return values


def renew(
    client: TestClient,
    form: dict[str, str] | None = None,
    files: dict[str, Any] | None = None,
    **changes: str,
) -> Any:
    data = {**(form or renewal_form(client)), "confirm": "on", **changes}
    return submit(client, "/account", data, action="/account/renew", files=files, follow=True)


# The access period


def test_approval_starts_an_access_period_of_the_configured_length(db: Session, settings: Settings) -> None:
    settings.access_valid_days = 365
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    assert request.access_until is not None
    expected = utcnow() + timedelta(days=365)
    assert abs(lifecycle.aware(request.access_until) - expected) < timedelta(minutes=1)
    assert request.reminded_days_before is None


def test_the_account_page_says_until_when_access_runs(app: FastAPI, db: Session, settings: Settings) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    assert request.access_until is not None
    with browser(app, request.user.email) as client:
        text = page_text(client.get("/account").text)
    assert f"Your access runs until {lifecycle.day(settings, request.access_until)}" in text
    assert "Renew your access" not in text  # far from the end: nothing to renew yet


@pytest.mark.usefixtures("long_sessions")
def test_access_ends_on_the_very_next_request_once_its_period_is_over(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    settings.access_valid_days = 1
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with browser(app, request.user.email) as phone, browser(app, request.user.email) as laptop:
        assert reads_gated(phone, gated) and reads_gated(laptop, gated)
        with clock.travel(timedelta(days=1, minutes=1)):
            # No `portal tick` has run: the request refuses at once, and every session begun while
            # access lasted counts as ended.
            assert not reads_gated(phone, gated)
            assert not logged_in(phone) and not logged_in(laptop)

            login(laptop, request.user.email, factories.PASSWORD)
            text = page_text(laptop.get("/account").text)
            assert "Access ended" in text and "Renew your access" in text
            assert not reads_gated(laptop, gated)

            # The tick writes what the requests only read, once, and the new session survives it.
            assert tick.run(app.state.session_factory, settings).done["access periods expired"] == 1
            assert fresh(db, request).state == RequestState.EXPIRED
            open_sessions = db.scalars(
                select(UserSession).where(
                    UserSession.user_id == request.user_id, UserSession.ended_at.is_(None)
                )
            ).all()
            assert len(open_sessions) == 1 and logged_in(laptop) and not logged_in(phone)
            [expired] = events(db, "access.expired")
            assert expired.actor_label == "system" and expired.after_state == "expired"
            assert len(mails(db, request.user.email, "access_expired")) == 1
            assert "Access ended" in page_text(laptop.get("/account").text)


# Suspension and reinstatement


def test_a_suspension_logs_the_professional_out_at_once_and_emails_the_reason(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with browser(app, request.user.email) as professional, browser(app, reviewer.email) as staff:
        assert reads_gated(professional, gated)
        done = change_access(staff, request, "suspend", reason="Your licence was withdrawn by the chamber.")
        assert "was suspended" in page_text(done.text)

        page = professional.get(gated)
        assert "MARKER-GATED" not in page.text and "Log out" not in page_text(page.text)
        assert fresh(db, request).state == RequestState.SUSPENDED
        [mail] = mails(db, request.user.email, "access_suspended")
        assert "Your licence was withdrawn by the chamber." in mail.text_body
        [event] = events(db, "access.suspended")
        assert event.actor_label == reviewer.email and event.before_state == "approved"

        login(professional, request.user.email, factories.PASSWORD)
        assert not reads_gated(professional, gated)
        account = page_text(professional.get("/account").text)
        assert "Access suspended" in account and "Your licence was withdrawn by the chamber." in account


def test_a_suspension_needs_a_reason(app: FastAPI, db: Session, settings: Settings) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with browser(app, reviewer.email) as staff:
        page = reviewer_page(staff, request)
        revision = page.select_one('input[name="revision"]')["value"]
        path = f"/admin/requests/{request.id}"
        answer = submit(staff, path, {"revision": revision, "reason": ""}, action=f"{path}/access/suspend")
    assert answer.status_code == 422
    assert "A suspension needs a reason" in soup(answer.text).select_one("#reason-error").get_text()
    assert fresh(db, request).state == RequestState.APPROVED


def test_reinstating_gives_access_back_and_says_so(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with browser(app, reviewer.email) as staff:
        change_access(staff, request, "suspend", reason="Checking a complaint.")
        assert "Reinstate access" in page_text(reviewer_page(staff, request).decode())
        change_access(staff, request, "reinstate", reason="The complaint was unfounded.")
    assert fresh(db, request).state == RequestState.APPROVED
    assert len(mails(db, request.user.email, "access_reinstated")) == 1
    [event] = events(db, "access.reinstated")
    assert event.reason == "The complaint was unfounded." and event.after_state == "approved"
    with browser(app, request.user.email) as professional:
        assert reads_gated(professional, gated)


def test_two_reviewers_suspending_at_once_suspend_once(app: FastAPI, db: Session, settings: Settings) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    first = factories.staff(db, settings, role=Role.REVIEWER)
    second = factories.staff(db, settings, role=Role.REVIEWER)
    with browser(app, first.email) as one, browser(app, second.email) as two:
        path = f"/admin/requests/{request.id}"
        stale = reviewer_page(two, request).select_one('input[name="revision"]')["value"]
        change_access(one, request, "suspend", reason="First.")
        late = submit(
            two, path, {"revision": stale, "reason": "Second."}, action=f"{path}/access/suspend", follow=True
        )
    assert "Nothing was changed: this access is suspended now." in page_text(late.text)
    assert len(events(db, "access.suspended")) == 1
    assert len(mails(db, request.user.email, "access_suspended")) == 1


def test_only_reviewers_manage_access(app: FastAPI, db: Session, settings: Settings) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    editor = factories.staff(db, settings, role=Role.EDITOR)
    with browser(app, editor.email) as client:
        path = f"/admin/requests/{request.id}"
        refused = submit(client, "/forgot-password", {"reason": "x"}, action=f"{path}/access/suspend")
    assert refused.status_code == 403
    assert fresh(db, request).state == RequestState.APPROVED


@pytest.mark.usefixtures("long_sessions")
def test_older_requests_of_a_person_offer_no_access_buttons(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with browser(app, reviewer.email) as staff:
        assert "Suspend access" in reviewer_page(staff, request).get_text()
        with clock.travel(timedelta(days=725)), browser(app, request.user.email) as professional:
            renew(professional, files=PROOF, licence_number=OTHER_NPI)
            text = reviewer_page(staff, request).get_text()
    assert "Suspend access" not in text and "Extend access" not in text


# Extension by a reviewer


def test_a_reviewer_extends_access_by_hand_and_it_is_recorded(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    new_end = (utcnow() + timedelta(days=1000)).date()
    with browser(app, reviewer.email) as staff:
        suggested = reviewer_page(staff, request).select_one('input[name="until"]')["value"]
        assert suggested == (lifecycle.aware(request.access_until) + timedelta(days=730)).date().isoformat()
        change_access(staff, request, "extend", until=new_end.isoformat(), extend_reason="Board member.")
        past = change_access(staff, request, "extend", until="2001-01-01")
    assert "Choose a date in the future" in page_text(past.text)
    extended = fresh(db, request)
    assert extended.access_until is not None and lifecycle.aware(extended.access_until).date() == new_end
    [event] = events(db, "access.extended")
    assert event.actor_label == reviewer.email
    assert event.reason == f"Until {lifecycle.day(settings, extended.access_until)}. Board member."
    [mail] = mails(db, request.user.email, "access_renewed")
    assert lifecycle.day(settings, extended.access_until) in mail.subject


@pytest.mark.usefixtures("long_sessions")
def test_extending_expired_access_opens_it_again(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    settings.access_valid_days = 1
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with clock.travel(timedelta(days=2)):
        lifecycle.expire(db, settings, request)
        db.commit()
        with browser(app, reviewer.email) as staff:
            until = (utcnow() + timedelta(days=30)).date().isoformat()
            change_access(staff, request, "extend", until=until)
        with browser(app, request.user.email) as professional:
            assert reads_gated(professional, gated)
    assert fresh(db, request).state == RequestState.APPROVED


# Renewal by the professional


@pytest.mark.usefixtures("long_sessions")
def test_renewal_with_unchanged_details_renews_at_once(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    old_end = lifecycle.aware(request.access_until)  # type: ignore[arg-type]
    with clock.travel(timedelta(days=710)), browser(app, request.user.email) as client:
        account = page_text(client.get("/account").text)
        assert "Renew your access" in account
        done = renew(client, institution="Example University Hospital")
        assert "Your access now runs until" in page_text(done.text)
        assert reads_gated(client, gated)
    renewed = fresh(db, request)
    assert renewed.state == RequestState.APPROVED and renewed.institution == "Example University Hospital"
    assert lifecycle.aware(renewed.access_until) == old_end + timedelta(days=730)  # type: ignore[arg-type]
    [event] = events(db, "access.renewed")
    assert event.actor_label == request.user.email
    assert len(mails(db, request.user.email, "access_renewed")) == 1
    assert mails(db, request.user.email, "request_received")[1:] == []  # no new review


@pytest.mark.usefixtures("long_sessions")
def test_renewal_after_expiry_with_unchanged_details_opens_access_again(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with clock.travel(timedelta(days=800)), browser(app, request.user.email) as client:
        assert not reads_gated(client, gated)
        assert "Access ended" in page_text(client.get("/account").text)
        renew(client)
        assert reads_gated(client, gated)
        renewed = fresh(db, request)
        assert lifecycle.aware(renewed.access_until) > utcnow() + timedelta(days=729)  # type: ignore[arg-type]


@pytest.mark.usefixtures("long_sessions")
def test_renewal_with_a_changed_licence_goes_back_to_review(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with clock.travel(timedelta(days=720)), browser(app, request.user.email) as client:
        assert reads_gated(client, gated)
        unproven = renew(client, licence_number=OTHER_NPI, profession="pharmacist")
        assert unproven.status_code == 422
        assert "Attach a current proof of your licence" in page_text(unproven.text)
        assert reads_gated(client, gated)  # refused: nothing changed
        done = renew(client, files=PROOF, licence_number=OTHER_NPI, profession="pharmacist")
        assert "with the reviewers" in page_text(done.text)
        assert not reads_gated(client, gated)  # the old approval was for the old licence
        assert "Pending review" in page_text(client.get("/account").text)

        old = fresh(db, request)
        assert old.state == RequestState.EXPIRED
        new = db.scalars(select(AccessRequest).where(AccessRequest.id != request.id)).one()
        assert (new.state, new.licence_number, new.profession, new.document_name) == (
            RequestState.PENDING,
            OTHER_NPI,
            "pharmacist",
            "licence.pdf",
        )
        assert len(mails(db, reviewer.email, "new_request")) == 1
        assert len(mails(db, request.user.email, "request_received")) == 2
        assert events(db, "request.renewal_submitted")[0].target_id == new.id

        with browser(app, reviewer.email) as staff:
            page = f"/admin/requests/{new.id}"
            revision = soup(staff.get(page).text).select_one('input[name="revision"]')["value"]
            submit(staff, page, {"revision": revision}, action=f"{page}/approve")
        assert reads_gated(client, gated)
        db.expire_all()
        user = db.get(User, request.user_id)
        assert user is not None and user.profession == "pharmacist"


@pytest.mark.usefixtures("long_sessions")
def test_a_suspended_professional_may_ask_for_renewal_which_is_always_reviewed(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    lifecycle.suspend(
        db, settings, request, reviewer=reviewer, reason="Complaint.", revision=request.revision
    )
    db.commit()
    with browser(app, request.user.email) as client:
        form = renewal_form(client)
        renew(client, form)
        again = renew(client, form)  # a second click opens no second request
    assert "There is nothing to renew at the moment." in page_text(again.text)
    assert fresh(db, request).state == RequestState.SUSPENDED
    new = db.scalars(select(AccessRequest).where(AccessRequest.id != request.id)).one()
    assert new.state == RequestState.PENDING


@pytest.mark.usefixtures("long_sessions")
def test_renewal_needs_the_confirmation_and_is_not_offered_far_from_the_end(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with browser(app, request.user.email) as client:
        early = submit(
            client,
            "/account",
            {"revision": str(request.revision)},
            action="/account/renew",
            follow=True,
        )
        assert "There is nothing to renew at the moment." in page_text(early.text)
        with clock.travel(timedelta(days=720)):
            unconfirmed = renew(client, confirm="")
    assert unconfirmed.status_code == 422
    assert "Please confirm that these details are correct" in page_text(unconfirmed.text)
    assert fresh(db, request).revision == request.revision


# Auto-approval


def test_auto_approval_is_off_by_default(db: Session, settings: Settings) -> None:
    request = factories.applicant(db, settings, email="dr@clinic.example")
    assert fresh(db, request).state == RequestState.PENDING


def test_auto_approval_approves_an_allow_listed_domain_with_a_valid_licence_as_the_system(
    app: FastAPI, db: Session, settings: Settings, gated: str
) -> None:
    settings.auto_approve_domains = "charite.example, uniklinik.example"
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    request = factories.applicant(db, settings, email="anna@charite.example", licence_number="1234567893")
    approved = fresh(db, request)
    assert approved.state == RequestState.APPROVED and approved.decided_by_id is None
    assert approved.access_until is not None
    [event] = events(db, "request.approved")
    assert event.actor_id is None and event.actor_label == "system"
    assert len(mails(db, "anna@charite.example", "approved")) == 1
    assert mails(db, "anna@charite.example", "request_received") == []
    assert mails(db, reviewer.email, "new_request") == []
    with browser(app, "anna@charite.example") as client:
        assert reads_gated(client, gated)
    with browser(app, reviewer.email) as staff:
        assert "Decided by the system" in reviewer_page(staff, request).get_text()


@pytest.mark.parametrize(
    ("email", "licence"),
    [
        ("anna@charite.example", "1234567890"),  # check digit wrong
        ("anna@other.example", "1234567893"),  # not on the list
        ("anna@mail.charite.example", "1234567893"),  # a subdomain is not the domain
    ],
)
def test_everything_else_goes_to_the_queue(db: Session, settings: Settings, email: str, licence: str) -> None:
    settings.auto_approve_domains = "charite.example"
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    request = factories.applicant(db, settings, email=email, licence_number=licence)
    assert fresh(db, request).state == RequestState.PENDING
    assert len(mails(db, reviewer.email, "new_request")) == 1


def test_an_unconfirmed_address_is_never_approved_automatically(db: Session, settings: Settings) -> None:
    settings.auto_approve_domains = "charite.example"
    request = factories.applicant(db, settings, email="anna@charite.example", state=RequestState.UNVERIFIED)
    assert fresh(db, request).state == RequestState.UNVERIFIED


# The messages


SOCIETY = "Society for Tests"
LINK = "https://portal.example/account"
UNTIL = datetime(2029, 3, 1, 12, tzinfo=UTC)  # dates are formatted in the email's language
MESSAGES: dict[str, dict[str, Any]] = {
    "access_expiring": {"name": "Anna", "until": UNTIL, "days": 7, "link": LINK},
    "access_expired": {"name": "Anna", "link": LINK},
    "access_suspended": {
        "name": "Anna",
        "reason": "Licence withdrawn.",
        "contact": "o@s.example",
        "link": LINK,
    },
    "access_reinstated": {"name": "Anna", "until": UNTIL, "login_link": LINK},
    "access_renewed": {"name": "Anna", "until": UNTIL, "link": LINK},
    "review_digest": {
        "name": "Rita",
        "items": [{"applicant": "Anna", "profession": "Physicians", "waited": "3 days", "link": LINK}],
        "count": 1,
        "hours": 48,
        "queue_link": LINK,
    },
}


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_every_lifecycle_message_has_a_subject_a_text_and_an_html_part(message: str) -> None:
    context = {**MESSAGES[message], "society": SOCIETY}
    subject, text, html = mail_service.render(message, context)
    assert subject and "\n" not in subject
    assert text.startswith("Hello") and text.rstrip().endswith(SOCIETY)
    page = soup(html)
    assert page.html is not None and page.html["lang"] == "en"
    assert page.title is not None and page.title.get_text() == subject
    for key in ("link", "login_link", "queue_link"):
        if key in context:
            assert context[key] in text and any(a["href"] == context[key] for a in page.find_all("a"))
    shown = {"reason": context.get("reason"), "until": "1 March 2029" if "until" in context else None}
    for value in filter(None, shown.values()):
        assert value in text and value in page.get_text()
