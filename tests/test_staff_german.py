"""The staff area in German: a reviewer and an editor work under /de/, and no staff page shows
interface text from the catalog in English."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts import totp
from app.accounts.models import Role, User
from app.articles.models import ArticleStatus
from app.core import i18n
from app.core.config import Settings
from app.core.db import utcnow
from app.media import library
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from, submit
from tests.conftest import page_text, soup
from tests.test_catalogs import _untranslated_english, shown_texts
from tests.test_contact import message as contact_message


@pytest.fixture
def browser(bilingual: TestClient) -> TestClient:
    return bilingual


@pytest.fixture
def session(bilingual_app: FastAPI) -> Iterator[Session]:
    db = bilingual_app.state.session_factory()
    yield db
    db.close()


def log_in_german(browser: TestClient, user: User, secret: str = "") -> None:
    """Log in from the German login page; with `secret`, pass the second step too."""
    token = csrf_from(browser, "/de/login")
    data = {"csrf_token": token, "email": user.email, "password": factories.PASSWORD, "next": ""}
    response = browser.post("/de/login", data=data, follow_redirects=False)
    assert response.status_code == 303, page_text(response.text)
    if secret:
        assert response.headers["location"] == "/de/login/two-factor"
        submit(browser, "/de/login/two-factor", {"code": totp.code_at(secret, utcnow())})


def test_a_german_reviewer_reads_the_queue_and_a_request_and_decides_it_in_german(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    item = factories.applicant(session, settings, full_name="Dr. Erika Muster")
    log_in_german(browser, factories.staff(session, settings, role=Role.REVIEWER))

    queue = browser.get("/de/admin/requests")
    html = soup(queue.text)
    assert queue.status_code == 200 and html.html is not None and html.html["lang"] == "de"
    assert html.h1 is not None and html.h1.get_text() == "Zugangsanträge"
    assert "1 Antrag, älteste zuerst" in page_text(queue.text)
    assert html.select_one(".state-label").get_text() == "in Prüfung"  # type: ignore[union-attr]
    assert html.find("a", string="Dr. Erika Muster")["href"] == f"/de/admin/requests/{item.id}"  # type: ignore[index]

    page = f"/de/admin/requests/{item.id}"
    detail = browser.get(page)
    text = page_text(detail.text)
    assert "Angaben der antragstellenden Person" in text and "Prüfungen" in text
    assert "Gültige NPI (10 Ziffern, Prüfziffer korrekt)" in text
    # One person's profession reads in the singular, in the queue and on the request.
    assert html.select_one("tbody td:nth-of-type(2)") is not None
    assert "Ärztin/Arzt" in page_text(queue.text) and "Ärztinnen und Ärzte" not in page_text(str(html.tbody))
    facts = {dt.get_text(): dt.find_next("dd").get_text() for dt in soup(detail.text).select("dt")}
    assert facts["Beruf"] == "Ärztin/Arzt"
    assert soup(detail.text).find("button", string="Genehmigen") is not None

    revision = soup(detail.text).select_one('input[name="revision"]')["value"]  # type: ignore[index]
    refused = submit(browser, page, {"revision": revision, "reason": ""}, action=f"{page}/reject")
    assert refused.status_code == 422
    assert "Eine Ablehnung braucht eine Begründung." in page_text(refused.text)

    reason = "Die Zulassungsnummer ließ sich nicht bestätigen."
    done = submit(
        browser, page, {"revision": revision, "reason": reason}, action=f"{page}/reject", follow=True
    )
    assert done.url.path == "/de/admin/requests"
    assert (
        "Der Antrag von Dr. Erika Muster wurde abgelehnt. "
        "Die antragstellende Person wurde per E-Mail benachrichtigt." in page_text(done.text)
    )
    session.expire_all()
    stored = session.get(AccessRequest, item.id)
    assert stored is not None and stored.state == RequestState.REJECTED and stored.decision_reason == reason


def test_the_article_editor_speaks_german_and_names_the_time_zone(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    article = factories.article(
        session,
        title="Schlaf und Stimmung",
        status=ArticleStatus.SCHEDULED,
        audience="prescribers",
        published_at=datetime(2035, 1, 15, 8, 30, tzinfo=UTC),
    )
    log_in_german(browser, factories.staff(session, settings, role=Role.EDITOR))

    editor = browser.get(f"/de/admin/articles/{article.id}")
    html = soup(editor.text)
    text = page_text(editor.text)
    assert editor.status_code == 200
    assert html.h1 is not None and html.h1.get_text() == "„Schlaf und Stimmung“ bearbeiten"
    assert html.find("label", attrs={"for": "title"}).get_text(" ", strip=True) == "Titel"  # type: ignore[union-attr]
    assert html.find("button", string="Änderungen speichern") is not None
    # Typed and shown in the society's zone, named as German writes it (winter: MEZ, UTC+1).
    assert "Veröffentlichung am 15. Januar 2035, 09:30 MEZ." in text
    assert html.select_one("#published_at")["value"] == "2035-01-15T09:30"  # type: ignore[index]
    assert (
        html.find("label", attrs={"for": "published_at"})
        .get_text(" ", strip=True)
        .startswith(  # type: ignore[union-attr]
            "Veröffentlichung (Europe/Berlin)"
        )
    )

    listing = page_text(browser.get("/de/admin/articles").text)
    assert "Für Verschreibungsberechtigte" in listing and "geplant" in listing

    saved = submit(
        browser,
        f"/de/admin/articles/{article.id}",
        {"title": "Schlaf", "slug": "Nicht Gültig", "summary": "Kurz.", "audience": "public", "version": "1"},
        action=f"/de/admin/articles/{article.id}",
    )
    assert saved.status_code == 422
    assert "Verwenden Sie Kleinbuchstaben, Ziffern und einzelne Bindestriche" in page_text(saved.text)


def staff_pages(db: Session, settings: Settings, admin: User) -> list[str]:
    """One of every staff page, with something on each to show."""
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(picture, format="PNG")
    media, _removed = library.upload(
        db, data=picture.getvalue(), name="schlaf.png", alt="Ein Schlafzimmer", caption="",
        directory=settings.media_dir, scanner="", actor=admin, ip="",
    )  # fmt: skip
    db.commit()
    note = contact_message(db, settings)
    # Applicants who signed up in German: the outbox shows their emails as they were sent.
    settings = settings.model_copy(update={"languages": "en,de"})
    with i18n.using("de"):
        item = factories.applicant(db, settings, full_name="Dr. Erika Muster")
        approved = factories.applicant(
            db, settings, full_name="Dr. Anna Genehmigt", state=RequestState.APPROVED
        )
        suspended = factories.applicant(
            db, settings, full_name="Dr. Bert Gesperrt", state=RequestState.SUSPENDED
        )
    article = factories.article(db, title="Schlaf und Stimmung", tags=["Ruhe"])
    factories.article(db, title="Nur für Ärztinnen und Ärzte", audience="physician")
    reviewer = approved.decided_by_id
    revisions = f"/de/admin/articles/{article.id}/revisions"
    return [
        "/de/admin",
        "/de/admin/requests",
        f"/de/admin/requests/{item.id}",
        f"/de/admin/requests/{approved.id}",
        f"/de/admin/requests/{suspended.id}",
        f"/de/admin/users/{reviewer}",
        "/de/admin/users",
        f"/de/admin/users/{item.user_id}",
        "/de/admin/audit",
        "/de/admin/outbox",
        "/de/admin/articles",
        "/de/admin/articles/new",
        f"/de/admin/articles/{article.id}",
        revisions,
        "/de/admin/media",
        "/de/admin/media/upload",
        f"/de/admin/media/{media.id}",
        f"/de/admin/media/{media.id}/delete",
        f"/de/admin/messages/{note.id}",
        "/de/admin/messages",
        "/de/admin/categories",
        "/de/admin/categories/new",
        f"/de/admin/categories/{article.category_id}",
        "/de/admin/tags",
        f"/de/admin/tags/{article.tags[0].id}",
    ]


def test_no_staff_page_shows_catalog_text_in_english(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    admin = factories.staff(session, settings, role=Role.ADMIN)
    secret = factories.second_factor(session, settings, admin)
    pages = staff_pages(session, settings, admin)
    log_in_german(browser, admin, secret)
    english = _untranslated_english("de")
    found = {}
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        if left := sorted(shown_texts(response.text) & english):
            found[path] = left
    assert not found


def test_a_german_reviewer_rejects_several_with_a_usual_reason_sent_in_german(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    first = factories.applicant(session, settings, full_name="Dr. Erste")
    second = factories.applicant(session, settings, full_name="Dr. Zweite")
    log_in_german(browser, factories.staff(session, settings, role=Role.REVIEWER))
    queue = soup(browser.get("/de/admin/requests").text)
    ticked = [box["value"] for box in queue.select('input[name="selected"]')]
    assert len(ticked) == 2

    done = browser.post(
        "/de/admin/requests?status=pending&profession=",
        data={
            "csrf_token": queue.select_one('input[name="csrf_token"]')["value"],  # type: ignore[index]
            "selected": ticked,
            "decision": "reject",
            "preset": "0",
            "reason": "",
        },
        follow_redirects=True,
    )
    assert done.url.path == "/de/admin/requests"
    assert "2 abgelehnt. Alle Antragstellenden wurden per E-Mail benachrichtigt." in page_text(done.text)
    session.expire_all()
    usual = "Mit den angegebenen Daten konnten wir Ihre Approbations- oder Zulassungsnummer nicht bestätigen."
    for item in (first, second):
        stored = session.get(AccessRequest, item.id)
        assert stored is not None and stored.state == RequestState.REJECTED
        assert stored.decision_reason == usual
