"""German readers: the access-request journey, its emails and the password emails, all in German."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access.models import AccessRequest, RequestState
from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.core import i18n
from app.core.config import Settings
from app.jobs import tick
from app.mail import service as mail_service
from tests import factories
from tests.browsing import link_in, mails, submit
from tests.conftest import page_text, soup
from tests.test_catalogs import _untranslated_english

EMAIL = "mara@klinik.example"


@pytest.fixture
def german(bilingual: TestClient) -> TestClient:
    return bilingual


def german_form(**fields: str) -> dict[str, str]:
    german = {
        "full_name": "Dr. Mara Beispiel",
        "email": EMAIL,
        "licence_country": "DE",
        "country": "DE",
        "institution": "Klinikum Beispielstadt",
        "licence_number": "123456789012345",
    }
    return factories.request_form(**{**german, **fields})


def test_the_request_form_speaks_german(german: TestClient) -> None:
    html = soup(german.get("/de/request-access").text)
    assert (
        html.h1 is not None and html.h1.get_text() == "Zugang für Fachleute aus Gesundheitsberufen beantragen"
    )
    assert html.select_one('label[for="email"]').get_text(strip=True) == "E-Mail-Adresse"  # type: ignore[union-attr]
    physicians = html.select_one('select[name="profession"] option[value="physician"]')
    assert physicians is not None and physicians.get_text() == "Ärztin/Arzt"
    germany = html.select_one('select[name="country"] option[value="DE"]')
    assert germany is not None and germany.get_text() == "Deutschland"
    # Countries in German alphabetical order: Österreich among the O's, not after Zypern.
    names = [o.get_text() for o in html.select('select[name="country"] option') if o["value"]]
    assert names.index("Österreich") < names.index("Polen")


def test_a_mistake_is_explained_in_german_and_the_typed_details_are_kept(
    german: TestClient, db: Session
) -> None:
    response = submit(
        german, "/de/request-access", german_form(full_name="", password="kurz", password_confirm="kurz")
    )
    assert response.status_code == 422
    html = soup(response.text)
    errors = [item.get_text() for item in html.select(".field__error")]
    assert "Geben Sie Ihren vollständigen Namen ein" in errors
    assert "Wählen Sie ein Passwort mit mindestens 12 Zeichen" in errors
    assert html.select_one("#institution")["value"] == "Klinikum Beispielstadt"  # type: ignore[index]
    assert html.select_one('#country option[value="DE"]').has_attr("selected")  # type: ignore[union-attr]
    assert html.select_one("#password").get("value") is None  # type: ignore[union-attr]
    assert not mails(db, EMAIL)


def test_a_german_applicant_gets_german_email_and_lands_on_german_pages(
    german: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    reviewer.language = "de"  # a reviewer who reads German
    db.commit()
    sent = submit(german, "/de/request-access", german_form(), follow=True)
    assert str(sent.url).endswith("/de/request-access/sent")
    assert "Wir haben eine Nachricht an mara@klinik.example gesendet." in page_text(sent.text)

    [confirm] = mails(db, EMAIL, "confirm_email")
    assert confirm.subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert confirm.text_body.startswith("Guten Tag Dr. Mara Beispiel,\n")
    assert "Mit freundlichen Grüßen" in confirm.text_body
    assert "E-Mail-Adresse bestätigen" in confirm.html_body
    assert '<html lang="de">' in confirm.html_body
    link = link_in(confirm, "/verify-email")
    assert link.startswith("/de/verify-email?token=")

    # The link opens the German page whatever language the browser asks for.
    landed = german.get(link, headers={"accept-language": "en"})
    assert "Vielen Dank, Ihre E-Mail-Adresse ist bestätigt" in page_text(landed.text)
    [received] = mails(db, EMAIL, "request_received")
    assert received.subject == "Wir haben Ihren Antrag auf Zugang erhalten"
    [notice] = mails(db, reviewer.email, "new_request")
    assert "Beruf: Ärztin/Arzt" in notice.text_body
    assert "/de/admin/requests/" in notice.text_body


def test_the_password_reset_email_is_german(german: TestClient, db: Session, settings: Settings) -> None:
    person = factories.applicant(db, settings, email=EMAIL).user
    person.language = "de"  # someone who signed up in German
    db.commit()
    answer = submit(german, "/de/forgot-password", {"email": EMAIL})
    assert "Falls es ein Konto für mara@klinik.example gibt" in page_text(answer.text)
    [reset] = mails(db, EMAIL, "password_reset")
    assert reset.subject == "Neues Passwort festlegen"
    assert reset.text_body.startswith(f"Guten Tag {person.full_name},\n")
    assert "Der Link funktioniert nur einmal und läuft nach 60 Minuten ab." in reset.text_body
    link = link_in(reset, "/reset-password")
    assert link.startswith("/de/reset-password?token=")
    form = soup(german.get(link).text)
    assert form.h1 is not None and form.h1.get_text() == "Neues Passwort wählen"


def test_the_same_journey_in_english_links_to_english_pages(client: TestClient, db: Session) -> None:
    submit(client, "/request-access", german_form())
    [confirm] = mails(db, EMAIL, "confirm_email")
    assert confirm.subject == "Please confirm your email address"
    assert link_in(confirm, "/verify-email").startswith("/verify-email?token=")  # one language: no prefix


def test_a_reminder_from_a_job_is_german_with_its_date_on_the_societys_calendar(
    db: Session, bilingual_settings: Settings
) -> None:
    # A German site, and a professional who signed up in German: the job writes to them in German.
    settings = bilingual_settings.model_copy(update={"default_language": "de"})
    with i18n.using("de"):
        request = factories.applicant(db, settings, state=RequestState.APPROVED, email=EMAIL)
    # 23:30 UTC on 2 March is already 3 March in Berlin, where the society is.
    ends = datetime(2031, 3, 2, 23, 30, tzinfo=UTC)
    db.execute(
        AccessRequest.__table__.update().where(AccessRequest.id == request.id).values(access_until=ends)
    )
    db.commit()
    tick.run(lambda: Session(db.get_bind()), settings, now=ends - timedelta(days=6))  # type: ignore[arg-type]
    [reminder] = mails(db, EMAIL, "access_expiring")
    assert reminder.subject == "Ihr Zugang zum Fachbereich endet am 3. März 2031"
    assert "endet am 3. März 2031, in 6 Tagen." in reminder.text_body
    assert f"{settings.base_url}/de/account" in reminder.text_body


def test_an_email_renders_in_the_language_it_is_asked_for() -> None:
    context = {"name": "Ada", "society": "Gesellschaft", "link": "https://x.example/de/account"}
    context |= {"until": datetime(2031, 3, 2, 12, tzinfo=UTC), "zone": None}
    subject, text, html = mail_service.render("access_renewed", context, language="de")
    assert subject == "Ihr Zugang zum Fachbereich gilt jetzt bis zum 2. März 2031"
    assert "Ihre Kontoseite:" in text and "<strong>2. März 2031</strong>" in html
    english, _, _ = mail_service.render("access_renewed", context, language="en")
    assert english == "Your access to the professional area now runs until 2 March 2031"


def test_the_audit_note_of_an_extension_stays_in_one_language(db: Session, settings: Settings) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    request = factories.applicant(db, settings, state=RequestState.APPROVED, reviewer=reviewer)
    until = datetime(2040, 5, 1, 12, tzinfo=UTC)
    with i18n.using("de"):  # a reviewer working on German pages
        lifecycle.extend(
            db, settings, request, reviewer=reviewer, until=until, reason="", revision=request.revision
        )
    db.commit()
    note = db.scalars(select(AuditEvent.reason).where(AuditEvent.action == "access.extended")).one()
    assert note == "Until 1 May 2040."


@pytest.mark.parametrize(
    "state",
    [
        RequestState.UNVERIFIED,
        RequestState.PENDING,
        RequestState.NEEDS_INFO,
        RequestState.APPROVED,
        RequestState.REJECTED,
        RequestState.SUSPENDED,
        RequestState.EXPIRED,
    ],
)
def test_the_account_pages_show_no_interface_text_in_english(
    german: TestClient, db: Session, settings: Settings, state: RequestState
) -> None:
    request = factories.applicant(db, settings, state=state, email=EMAIL)
    submit(german, "/de/login", {"email": EMAIL, "password": factories.PASSWORD})
    english = _untranslated_english("de")
    for path in ("/de/account", "/de/account/password", "/de/account/delete"):
        page = german.get(path)
        assert page.status_code == 200, path
        shown = {" ".join(text.split()) for text in soup(page.text).stripped_strings}
        assert not sorted(shown & english), path
    text = page_text(german.get("/de/account").text)
    assert "Ihr Antrag auf Zugang" in text
    assert request.licence_number in text
    if state == RequestState.APPROVED:
        assert "Sie können in jedem Artikel die Inhalte für Ärztinnen und Ärzte lesen." in text
