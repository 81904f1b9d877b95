"""Privacy rights: a person downloads their data, deletes their account, and accepts new terms."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import documents
from app.access import service as access_service
from app.access.models import AccessRequest, RequestState
from app.accounts import service as accounts_service
from app.accounts import sessions
from app.accounts.models import AuthToken, Consent, Role, TokenPurpose, User, UserSession
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.mail import service as mail_service
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, logout, mails, submit
from tests.conftest import page_text, soup

ANSWER = "My licence is registered with the Berlin chamber."
NEW_TERMS = "2027-01"


def full_applicant(db: Session, settings: Settings, reviewer: User, **fields: object) -> AccessRequest:
    """An approved professional with a credential document, a question answered and a decision."""
    form = factories.application(**fields)
    document = documents.Document(io.BytesIO(b"%PDF-1.4 a licence"), "licence.pdf", "application/pdf", ".pdf")
    access_service.submit(db, settings, form, document=document, ip="192.0.2.7")
    request = db.scalars(select(AccessRequest).join(AccessRequest.user).where(User.email == form.email)).one()
    token = accounts_service.issue_token(db, request.user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=1))
    access_service.verify_email(db, settings, token, ip="192.0.2.7")
    ask = dict(reviewer=reviewer, revision=request.revision)
    access_service.decide(
        db, settings, request, outcome=RequestState.NEEDS_INFO, reason="Which chamber?", **ask
    )
    access_service.answer(db, settings, request, text=f"{ANSWER} Write to {form.email}.", ip="192.0.2.7")
    access_service.decide(
        db, settings, request, reviewer=reviewer, outcome=RequestState.APPROVED, revision=request.revision
    )
    db.commit()
    return request


@pytest.fixture
def reviewer(db: Session, settings: Settings) -> User:
    return factories.staff(db, settings, name="Rita Reviewer", email="rita@society.example")


def download(client: TestClient) -> tuple[dict, str]:  # type: ignore[type-arg]
    response = client.get("/account/export")
    assert response.status_code == 200
    return response.json(), response.text


def test_the_export_holds_the_persons_data_and_nothing_of_anyone_else(
    client: TestClient, db: Session, settings: Settings, reviewer: User
) -> None:
    person = full_applicant(
        db, settings, reviewer, full_name="Dr. Ada Export", licence_number="1234567893"
    ).user
    other = full_applicant(
        db, settings, reviewer, full_name="Dr. Bob Other", licence_number="1245319599"
    ).user
    login(TestClient(client.app), other.email, factories.PASSWORD)
    login(client, person.email, factories.PASSWORD)

    response = client.get("/account/export")

    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r'attachment; filename="portico-personal-data-\d{4}-\d\d-\d\d\.json"',
                        response.headers["content-disposition"])  # fmt: skip
    assert response.headers["cache-control"] == "private, no-store"
    data, text = response.json(), response.text
    assert data["profile"]["email"] == person.email and data["profile"]["full_name"] == "Dr. Ada Export"
    [request] = data["access_requests"]
    assert request["licence_number"] == "1234567893" and request["state"] == "approved"
    assert (request["document_name"], request["document_type"]) == ("licence.pdf", "application/pdf")
    assert request["document_file_included"] is False
    assert "not part of this download" in data["notes"]["documents"]
    assert request["question"] == "Which chamber?" and request["answer"].startswith(ANSWER)
    assert request["decided_by"] == "Rita Reviewer"
    by_action = {event["action"]: event for event in data["events"]}
    assert by_action["request.approved"]["by"] == "Rita Reviewer"
    assert by_action["request.info_requested"]["reason"] == "Which chamber?"
    assert by_action["request.submitted"]["ip"] == "192.0.2.7" and "ip" not in by_action["request.approved"]
    assert {(c["document"], c["version"]) for c in data["consents"]} == {
        ("terms", settings.terms_version),
        ("privacy_notice", settings.terms_version),
    }
    assert data["sessions"][-1]["user_agent"] == "testclient" and data["sessions"][-1]["ended_at"] is None
    subjects = [mail["subject"] for mail in data["emails"]]
    assert len(subjects) == len(mails(db, person.email)) and any("approved" in s.lower() for s in subjects)
    # Nothing of the other applicant, nor the reviewer's address.
    for foreign in (other.email, "Dr. Bob Other", "1245319599", reviewer.email):
        assert foreign not in text
    # No secrets: hashes stay on the server, and emailed links lose their tokens.
    db.expire_all()
    secrets = [person.password_hash, "argon2"]
    secrets += db.scalars(select(UserSession.token_hash).where(UserSession.user_id == person.id)).all()
    secrets += db.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == person.id)).all()
    assert [secret for secret in secrets if secret in text] == []
    assert "token=" in text and re.findall(r"token=(?!\[removed\])", text) == []
    assert "document_path" not in text and str(settings.upload_dir) not in text


def test_the_export_needs_a_login(client: TestClient) -> None:
    response = client.get("/account/export", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_deleting_needs_the_right_password_and_erases_nothing_without_it(
    client: TestClient, db: Session, settings: Settings, reviewer: User
) -> None:
    request = full_applicant(db, settings, reviewer)
    email, licence = request.user.email, request.licence_number
    login(client, email, factories.PASSWORD)
    page = client.get("/account/delete")
    assert "This cannot be undone" in page_text(page.text)

    response = submit(client, "/account/delete", {"password": "not my password"})

    assert response.status_code == 422
    assert soup(response.text).select_one("#password-error").get_text() == "This is not your password"
    assert Path(request.document_path or "").exists()
    db.expire_all()
    assert db.get(User, request.user_id).email == email  # type: ignore[union-attr]
    assert db.get(AccessRequest, request.id).licence_number == licence  # type: ignore[union-attr]
    assert client.get("/account", follow_redirects=False).status_code == 200


def test_deleting_the_account_erases_personal_data_and_keeps_an_anonymous_audit_trail(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, reviewer: User
) -> None:
    request = full_applicant(db, settings, reviewer, full_name="Dr. Erased Person")
    person, email, document = request.user, request.user.email, Path(request.document_path or "")
    other = full_applicant(db, settings, reviewer)
    elsewhere = TestClient(app)
    login(elsewhere, email, factories.PASSWORD)
    login(client, email, factories.PASSWORD)
    old_cookie = client.cookies.get(sessions.cookie_name(settings))
    events_before = len(db.scalars(select(AuditEvent)).all())

    done = submit(client, "/account/delete", {"password": factories.PASSWORD})

    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "Your account has been deleted." in page_text(client.get("/").text)
    assert not document.exists() and Path(other.document_path or "").exists()
    db.expire_all()
    anonymous = f"deleted-user-{person.id}"
    user = db.get(User, person.id)
    assert user is not None and (user.email, user.full_name, user.profession) == (anonymous, anonymous, None)
    kept = db.get(AccessRequest, request.id)
    assert kept is not None and kept.state == RequestState.WITHDRAWN
    fields = (
        "licence_number",
        "licence_country",
        "institution",
        "country",
        "specialty",
        "question",
        "answer",
    )
    assert {getattr(kept, name) for name in (*fields, "document_name", "document_type")} == {""}
    assert kept.document_path is None and kept.terms_version == settings.terms_version
    # The audit trail keeps every event, with the person anonymous and no trace of their address.
    events = db.scalars(select(AuditEvent)).all()
    assert len(events) == events_before + 2  # the request closed, the account deleted
    texts = [f"{e.actor_label} {e.reason} {e.ip}" for e in events]
    assert [t for t in texts if email in t or "Dr. Erased Person" in t] == []
    own = [e for e in events if e.actor_id == person.id]
    assert {e.actor_label for e in own} == {anonymous} and {e.ip for e in own} == {""}
    assert [e.reason for e in own if e.action == "request.answered"] == [""]  # their own words
    assert {"request.approved", "account.deleted"} <= {e.action for e in events if anonymous in e.actor_label
                                                       or e.target_id in (person.id, request.id)}  # fmt: skip
    assert any(e.actor_label == reviewer.email for e in events if e.target_id == request.id)
    # Sessions, tokens and consents are gone; every browser is logged out.
    for model in (UserSession, AuthToken, Consent):
        assert db.scalars(select(model).where(model.user_id == person.id)).all() == []
    assert elsewhere.get("/account", follow_redirects=False).status_code == 303
    stale = TestClient(app, cookies={sessions.cookie_name(settings): old_cookie or ""})
    assert stale.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    # One last email, and no other mail to or about them is kept.
    assert [m.message for m in mails(db, email)] == ["account_deleted"]
    assert "deleted your account" in mails(db, email)[0].text_body
    leftover = db.scalars(select(OutboxMessage).where(OutboxMessage.text_body.contains("Dr. Erased Person")))
    assert leftover.all() == []


def test_the_email_address_is_free_again_after_deletion(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, state=RequestState.REJECTED).user
    email = person.email
    login(client, email, factories.PASSWORD)
    submit(client, "/account/delete", {"password": factories.PASSWORD})
    assert login(TestClient(client.app), email, factories.PASSWORD).status_code == 422

    access_service.submit(db, settings, factories.application(email=email), document=None, ip="")
    db.commit()

    db.expire_all()
    again = db.scalars(select(User).where(User.email == email)).one()
    assert again.id != person.id
    assert [m.message for m in mails(db, email)] == ["account_deleted", "confirm_email"]


def test_staff_cannot_delete_their_own_account(client: TestClient, db: Session, settings: Settings) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR)
    login(client, editor.email, factories.PASSWORD)
    page = page_text(client.get("/account/delete").text)
    assert "Please ask an administrator" in page

    response = submit(client, "/account/delete", {"password": factories.PASSWORD})

    assert response.status_code == 403 and "Please ask an administrator" in page_text(response.text)
    db.expire_all()
    assert db.get(User, editor.id).email == editor.email  # type: ignore[union-attr]
    assert client.get("/admin").status_code == 200


@pytest.fixture
def new_terms(app: FastAPI, app_with: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """A browser on the same database after the operator set a new PORTAL_TERMS_VERSION."""
    with TestClient(app_with(terms_version=NEW_TERMS)) as browser:
        yield browser


def test_the_request_form_records_the_consent_with_its_version_and_time(
    db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.UNVERIFIED)
    rows = db.scalars(select(Consent).where(Consent.user_id == request.user_id)).all()
    assert {(row.document.value, row.version) for row in rows} == {
        ("terms", settings.terms_version),
        ("privacy_notice", settings.terms_version),
    }
    assert {row.accepted_at for row in rows} == {request.terms_accepted_at}


def test_new_terms_are_asked_for_at_the_next_login_before_anything_else(
    new_terms: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, state=RequestState.APPROVED).user

    response = login(new_terms, person.email, factories.PASSWORD, "/professional")

    assert response.headers["location"] == "/account/consent?next=%2Fprofessional"
    page = new_terms.get(response.headers["location"])
    assert "Our terms and privacy notice have changed" in page_text(page.text)
    assert f"You last accepted version {settings.terms_version}" in page_text(page.text)
    moved = new_terms.get("/account", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].startswith("/account/consent?next=")
    # The professional area is open to all: until they accept, it shows them what it holds and the way back.
    landing = soup(new_terms.get("/professional").text).select_one(".area__next a.button")
    assert landing["href"] == "/account/consent?next=/professional"
    assert new_terms.get("/account/export").status_code == 200  # their data stays theirs meanwhile
    refused = submit(new_terms, "/account/consent?next=/professional", {"next": "/professional"},
                     action="/account/consent")  # fmt: skip
    assert refused.status_code == 422
    assert "Tick the box" in soup(refused.text).select_one("#accept_terms-error").get_text()

    accepted = submit(new_terms, "/account/consent", {"accept_terms": "on", "next": "/professional"})

    assert accepted.headers["location"] == "/professional"
    assert new_terms.get("/professional").status_code == 200
    db.expire_all()
    rows = db.scalars(select(Consent).where(Consent.user_id == person.id, Consent.version == NEW_TERMS)).all()
    assert {row.document.value for row in rows} == {"terms", "privacy_notice"}
    assert (
        db.scalars(select(AuditEvent).where(AuditEvent.action == "account.consented")).one().after_state
        == NEW_TERMS
    )
    logout(new_terms)
    assert login(new_terms, person.email, factories.PASSWORD).headers["location"] == "/account"


def test_a_member_may_log_out_instead_of_accepting(
    new_terms: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(new_terms, person.email, factories.PASSWORD)
    assert logout(new_terms).headers["location"] == "/"
    assert new_terms.get("/account", follow_redirects=False).headers["location"].startswith("/login")


def test_staff_are_not_asked_for_the_members_terms(
    new_terms: TestClient, db: Session, settings: Settings
) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    assert login(new_terms, admin.email, factories.PASSWORD).headers["location"] == "/admin"
    assert new_terms.get("/account/consent", follow_redirects=False).headers["location"] == "/admin"


def test_the_account_page_links_to_export_and_delete(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    links = {a.get_text(): a["href"] for a in soup(client.get("/account").text).select("a")}
    assert links["Download all your personal data"] == "/account/export"
    assert links["Delete your account"] == "/account/delete"
    data, _ = download(client)
    assert data["profile"]["email"] == person.email


def test_the_last_email_names_nobody_and_has_both_parts() -> None:
    context = {"society": "Society for Tests", "contact": "office@society.example"}
    subject, text, html = mail_service.render("account_deleted", context)
    assert subject == "Your account has been deleted"
    assert text.startswith("Hello,\n") and text.rstrip().endswith("Society for Tests")
    page = soup(html)
    assert page.title is not None and page.title.get_text() == subject
    assert any(a["href"] == "mailto:office@society.example" for a in page.find_all("a"))


GATED = "Open words.\n\n::: professional\nDosing for clinicians: quelbrantine.\n:::\n"


def test_a_professional_reads_no_gated_text_until_they_accept_the_new_terms(
    new_terms: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, slug="open", body=GATED)
    factories.article(db, slug="whole", body="Whole body: quelbrantine.", audience="professional")
    person = factories.applicant(db, settings, state=RequestState.APPROVED).user
    login(new_terms, person.email, factories.PASSWORD)

    for path in ("/articles/open", "/articles/whole", "/api/v1/articles/open", "/search?q=dosing"):
        assert "quelbrantine" not in new_terms.get(path).text, path
    page = soup(new_terms.get("/articles/open").text)
    panel = page.select_one(".locked-panel")
    assert "accept the updated terms" in page_text(str(panel))
    link = panel.select_one("a")
    assert link.get_text() == "Accept the updated terms"
    assert link["href"] == "/account/consent?next=/articles/open"
    whole = soup(new_terms.get("/articles/whole").text).select_one(".locked-panel a")
    assert whole["href"] == "/account/consent?next=/articles/whole"

    accepted = submit(new_terms, link["href"], {"accept_terms": "on", "next": "/articles/open"},
                      action="/account/consent")  # fmt: skip

    assert accepted.headers["location"] == "/articles/open"
    assert "Dosing for clinicians: quelbrantine" in page_text(new_terms.get("/articles/open").text)
    assert "quelbrantine" in new_terms.get("/articles/whole").text
