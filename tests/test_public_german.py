"""The public site in German: articles, locked parts, search, the contact form and error pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.contact.forms import ContactForm, friendly
from app.core import i18n
from app.core.config import Settings
from app.core.forms import validate
from app.core.policy import PROFESSION_LABELS, Profession, audience_in_text, audience_label, parse_audience
from app.core.web import HISTORY_LABELS, waiting_time
from tests import factories
from tests.browsing import login, submit
from tests.conftest import page_text, soup

# Late on 2 December in UTC is already 3 December in Berlin, the society's time zone.
LATE_EVENING = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
GATED = "Open words.\n\n::: professional physician dentist\nDosing for physicians and dentists.\n:::\n"


@pytest.fixture
def browser(bilingual: TestClient) -> TestClient:
    return bilingual


@pytest.fixture
def content(bilingual_app: FastAPI, browser: TestClient) -> Iterator[Session]:
    db = bilingual_app.state.session_factory()
    factories.article(db, slug="dosing", title="Dosing", body=GATED, published_at=LATE_EVENING)
    yield db
    db.close()


def test_an_article_in_german_has_german_dates_and_names_who_may_read_its_locked_part(
    browser: TestClient, content: Session
) -> None:
    page = soup(browser.get("/de/articles/dosing").text)
    meta = page_text(str(page.select_one(".article__meta")))
    assert "Veröffentlicht am 3. Dezember 2026" in meta
    panel = page.select_one(".locked-panel")
    assert panel is not None
    # German nouns keep their capitals inside a sentence.
    assert "Für Zahnärztinnen und Zahnärzte, Ärztinnen und Ärzte" in page_text(str(panel))
    assert "richtet sich an geprüfte Zahnärztinnen und Zahnärzte, Ärztinnen und Ärzte" in page_text(
        str(panel)
    )
    links = {a.get_text(strip=True): a["href"] for a in panel.find_all("a")}
    assert links == {
        "Anmelden": "/de/login?next=/de/articles/dosing",
        "Zugang beantragen": "/de/request-access",
        "Was der Fachbereich enthält und wie Sie Zugang erhalten": "/de/professional",
    }


def test_the_same_article_in_english_keeps_its_wording(browser: TestClient, content: Session) -> None:
    page = soup(browser.get("/en/articles/dosing").text)
    assert "Published 3 December 2026" in page_text(str(page.select_one(".article__meta")))
    panel = page_text(str(page.select_one(".locked-panel")))
    assert "For dentists, physicians" in panel
    assert "reserved for verified dentists, physicians. Access is free" in panel


def test_an_applicant_waiting_for_review_reads_why_a_part_is_closed_and_the_area_too_in_german(
    browser: TestClient, content: Session, settings: Settings
) -> None:
    request = factories.applicant(content, settings, state=RequestState.PENDING)
    login(browser, request.user.email, factories.PASSWORD)
    panel = page_text(str(soup(browser.get("/de/articles/dosing").text).select_one(".locked-panel")))
    assert "Ihr Antrag wird noch geprüft" in panel and "Ihren Antrag ansehen" in panel
    landing = soup(browser.get("/de/professional").text)
    assert landing.select_one("#area-holds").get_text() == "Was der Fachbereich enthält"
    assert landing.select_one('main a.button[href="/de/account"]').get_text() == "Ihren Antrag ansehen"


def test_search_counts_and_pages_in_german(browser: TestClient, bilingual_app: FastAPI) -> None:
    db = bilingual_app.state.session_factory()
    for number in range(5):
        factories.article(db, slug=f"walrus-{number}", summary="Ein Walrus schläft.", language="de")
    factories.article(db, slug="seal", summary="Die Robbe naps.", language="de")
    db.close()
    page = soup(browser.get("/de/search?q=walrus").text)
    assert page_text(str(page.select_one(".search-summary"))) == "5 Artikel passen zu „walrus“."
    assert page_text(str(page.select_one(".pagination__status"))) == "Seite 1 von 2"
    assert page.select_one("a[rel=next]").get_text(strip=True) == "Weiter →"  # type: ignore[union-attr]
    one = soup(browser.get("/de/search?q=naps").text)
    assert page_text(str(one.select_one(".search-summary"))) == "1 Artikel passt zu „naps“."
    beyond = soup(browser.get("/de/search?q=walrus&page=7").text)
    assert "Zu „walrus“ gibt es nur 2 Seiten mit Ergebnissen." in page_text(beyond.text)


def test_the_contact_form_in_german_says_what_to_fix_and_keeps_what_was_typed(browser: TestClient) -> None:
    typed = {"name": "", "email": "nobody", "subject": "Frage zum Schlaf", "message": "Guten Tag"}
    refused = submit(browser, "/de/contact", typed)
    page = soup(refused.text)
    assert refused.status_code == 422
    assert page.select_one(".error-summary h2").get_text() == "Bitte prüfen Sie diese 3 Felder"  # type: ignore[union-attr]
    assert page.select_one("#name-error").get_text() == "Geben Sie Ihren Namen ein (bis zu 200 Zeichen)"  # type: ignore[union-attr]
    assert page.select_one("#email-error").get_text() == (  # type: ignore[union-attr]
        "Geben Sie eine E-Mail-Adresse wie name@example.org ein"
    )
    assert page.select_one("#consent-error").get_text().startswith("Bitte stimmen Sie zu")  # type: ignore[union-attr]
    assert page.select_one("#subject")["value"] == "Frage zum Schlaf"  # type: ignore[index]
    assert page.select_one("#message").get_text() == "Guten Tag"  # type: ignore[union-attr]
    assert "Bis zu 5.000 Zeichen." in page_text(refused.text)

    sent = submit(
        browser, "/de/contact", {**typed, "name": "Eva", "email": "eva@example.org", "consent": "on"}
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/de/contact/sent")
    assert "Vielen Dank für Ihre Nachricht" in page_text(browser.get("/de/contact/sent").text)


def test_a_missing_page_in_german_shows_the_address_asked_for_as_text(browser: TestClient) -> None:
    missing = browser.get("/de/articles/%3Cb%3Ebold%3C%2Fb%3E")
    page = soup(missing.text)
    assert missing.status_code == 404
    assert page.select_one("h1").get_text() == "Seite nicht gefunden"  # type: ignore[union-attr]
    assert (
        page.find("b") is None
        and page.select_one(".error-page code").get_text() == "/de/articles/<b>bold</b>"
    )  # type: ignore[union-attr]
    assert "Fehler 404" in page_text(missing.text)


def test_tables_of_names_read_in_the_current_language() -> None:
    with i18n.using("de"):
        assert PROFESSION_LABELS[Profession.PHYSICIAN] == "Ärztinnen und Ärzte"
        assert dict(PROFESSION_LABELS.items())[Profession.DENTIST] == "Zahnärztinnen und Zahnärzte"
        assert HISTORY_LABELS.get("access.renewed") == "Zugang erneuert"
        assert audience_label(parse_audience("prescribers")) == "Verschreibungsberechtigte"
    assert PROFESSION_LABELS[Profession.PHYSICIAN] == "Physicians"
    assert audience_in_text(parse_audience("physician dentist")) == "dentists, physicians"
    # The English name the API and the audit trail carry does not depend on the page.
    with i18n.using("de"):
        assert parse_audience("physician dentist").label == "Dentists, Physicians"


def test_waiting_times_count_in_the_current_language() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert waiting_time(now - timedelta(days=1, hours=3), now) == "1 day"
    with i18n.using("de"):
        assert waiting_time(now - timedelta(days=3), now) == "3 Tage"
        assert waiting_time(now - timedelta(minutes=1), now) == "1 Minute"


def test_pydantics_own_checks_read_as_the_sites_messages_in_each_language() -> None:
    _, english = validate(ContactForm, {"name": "x" * 201})
    assert english["email"] == "Fill in this field"
    assert english["name"] == "Use at most 200 characters"
    with i18n.using("de"):
        _, german = validate(ContactForm, {"name": "x" * 201})
        assert german["email"] == "Füllen Sie dieses Feld aus"
        assert friendly(german)["name"] == "Geben Sie Ihren Namen ein (bis zu 200 Zeichen)"


def test_the_box_around_a_readable_part_names_its_readers_in_the_pages_language(
    browser: TestClient, content: Session, settings: Settings
) -> None:
    request = factories.applicant(content, settings, state=RequestState.APPROVED)
    login(browser, request.user.email, factories.PASSWORD)
    english = soup(browser.get("/en/articles/dosing").text).select_one(".prose section.gated")
    german = soup(browser.get("/de/articles/dosing").text).select_one(".prose section.gated")
    assert english is not None and german is not None
    assert english.select_one(".gated__label").get_text() == "For dentists, physicians"
    readers = "Für Zahnärztinnen und Zahnärzte, Ärztinnen und Ärzte"
    assert german.select_one(".gated__label").get_text() == readers
    assert "Dosing for physicians and dentists." in page_text(str(german))
