"""Reviewers decide access requests: the queue, the checks, one decision only, and its effects."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.cli import main
from app.core.config import Settings
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, link_in, login, mails, submit
from tests.conftest import page_text, soup

ARTICLE = """Public part.

::: professional
MARKER-ALL-PROFESSIONS
:::

::: professional prescribers
MARKER-PRESCRIBERS
:::
"""


PDF = b"%PDF-1.7\n%%EOF\n"
PDF_UPLOAD = {"document": ("licence.pdf", PDF, "application/pdf")}
APPLICATION = {k: v for k, v in factories.request_form().items() if k != "email"}


def as_reviewer(client: TestClient, db: Session, settings: Settings, **fields: Any) -> User:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, **fields)
    login(client, reviewer.email, factories.PASSWORD)
    return reviewer


def decide(client: TestClient, request: AccessRequest, decision: str, **data: str):  # type: ignore[no-untyped-def]
    page = f"/admin/requests/{request.id}"
    html = soup(client.get(page).text)
    revision = html.select_one('input[name="revision"]')["value"]
    return submit(client, page, {"revision": revision, **data}, action=f"{page}/{decision}", follow=True)


def test_the_queue_lists_waiting_requests_oldest_first_with_their_wait(
    client: TestClient, db: Session, settings: Settings
) -> None:
    first = factories.applicant(db, settings, full_name="Dr. First")
    factories.applicant(db, settings, full_name="Dr. Second", profession="therapist")
    factories.applicant(db, settings, full_name="Dr. Unconfirmed", state=RequestState.UNVERIFIED)
    factories.applicant(db, settings, full_name="Dr. Done", state=RequestState.APPROVED)
    as_reviewer(client, db, settings)
    rows = soup(client.get("/admin/requests").text).select("tbody tr")
    assert [r.select_one("td a").get_text() for r in rows] == ["Dr. First", "Dr. Second"]
    assert rows[0].select_one("td.waited").get_text() == "0 minutes"
    therapists = soup(client.get("/admin/requests?profession=therapist").text).select("tbody tr a")
    assert [a.get_text() for a in therapists] == ["Dr. Second"]
    approved = soup(client.get("/admin/requests?status=approved").text).select("tbody tr a")
    assert [a.get_text() for a in approved] == ["Dr. Done"]
    assert first.id


def test_the_request_page_shows_what_was_entered_and_the_checks(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(
        db, settings, full_name="Dr. Twin", licence_number="1234567893", email="twin@mailinator.com"
    )
    request = factories.applicant(
        db,
        settings,
        full_name="Dr. Luhn",
        licence_number="1234567893",
        licence_country="US",
        email="luhn@clinic.example",
    )
    as_reviewer(client, db, settings)
    text = page_text(client.get(f"/admin/requests/{request.id}").text)
    assert "Dr. Luhn" in text and "luhn@clinic.example" in text and "Example Clinic" in text
    assert "Valid NPI (10 digits, check digit correct)" in text
    assert "Same licence number: used by Dr. Twin (pending)" in text
    assert "Email domain:" in text


def test_a_walk_from_request_to_reading_professional_content(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    factories.article(db, slug="immunity", title="Immunity", body=ARTICLE)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, email="rita@society.example")
    submit(
        client,
        "/request-access",
        {
            "full_name": "Dr. Theo Therapist",
            "email": "theo@clinic.example",
            "password": factories.PASSWORD,
            "password_confirm": factories.PASSWORD,
            "profession": "therapist",
            "licence_number": "TH-4482",
            "licence_country": "AT",
            "institution": "Praxis Theo",
            "country": "AT",
            "accept_terms": "on",
        },
    )
    client.get(link_in(mails(db, "theo@clinic.example", "confirm_email")[0], "/verify-email"))
    login(client, "theo@clinic.example", factories.PASSWORD)
    assert "Pending review" in page_text(client.get("/account").text)
    assert "MARKER" not in client.get("/articles/immunity").text

    with TestClient(app) as staff_client:
        login(staff_client, reviewer.email, factories.PASSWORD)
        request = db.scalars(select(AccessRequest)).one()
        done = decide(staff_client, request, "approve")
        assert "The request of Dr. Theo Therapist was approved" in page_text(done.text)
    [approved] = mails(db, "theo@clinic.example", "approved")
    assert "/login" in approved.text_body

    article = client.get("/articles/immunity").text
    assert "MARKER-ALL-PROFESSIONS" in article
    assert "MARKER-PRESCRIBERS" not in article
    assert "reserved for prescribers" in page_text(article)
    assert "Approved" in page_text(client.get("/account").text)


def test_a_physician_reads_the_prescribers_block(client: TestClient, db: Session, settings: Settings) -> None:
    factories.article(db, slug="immunity", body=ARTICLE)
    request = factories.applicant(db, settings, state=RequestState.APPROVED, email="doc@clinic.example")
    login(client, request.user.email, factories.PASSWORD)
    article = client.get("/articles/immunity").text
    assert "MARKER-ALL-PROFESSIONS" in article and "MARKER-PRESCRIBERS" in article


def test_rejection_needs_a_reason_and_the_applicant_reads_it(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, email="rex@clinic.example")
    as_reviewer(client, db, settings)
    refused = decide(client, request, "reject", reason="")
    assert refused.status_code == 422
    assert soup(refused.text).select_one("#reason-error").get_text() == "A rejection needs a reason."
    db.refresh(request)
    assert request.state == RequestState.PENDING
    decide(client, request, "reject", reason="We could not confirm your licence number.")
    db.refresh(request)
    assert (request.state, request.decision_reason) == (
        RequestState.REJECTED,
        "We could not confirm your licence number.",
    )
    [mail] = mails(db, "rex@clinic.example", "rejected")
    assert "We could not confirm your licence number." in mail.text_body
    with TestClient(app) as applicant:
        login(applicant, "rex@clinic.example", factories.PASSWORD)
        text = page_text(applicant.get("/account").text)
    assert "Not approved" in text and "We could not confirm your licence number." in text


@pytest.mark.parametrize(("decision", "field"), [("reject", "reason"), ("request-info", "question")])
def test_an_over_long_reason_or_question_is_refused_with_a_message_not_cut(
    client: TestClient, db: Session, settings: Settings, decision: str, field: str
) -> None:
    request = factories.applicant(db, settings, email="long@clinic.example")
    as_reviewer(client, db, settings)
    typed = "Please tell us more. " * 250  # 5,250 characters: past the 5,000 a message may hold
    refused = decide(client, request, decision, **{field: typed})
    assert refused.status_code == 422
    assert f"Keep the {field} to 5000 characters" in page_text(refused.text)
    assert soup(refused.text).select_one(f'textarea[name="{field}"]').get_text() == typed.strip()
    db.refresh(request)
    assert request.state == RequestState.PENDING
    assert mails(db, "long@clinic.example", "rejected" if decision == "reject" else "more_info_needed") == []


def test_a_question_goes_to_the_applicant_and_their_answer_back_to_the_queue(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, email="q@clinic.example")
    as_reviewer(client, db, settings)
    decide(client, request, "request-info", question="Which chamber issued your licence?")
    [mail] = mails(db, "q@clinic.example", "more_info_needed")
    assert "Which chamber issued your licence?" in mail.text_body
    with TestClient(app) as applicant:
        login(applicant, "q@clinic.example", factories.PASSWORD)
        assert "Which chamber issued your licence?" in page_text(applicant.get("/account").text)
        empty = submit(applicant, "/account", {"answer": ""}, action="/account/request")
        assert empty.status_code == 422 and "Write your answer" in page_text(empty.text)
        submit(applicant, "/account", {"answer": "The Vienna chamber."}, action="/account/request")
    db.refresh(request)
    assert (request.state, request.answer) == (RequestState.PENDING, "The Vienna chamber.")
    assert "The Vienna chamber." in page_text(client.get(f"/admin/requests/{request.id}").text)


def test_every_decision_is_audited_with_actor_states_reason_and_ip(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings)
    reviewer = as_reviewer(client, db, settings)
    decide(client, request, "reject", reason="No licence given.")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.rejected")).one()
    assert (event.actor_id, event.actor_label, event.target_type, event.target_id) == (
        reviewer.id,
        reviewer.email,
        "access_request",
        request.id,
    )
    assert (event.before_state, event.after_state, event.reason) == (
        "pending",
        "rejected",
        "No licence given.",
    )
    assert event.ip == "testclient" and event.at is not None


def test_a_stale_page_cannot_decide_a_request_that_changed(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings)
    as_reviewer(client, db, settings)
    page = f"/admin/requests/{request.id}"
    stale = soup(client.get(page).text).select_one('input[name="revision"]')["value"]
    decide(client, request, "approve")
    response = submit(client, page, {"revision": stale, "reason": "x"}, action=f"{page}/reject", follow=True)
    assert "This request is already approved" in page_text(response.text)
    db.refresh(request)
    assert request.state == RequestState.APPROVED


def test_two_reviewers_deciding_at_once_make_one_decision(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, email="race@clinic.example")
    reviewers = [factories.staff(db, settings, role=Role.REVIEWER, name=f"Reviewer {n}") for n in (1, 2)]
    clients = [TestClient(app).__enter__() for _ in reviewers]
    page = f"/admin/requests/{request.id}"
    forms = []
    for client, reviewer in zip(clients, reviewers, strict=True):
        login(client, reviewer.email, factories.PASSWORD)
        html = soup(client.get(page).text)
        forms.append(
            {
                "csrf_token": csrf_from(client, page),
                "revision": html.select_one('input[name="revision"]')["value"],
            }
        )
    barrier = threading.Barrier(2)
    results: list[str] = [""] * 2

    def decide_now(index: int, decision: str, data: dict[str, str]) -> None:
        barrier.wait()
        response = clients[index].post(f"{page}/{decision}", data=data, follow_redirects=True)
        results[index] = page_text(response.text)

    threads = [
        threading.Thread(target=decide_now, args=(0, "approve", forms[0])),
        threading.Thread(target=decide_now, args=(1, "reject", {**forms[1], "reason": "Not a clinician."})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for client in clients:
        client.__exit__(None, None, None)
    db.expire_all()
    decisions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.action.in_(["request.approved", "request.rejected"]))
    ).all()
    assert len(decisions) == 1
    sent = db.scalars(
        select(OutboxMessage.message).where(
            OutboxMessage.to_address == "race@clinic.example",
            OutboxMessage.message.in_(["approved", "rejected"]),
        )
    ).all()
    assert len(sent) == 1
    loser = [text for text in results if "already" in text]
    assert len(loser) == 1
    winner = db.get(AccessRequest, request.id)
    assert winner is not None and winner.decided_by is not None
    assert f"(by {winner.decided_by.full_name})" in loser[0]


def test_only_reviewers_download_the_document_and_only_as_an_attachment(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    pdf = b"%PDF-1.7\n%%EOF\n"
    submit(
        client,
        "/request-access",
        factories.request_form(),
        files={"document": ("licence.pdf", pdf, "application/pdf")},
    )
    client.get(link_in(mails(db, "doc@clinic.example", "confirm_email")[0], "/verify-email"))
    request = db.scalars(select(AccessRequest)).one()
    login(client, "doc@clinic.example", factories.PASSWORD)
    assert client.get(f"/admin/requests/{request.id}/document").status_code == 403
    with TestClient(app) as staff:
        assert (
            staff.get(f"/admin/requests/{request.id}/document", follow_redirects=False)
            .headers["location"]
            .startswith("/login")
        )
        as_reviewer(staff, db, settings)
        response = staff.get(f"/admin/requests/{request.id}/document")
    assert response.content == pdf
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_document_downloads_sandboxed_under_its_own_name_in_any_script(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings)
    stored = settings.upload_dir / "4f2a.png"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"\x89PNG\r\n\x1a\nrest")
    request.document_path, request.document_type = str(stored), "image/png"
    request.document_name = 'Approbation "Müller" Köln.png'
    db.commit()
    as_reviewer(client, db, settings)
    response = client.get(f"/admin/requests/{request.id}/document")
    assert response.content == stored.read_bytes()
    assert response.headers["content-disposition"] == (
        'attachment; filename="Approbation _M_ller_ K_ln.png"; '
        "filename*=UTF-8''Approbation%20%22M%C3%BCller%22%20K%C3%B6ln.png"
    )
    policy = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy


def test_each_download_of_a_credential_document_is_in_the_audit_trail(
    client: TestClient, db: Session, settings: Settings
) -> None:
    submit(client, "/request-access", {**APPLICATION, "email": "doc@clinic.example"}, files=PDF_UPLOAD)
    client.get(link_in(mails(db, "doc@clinic.example", "confirm_email")[0], "/verify-email"))
    request = db.scalars(select(AccessRequest)).one()
    reviewer = as_reviewer(client, db, settings, name="Rex Reviewer")

    assert client.get(f"/admin/requests/{request.id}/document").content == PDF
    page = client.get(f"/admin/requests/{request.id}")

    db.expire_all()
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.document_downloaded")).all()
    assert (event.actor_id, event.target_type, event.target_id) == (reviewer.id, "access_request", request.id)
    assert "Rex Reviewer downloaded Dr. Doc's credential document" in page_text(page.text)


def test_staff_pages_are_closed_to_visitors_applicants_and_the_wrong_role(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    assert (
        client.get("/admin/requests", follow_redirects=False).headers["location"]
        == "/login?next=%2Fadmin%2Frequests"
    )
    factories.applicant(db, settings, email="a@clinic.example", state=RequestState.APPROVED)
    editor = factories.staff(db, settings, role=Role.EDITOR)
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with TestClient(app) as applicant:
        login(applicant, "a@clinic.example", factories.PASSWORD)
        assert applicant.get("/admin/requests").status_code == 403
    with TestClient(app) as editing:
        login(editing, editor.email, factories.PASSWORD)
        denied = editing.get("/admin/requests")
        assert denied.status_code == 403 and "Not allowed" in page_text(denied.text)
    with TestClient(app) as reviewing:
        login(reviewing, reviewer.email, factories.PASSWORD)
        people = reviewing.get("/admin/users")
        assert people.status_code == 200 and "Add a staff account" not in page_text(people.text)


def test_an_admin_adds_a_reviewer_who_sets_a_password_by_email(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))
    bad = submit(client, "/admin/users", {"full_name": "Rhea", "email": "nope", "role": "member"})
    assert bad.status_code == 422 and soup(bad.text).select_one("#full_name")["value"] == "Rhea"
    assert soup(bad.text).select_one("#role-error").get_text() == "Choose a role"
    done = submit(
        client,
        "/admin/users",
        {"full_name": "Rhea Reviewer", "email": "rhea@society.example", "role": "reviewer"},
        follow=True,
    )
    assert "Rhea Reviewer can now set a password" in page_text(done.text)
    created = db.scalars(select(User).where(User.email == "rhea@society.example")).one()
    assert created.role == Role.REVIEWER
    assert (
        db.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "account.created", AuditEvent.target_id == created.id
            )
        )
        .one()
        .actor_id
        == admin.id
    )
    link = link_in(mails(db, "rhea@society.example", "password_reset")[0], "/reset-password")
    with TestClient(app) as rhea:
        token = link.split("token=")[1]
        submit(
            rhea,
            link,
            {"token": token, "password": "a new long password", "password_confirm": "a new long password"},
            action="/reset-password",
        )
        assert login(rhea, "rhea@society.example", "a new long password").headers["location"] == "/admin"
    duplicate = submit(
        client, "/admin/users", {"full_name": "Again", "email": "rhea@society.example", "role": "editor"}
    )
    assert (
        soup(duplicate.text).select_one("#email-error").get_text()
        == "An account with this email address exists already"
    )


def test_create_admin_reads_the_password_from_stdin(monkeypatch, database_url: str, db: Session) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    for name, value in {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8", "ARGON2_PARALLELISM": "1"}.items():
        monkeypatch.setenv(f"PORTAL_{name}", value)
    runner = CliRunner()
    short = runner.invoke(main, ["create-admin", "boss@society.example", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    made = runner.invoke(
        main, ["create-admin", "boss@society.example", "--password-stdin"], input="a long admin password\n"
    )
    assert made.exit_code == 0, made.output
    assert "Admin boss@society.example created." in made.output
    user = db.scalars(select(User).where(User.email == "boss@society.example")).one()
    assert user.role == Role.ADMIN and user.password_hash.startswith("$argon2id$")
    again = runner.invoke(
        main, ["create-admin", "boss@society.example", "--password-stdin"], input="a long admin password\n"
    )
    assert again.exit_code == 1 and "exists already" in again.output


def test_an_editor_lands_on_a_dashboard_without_review_work(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.applicant(db, settings, full_name="Dr. Hidden From Editors")
    editor = factories.staff(db, settings, role=Role.EDITOR)
    response = login(client, editor.email, factories.PASSWORD)
    assert response.headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200 and soup(page.text).h1.get_text() == "Staff dashboard"
    assert "Dr. Hidden From Editors" not in page.text and 'href="/admin/requests"' not in page.text


def test_a_usual_reason_can_be_picked_and_edited_before_rejecting(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, email="preset@clinic.example")
    as_reviewer(client, db, settings)
    page = soup(client.get(f"/admin/requests/{request.id}").text)
    link = page.select(".presets a")[0]["href"]
    filled = soup(client.get(f"/admin/requests/{request.id}{link.split('#')[0]}").text)
    reason = filled.select_one("textarea#reason").get_text()
    assert reason.startswith("We could not confirm your licence")
    decide(client, request, "reject", reason=reason + " Please send a copy of your licence.")
    db.refresh(request)
    assert request.decision_reason.endswith("Please send a copy of your licence.")
