"""Reviewers decide on evidence: an answer may bring a document, and a renewal that changes the
details, or comes years after the last review, goes to a reviewer with a proof attached."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup
from tests.test_lifecycle import fresh, renew, renewal_form

PDF = b"%PDF-1.7\n%%EOF\n"


def asked(db: Session, settings: Settings, email: str) -> AccessRequest:
    return factories.applicant(db, settings, state=RequestState.NEEDS_INFO, email=email)


def test_an_answer_can_bring_a_document_the_reviewer_downloads(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    request = asked(db, settings, "answer@clinic.example")
    login(client, "answer@clinic.example", factories.PASSWORD)
    files = {"document": ("chamber letter.pdf", PDF, "application/pdf")}

    sent = submit(
        client, "/account", {"answer": "The letter is attached."}, action="/account/request", files=files
    )

    assert sent.status_code == 303
    db.refresh(request)
    assert (request.state, request.answer) == (RequestState.PENDING, "The letter is attached.")
    assert request.document_name == "chamber_letter.pdf" and request.document_path is not None
    assert Path(request.document_path).read_bytes() == PDF
    with TestClient(app) as reviewer:
        login(reviewer, factories.staff(db, settings, role=Role.REVIEWER).email, factories.PASSWORD)
        shown = page_text(reviewer.get(f"/admin/requests/{request.id}").text)
        assert "Download chamber_letter.pdf" in shown
        assert "sent a credential document with the answer: “chamber_letter.pdf”" in shown
        assert reviewer.get(f"/admin/requests/{request.id}/document").content == PDF


def test_an_answer_with_a_file_that_is_no_document_keeps_the_typed_text(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = asked(db, settings, "wrong@clinic.example")
    login(client, "wrong@clinic.example", factories.PASSWORD)
    files = {"document": ("letter.pdf", b"MZ not a pdf", "application/pdf")}

    refused = submit(client, "/account", {"answer": "See the file."}, action="/account/request", files=files)

    assert refused.status_code == 422
    assert "The document must be a PDF, PNG or JPEG file." in page_text(refused.text)
    assert "See the file." in refused.text
    db.refresh(request)
    assert (request.state, request.answer, request.document_path) == (RequestState.NEEDS_INFO, "", None)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "request.answered")).all() == []


def test_a_renewal_years_after_the_last_review_goes_to_a_reviewer_with_a_proof(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    settings.renewal_review_years = 1
    request = factories.applicant(db, settings, state=RequestState.APPROVED, email="years@clinic.example")
    with clock.travel(timedelta(days=720)):  # within the last month of the two-year period
        login(client, "years@clinic.example", factories.PASSWORD)
        account = client.get("/account").text
        assert "A reviewer last approved your access more than 1 year ago" in page_text(account)
        assert soup(account).select_one('input[type="file"][name="document"]').has_attr("required")
        form = renewal_form(client)

        unproven = renew(client, form)

        assert unproven.status_code == 422
        assert "Attach a current proof of your licence" in page_text(unproven.text)
        assert fresh(db, request).state == RequestState.APPROVED

        done = renew(client, form, files={"document": ("licence.pdf", PDF, "application/pdf")})

        assert "Your renewal is with the reviewers" in page_text(done.text)
        assert "Pending review" in page_text(done.text)
    assert fresh(db, request).state == RequestState.EXPIRED
    new = db.scalars(select(AccessRequest).where(AccessRequest.id != request.id)).one()
    assert (new.state, new.licence_number, new.document_name) == (
        RequestState.PENDING,
        request.licence_number,
        "licence.pdf",
    )
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.renewal_submitted"))
    assert event.reason == f"Renewal of request #{request.id}. Renewed after the years set between reviews."
    with TestClient(app) as reviewer:
        login(reviewer, factories.staff(db, settings, role=Role.REVIEWER).email, factories.PASSWORD)
        row = soup(reviewer.get("/admin/requests").text).select_one(
            f'tr:has(a[href="/admin/requests/{new.id}"])'
        )
        assert "Document attached" in row.get_text()
