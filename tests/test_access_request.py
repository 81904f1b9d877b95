"""A clinician asks for access: the form, the confirmation email and what they then see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role, User
from app.core.config import Settings
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import link_in, login, mails, submit
from tests.conftest import page_text, soup

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def form(**overrides: Any) -> dict[str, Any]:
    values = {
        "full_name": "Dr. Mara Example",
        "email": "Mara@Clinic.example",
        "password": factories.PASSWORD,
        "password_confirm": factories.PASSWORD,
        "profession": "physician",
        "specialty": "Psychiatry",
        "licence_number": "1234567893",
        "licence_country": "US",
        "institution": "Example Clinic",
        "country": "US",
        "group_membership": "",
        "accept_terms": "on",
    }
    return {**values, **overrides}


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_form_has_every_field_with_its_stable_name(client: TestClient) -> None:
    html = soup(client.get("/request-access").text)
    names = {field["name"] for field in html.select("form [name]")}
    assert names >= {
        "csrf_token",
        "full_name",
        "email",
        "password",
        "password_confirm",
        "profession",
        "specialty",
        "licence_number",
        "licence_country",
        "institution",
        "country",
        "group_membership",
        "document",
        "accept_terms",
    }
    professions = [o["value"] for o in html.select('select[name="profession"] option') if o["value"]]
    assert professions == [
        "physician",
        "dentist",
        "pharmacist",
        "veterinarian",
        "psychotherapist",
        "naturopath",
        "physiotherapist",
        "therapist",
        "other",
    ]
    assert (
        html.select_one('select[name="profession"] option[value="psychotherapist"]').get_text()
        == "Psychotherapist"
    )
    for label in html.select("form label"):
        assert html.select_one(f"#{label['for']}") is not None


def test_a_request_waits_for_the_email_to_be_confirmed(client: TestClient, db: Session) -> None:
    response = submit(client, "/request-access", form(), follow=True)
    assert "Check your email" in page_text(response.text)
    assert "mara@clinic.example" in page_text(response.text)
    stored = db.scalars(select(AccessRequest)).one()
    assert (stored.state, stored.user.email, stored.user.role) == (
        RequestState.UNVERIFIED,
        "mara@clinic.example",
        Role.MEMBER,
    )
    assert stored.terms_version and stored.terms_accepted_at is not None
    [confirm] = mails(db, "mara@clinic.example")
    assert confirm.message == "confirm_email"
    assert "Dr. Mara Example" in confirm.text_body


def test_confirming_the_email_puts_the_request_in_the_queue_and_tells_everyone(
    client: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    submit(client, "/request-access", form())
    link = link_in(mails(db, "mara@clinic.example", "confirm_email")[0], "/verify-email")
    page = client.get(link)
    assert "your email address is confirmed" in page_text(page.text)
    db.expire_all()
    assert db.scalars(select(AccessRequest.state)).one() == RequestState.PENDING
    assert len(mails(db, "mara@clinic.example", "request_received")) == 1
    [notice] = mails(db, reviewer.email, "new_request")
    assert "Dr. Mara Example" in notice.text_body
    again = client.get(link)
    assert again.status_code == 400 and "does not work" in page_text(again.text)
    assert len(mails(db, reviewer.email, "new_request")) == 1


def test_an_applicant_sees_pending_and_nothing_gated(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, slug="gated", body="Public part.\n\n::: professional\nMARKER-GATED\n:::\n")
    request = factories.applicant(db, settings, email="pat@clinic.example", state=RequestState.PENDING)
    login(client, request.user.email, factories.PASSWORD)
    account = page_text(client.get("/account").text)
    assert "Pending review" in account
    article = client.get("/articles/gated")
    assert "MARKER-GATED" not in article.text
    assert "Your request is pending" in page_text(article.text)


def test_invalid_input_is_explained_beside_each_field_and_kept(client: TestClient, db: Session) -> None:
    response = submit(
        client,
        "/request-access",
        form(
            email="not-an-address",
            password="short",
            password_confirm="other",
            profession="surgeon",
            licence_country="XX",
            accept_terms="",
            full_name="Dr. Kept Name",
        ),
    )
    assert response.status_code == 422
    html = soup(response.text)
    errors = {p["id"].removesuffix("-error"): p.get_text() for p in html.select(".field__error")}
    assert errors["email"] == "Enter an email address such as name@example.org"
    assert errors["password"] == "Choose a password of at least 12 characters"
    assert errors["profession"] == "Choose your profession from the list"
    assert errors["licence_country"] == "Choose the country that issued the licence"
    assert "accept the terms" in errors["accept_terms"]
    assert html.select_one("#full_name")["value"] == "Dr. Kept Name"
    assert html.select_one("#email")["value"] == "not-an-address"
    assert html.select_one("#password").get("value") is None
    assert html.select_one("#email")["aria-describedby"].endswith("email-error")
    assert count(db, User) == 0 and count(db, AccessRequest) == 0


def test_mismatched_passwords_are_named(client: TestClient) -> None:
    response = submit(client, "/request-access", form(password_confirm="something else entirely"))
    assert (
        soup(response.text).select_one("#password_confirm-error").get_text()
        == "The two passwords are not the same"
    )


def test_extra_fields_cannot_set_role_state_or_id(client: TestClient, db: Session) -> None:
    submit(
        client,
        "/request-access",
        form(
            role="admin",
            state="approved",
            is_staff="true",
            id="999",
            user_id="1",
            email_verified_at="2020-01-01",
            revision="99",
        ),
    )
    user = db.scalars(select(User)).one()
    request = db.scalars(select(AccessRequest)).one()
    assert (user.role, user.is_staff, user.email_verified_at) == (Role.MEMBER, False, None)
    assert (request.state, request.revision) == (RequestState.UNVERIFIED, 1)
    assert user.id != 999 and request.id != 999


def test_a_known_address_gets_the_same_page_and_an_email_to_its_owner(
    client: TestClient, db: Session, settings: Settings
) -> None:
    owner = factories.applicant(db, settings, email="owner@clinic.example", state=RequestState.APPROVED)
    first = submit(client, "/request-access", form(email="new@clinic.example"), follow=True)
    second = submit(client, "/request-access", form(email="OWNER@clinic.example"), follow=True)
    assert page_text(first.text).replace("new@clinic.example", "X") == page_text(second.text).replace(
        "owner@clinic.example", "X"
    )
    assert [m.message for m in mails(db, "owner@clinic.example")][-1] == "account_exists"
    assert db.scalar(select(func.count()).select_from(User).where(User.email == "owner@clinic.example")) == 1
    assert owner.user.full_name in mails(db, "owner@clinic.example", "account_exists")[0].text_body


def test_a_credential_document_is_recognised_by_its_content(client: TestClient, db: Session) -> None:
    response = submit(client, "/request-access", form(), files={"document": ("scan.jpeg", PNG, "image/jpeg")})
    assert response.status_code == 303
    stored = db.scalars(select(AccessRequest)).one()
    assert (stored.document_type, stored.document_name) == ("image/png", "scan.png")


def test_a_document_that_is_not_a_pdf_png_or_jpeg_is_refused(client: TestClient, db: Session) -> None:
    fake = b"MZ\x90\x00 this is a program, not a licence"
    response = submit(
        client, "/request-access", form(), files={"document": ("licence.pdf", fake, "application/pdf")}
    )
    assert response.status_code == 422
    assert (
        soup(response.text).select_one("#document-error").get_text()
        == "The document must be a PDF, PNG or JPEG file."
    )
    assert soup(response.text).select_one("#full_name")["value"] == "Dr. Mara Example"
    assert count(db, AccessRequest) == 0


def test_a_document_over_the_size_limit_is_refused_while_it_streams(
    client: TestClient, db: Session, settings: Settings
) -> None:
    big = PDF + b"0" * (settings.upload_max_bytes + 300 * 1024)
    response = submit(
        client, "/request-access", form(), files={"document": ("big.pdf", big, "application/pdf")}
    )
    assert response.status_code == 413
    assert "larger than 10 MB" in soup(response.text).select_one("#document-error").get_text()
    assert count(db, AccessRequest) == 0
    assert not settings.upload_dir.exists() or not any(settings.upload_dir.rglob("*"))


def test_an_applicant_may_withdraw_an_undecided_request(
    client: TestClient, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, email="w@clinic.example", state=RequestState.PENDING)
    login(client, "w@clinic.example", factories.PASSWORD)
    confirm = soup(client.get("/account").text).select_one("details.confirm")
    assert confirm is not None and confirm.select_one("summary").get_text() == "Withdraw my request"
    button = confirm.select_one('form[action="/account/withdraw"] button')
    assert button.get_text() == "Yes, withdraw my request"
    response = submit(client, "/account", {}, action="/account/withdraw", follow=True)
    assert "Your request has been withdrawn." in page_text(response.text)
    db.refresh(request)
    assert request.state == RequestState.WITHDRAWN
    assert "Withdraw my request" not in response.text


def test_a_request_without_the_terms_ticked_is_refused(client: TestClient, db: Session) -> None:
    values = form()
    del values["accept_terms"]
    response = submit(client, "/request-access", values)
    assert response.status_code == 422
    assert "accept the terms" in soup(response.text).select_one("#accept_terms-error").get_text()
    assert count(db, AccessRequest) == 0


def test_the_error_summary_follows_the_order_of_the_form(client: TestClient) -> None:
    response = submit(
        client, "/request-access", form(full_name="", licence_country="", country="", password="x")
    )
    summary = [a["href"] for a in soup(response.text).select(".error-summary a")]
    assert summary == ["#full_name", "#password", "#licence_country", "#country"]
    texts = [a.get_text() for a in soup(response.text).select(".error-summary a")]
    assert (
        "Choose the country that issued the licence" in texts
        and "Choose the country where you practise" in texts
    )


def test_an_automatically_approved_applicant_is_told_so_when_confirming(
    client: TestClient, db: Session, settings: Settings
) -> None:
    settings.auto_approve_domains = "charite.example"
    submit(client, "/request-access", form(email="anna@charite.example", licence_number="1234567893"))
    link = link_in(mails(db, "anna@charite.example", "confirm_email")[0], "/verify-email")
    assert "Your access has been approved at once" in page_text(client.get(link).text)


def test_an_address_that_would_break_a_mail_header_is_refused_on_the_form(
    client: TestClient, db: Session
) -> None:
    response = submit(client, "/request-access", form(email="a,b@clinic.example"))
    assert response.status_code == 422
    assert soup(response.text).select_one("#email-error").get_text() == (
        "Enter an email address such as name@example.org"
    )
    assert count(db, User) == 0 and count(db, OutboxMessage) == 0
