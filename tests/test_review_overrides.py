"""Approving a request whose own checks failed takes a second, deliberate confirmation."""

from __future__ import annotations

from bs4 import Tag
from httpx2 import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails
from tests.conftest import page_text, soup

BAD_NPI = "1234567890"  # the check digit should be 3
INVALID = "Licence number not valid"
SHARED = "Licence number used by another account"
DISPOSABLE = "Disposable email domain"


def as_reviewer(client: TestClient, db: Session, settings: Settings) -> None:
    login(client, factories.staff(db, settings, role=Role.REVIEWER).email, factories.PASSWORD)


def send(client: TestClient, form: Tag) -> Response:
    """Post a form from the page as the browser would, with every field it holds."""
    fields = {str(field["name"]): str(field.get("value", "")) for field in form.select("input[name]")}
    return client.post(str(form["action"]), data=fields, follow_redirects=False)


def approve_form(html: str) -> Tag:
    form = soup(html).select_one("form.decision--approve")
    assert form is not None
    return form


def confirm_form(html: str) -> Tag:
    form = soup(html).select_one("form.decision--override")
    assert form is not None, page_text(html)
    return form


def state_of(db: Session, request: AccessRequest) -> RequestState:
    db.expire_all()
    return request.state


def approvals(db: Session) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "request.approved")))


def test_approving_a_request_with_an_invalid_licence_asks_for_a_deliberate_second_click(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, licence_number=BAD_NPI, email="bad@clinic.example")
    as_reviewer(client, db, settings)
    page = client.get(f"/admin/requests/{request.id}").text

    first = send(client, approve_form(page))

    assert first.status_code == 409
    shown = page_text(first.text)
    assert "This request failed 1 check" in shown
    assert f"{INVALID}: Not a valid NPI: the check digit should be 3" in shown
    confirm = confirm_form(first.text)
    assert confirm.select_one("button").get_text(strip=True) == f"Approve despite: {INVALID}"
    assert confirm.select_one('input[name="override"]')["value"] == "licence_invalid"
    assert state_of(db, request) == RequestState.PENDING
    assert approvals(db) == [] and mails(db, "bad@clinic.example", "approved") == []

    second = send(client, confirm)

    assert second.status_code == 303
    assert state_of(db, request) == RequestState.APPROVED
    [event] = approvals(db)
    assert event.reason == f"Approved despite failed checks: {INVALID}."
    assert len(mails(db, "bad@clinic.example", "approved")) == 1
    history = page_text(client.get(f"/admin/requests/{request.id}").text)
    db.refresh(request)
    until = lifecycle.day(settings, request.access_until)  # type: ignore[arg-type]
    assert (
        f"{request.user.full_name}'s request (access until {until}), overriding the failed check: {INVALID}"
        in history
    )


def test_every_failed_check_is_named_and_each_must_be_confirmed(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(db, settings, licence_number=BAD_NPI, full_name="Dr. First Holder")
    request = factories.applicant(db, settings, licence_number=BAD_NPI, email="x@mailinator.com")
    as_reviewer(client, db, settings)

    first = send(client, approve_form(client.get(f"/admin/requests/{request.id}").text))

    assert first.status_code == 409
    shown = page_text(first.text)
    assert "This request failed 3 checks" in shown
    for label in (INVALID, SHARED, DISPOSABLE):
        assert label in shown
    assert "used by Dr. First Holder" in shown
    confirm = confirm_form(first.text)
    assert confirm.select_one("button").get_text(strip=True) == (
        f"Approve despite: {INVALID}, {SHARED}, {DISPOSABLE}"
    )
    override = confirm.select_one('input[name="override"]')
    assert override["value"] == "licence_invalid,licence_shared,email_disposable"

    override["value"] = "licence_invalid"  # a confirmation that leaves two checks out
    partial = send(client, confirm)

    assert partial.status_code == 409 and "This request failed 3 checks" in page_text(partial.text)
    assert state_of(db, request) == RequestState.PENDING

    done = send(client, confirm_form(partial.text))

    assert done.status_code == 303 and state_of(db, request) == RequestState.APPROVED
    [event] = approvals(db)
    assert event.reason == f"Approved despite failed checks: {INVALID}, {SHARED}, {DISPOSABLE}."


def test_a_check_that_fails_after_the_confirmation_was_shown_is_asked_about_again(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, licence_number=BAD_NPI)
    as_reviewer(client, db, settings)
    first = send(client, approve_form(client.get(f"/admin/requests/{request.id}").text))
    factories.applicant(db, settings, licence_number=BAD_NPI, full_name="Dr. Late Twin")

    again = send(client, confirm_form(first.text))

    assert again.status_code == 409
    assert "This request failed 2 checks" in page_text(again.text)
    assert state_of(db, request) == RequestState.PENDING


def test_a_request_that_passes_its_checks_is_approved_at_the_first_click(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings)
    as_reviewer(client, db, settings)
    page = client.get(f"/admin/requests/{request.id}").text
    assert soup(page).select_one("form.decision--override") is None

    response = send(client, approve_form(page))

    assert response.status_code == 303 and state_of(db, request) == RequestState.APPROVED
    assert [event.reason for event in approvals(db)] == [""]


def test_approving_several_at_once_skips_those_with_failed_checks_and_names_them(
    client: TestClient, db: Session, settings: Settings
) -> None:
    fine = factories.applicant(db, settings, full_name="Dr. Fine")
    invalid = factories.applicant(db, settings, full_name="Dr. Typo", licence_number=BAD_NPI)
    disposable = factories.applicant(db, settings, full_name="Dr. Throwaway", email="t@mailinator.com")
    as_reviewer(client, db, settings)
    queue = soup(client.get("/admin/requests").text)
    boxes = [str(box["value"]) for box in queue.select('input[name="selected"]')]
    token = queue.select_one('form#decide-selected input[name="csrf_token"]')["value"]

    response = client.post(
        "/admin/requests",
        data={"csrf_token": token, "selected": boxes, "decision": "approve"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    shown = page_text(client.get(response.headers["location"]).text)
    assert (
        "1 approved; 2 not approved because their checks failed: open each to decide it on its own "
        "(Dr. Typo, Dr. Throwaway)."
    ) in shown
    assert [state_of(db, r) for r in (fine, invalid, disposable)] == [
        RequestState.APPROVED,
        RequestState.PENDING,
        RequestState.PENDING,
    ]
    assert [event.target_id for event in approvals(db)] == [fine.id]


def test_an_allow_listed_address_is_not_approved_automatically_with_a_licence_another_account_holds(
    db: Session, settings: Settings
) -> None:
    settings.auto_approve_domains = "charite.example"
    holder = factories.applicant(db, settings, state=RequestState.APPROVED)
    request = factories.applicant(
        db, settings, email="anna@charite.example", licence_number=holder.licence_number
    )
    assert state_of(db, request) == RequestState.PENDING
    assert approvals(db) and all(event.target_id == holder.id for event in approvals(db))
