"""The audit trail reads as sentences, with people's names, in the page's language: a request's
history for its reviewer and the audit log for admins, in English and in German."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access import service as access_service
from app.access.models import AccessRequest, RequestState
from app.accounts import service as accounts_service
from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.core import i18n
from app.core.config import Settings
from app.core.db import utcnow
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup


def a_reviewed_request(db: Session, settings: Settings, reviewer: User) -> AccessRequest:
    """Dr Pat Pending's request: asked a question, answered, approved, suspended, reinstated, extended."""
    item = factories.applicant(db, settings, full_name="Dr Pat Pending")
    access_service.decide(
        db,
        settings,
        item,
        reviewer=reviewer,
        outcome=RequestState.NEEDS_INFO,
        revision=item.revision,
        reason="Which clinic do you work at?",
    )
    access_service.answer(db, settings, item, text="St Mary's, Leeds", ip="")
    access_service.decide(
        db, settings, item, reviewer=reviewer, outcome=RequestState.APPROVED, revision=item.revision
    )
    lifecycle.suspend(
        db, settings, item, reviewer=reviewer, reason="Licence under review", revision=item.revision
    )
    lifecycle.reinstate(db, settings, item, reviewer=reviewer, reason="", revision=item.revision)
    until = datetime(utcnow().year + 3, 12, 3, 12, tzinfo=UTC)
    lifecycle.extend(
        db, settings, item, reviewer=reviewer, until=until, reason="Board confirmed", revision=item.revision
    )
    db.commit()
    return item


def history(html: str) -> list[str]:
    """The request's history as its reviewer reads it, each entry without its date."""
    return [" ".join(li.get_text(" ", strip=True).split()[3:]) for li in soup(html).select(".timeline li")]


def test_a_requests_history_reads_as_sentences_in_english_and_german(
    bilingual: TestClient, db: Session, settings: Settings
) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Reviewer")
    item = a_reviewed_request(db, settings, reviewer)
    approved = lifecycle.period_end(settings, utcnow())
    year = utcnow().year + 3
    with i18n.using("en"):
        approved_until = lifecycle.day(settings, approved)
    login(bilingual, reviewer.email, factories.PASSWORD)
    assert history(bilingual.get(f"/en/admin/requests/{item.id}").text) == [
        "Dr Pat Pending asked for access to the professional area; the email address is not confirmed yet",
        "Dr Pat Pending confirmed their email address; the request is waiting for review",
        "Rita Reviewer asked Dr Pat Pending for more information: “Which clinic do you work at?”",
        "Dr Pat Pending answered the question; the request is waiting for review again: “St Mary's, Leeds”",
        f"Rita Reviewer approved Dr Pat Pending's request (access until {approved_until})",
        "Rita Reviewer suspended Dr Pat Pending's access: “Licence under review”",
        "Rita Reviewer reinstated Dr Pat Pending's access",
        f"Rita Reviewer extended Dr Pat Pending's access until 3 December {year}: “Board confirmed”",
    ]

    with i18n.using("de"):
        approved_until = lifecycle.day(settings, approved)
    german = history(bilingual.get(f"/de/admin/requests/{item.id}").text)
    assert german == [
        "Dr Pat Pending hat Zugang zum Fachbereich beantragt; die E-Mail-Adresse ist noch nicht bestätigt",
        "Dr Pat Pending hat die E-Mail-Adresse bestätigt; der Antrag wartet auf Prüfung",
        "Rita Reviewer hat Dr Pat Pending um weitere Angaben gebeten: „Which clinic do you work at?“",
        "Dr Pat Pending hat die Rückfrage beantwortet; der Antrag wartet wieder auf Prüfung: "
        "„St Mary's, Leeds“",
        f"Rita Reviewer hat den Antrag von Dr Pat Pending genehmigt (Zugang bis {approved_until})",
        "Rita Reviewer hat den Zugang von Dr Pat Pending gesperrt: „Licence under review“",
        "Rita Reviewer hat den Zugang von Dr Pat Pending wieder freigeschaltet",
        f"Rita Reviewer hat den Zugang von Dr Pat Pending bis 3. Dezember {year} verlängert: "
        "„Board confirmed“",
    ]


def test_the_audit_log_tells_each_event_with_links_to_the_people_and_a_readable_unknown_kind(
    bilingual: TestClient, db: Session, settings: Settings
) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN, name="Ada Admin")
    secret = factories.second_factor(db, settings, admin)
    colleague = factories.staff(db, settings, role=Role.REVIEWER, name="Rita Reviewer")
    accounts_service.change_role(db, user=colleague, role=Role.EDITOR, actor=admin)
    expired = factories.applicant(db, settings, state=RequestState.EXPIRED, full_name="Dr Lee Lapsed")
    db.add(AuditEvent(action="roster.imported", actor_label="system", target_type="user", target_id=None))
    db.commit()
    login(bilingual, admin.email, factories.PASSWORD, secret=secret)
    page = soup(bilingual.get("/en/admin/audit").text)
    told = [row.select("td")[1] for row in page.select("tbody tr")]
    said = [" ".join(cell.get_text().split()) for cell in told]
    assert "Ada Admin changed Rita Reviewer's role from reviewer to editor" in said
    assert "Dr Lee Lapsed's access expired" in said
    assert "The system: roster imported, account" in said
    role_change = told[said.index("Ada Admin changed Rita Reviewer's role from reviewer to editor")]
    assert [a["href"] for a in role_change.select("a")] == [
        f"/en/admin/users/{admin.id}",
        f"/en/admin/users/{colleague.id}",
    ]
    expiry = told[said.index("Dr Lee Lapsed's access expired")]
    assert [a["href"] for a in expiry.select("a")] == [f"/en/admin/users/{expired.user_id}"]

    german = page_text(bilingual.get("/de/admin/audit").text)
    assert "Ada Admin hat die Rolle von Rita Reviewer von „Prüferin/Prüfer“ zu „Redaktion“ geändert" in german
    assert "Der Zugang von Dr Lee Lapsed ist abgelaufen" in german
    assert "Das System: „roster imported“, Konto" in german


def test_what_people_wrote_is_shown_as_text_in_every_sentence(
    client: TestClient, db: Session, settings: Settings
) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN, name='Ada <i id="actor">Admin</i>')
    secret = factories.second_factor(db, settings, admin)
    item = factories.applicant(db, settings, full_name='Dr <i id="person">Pat</i>')
    access_service.decide(
        db,
        settings,
        item,
        reviewer=admin,
        outcome=RequestState.NEEDS_INFO,
        revision=item.revision,
        reason='Which <i id="reason">clinic</i>?',
    )
    odd = '<i id="odd">x</i>'
    db.add(AuditEvent(action=odd, actor_label=odd, target_type=odd, target_id=1, after_state=odd, reason=odd))
    db.commit()
    login(client, admin.email, factories.PASSWORD, secret=secret)
    for path in ("/admin/audit", f"/admin/requests/{item.id}", f"/admin/users/{item.user_id}"):
        page = soup(client.get(path).text)
        assert page.select("i[id]") == [], path
    told = page_text(client.get(f"/admin/requests/{item.id}").text)
    assert 'asked Dr <i id="person">Pat</i> for more information: “Which <i id="reason">clinic</i>?”' in told
