"""`portal tick`: reminders, expiries, the reviewers' digest, scheduled articles, old documents,
tokens and sessions. Each job does its work once, however often and in however many processes
it runs."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState, ReviewDigest
from app.accounts import service as accounts_service
from app.accounts.models import AuthToken, Role, TokenPurpose, User, UserSession
from app.articles.models import Article, ArticleStatus
from app.audit.models import AuditEvent
from app.cli import _tick_in_background, main
from app.core import clock
from app.core.config import Settings
from app.core.db import utcnow
from app.jobs import tick
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, logout, mails
from tests.conftest import page_text


def run_tick(app: FastAPI, settings: Settings, now: datetime | None = None) -> tick.TickReport:
    report = tick.run(app.state.session_factory, settings, now=now)
    assert report.failed == []
    return report


def sent(db: Session, message: str) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.message == message)))


def audited(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def state_of(db: Session, request: AccessRequest) -> RequestState:
    db.expire_all()
    found = db.get(AccessRequest, request.id)
    assert found is not None
    return found.state


# Reminders and expiry


def test_reminders_go_out_thirty_and_seven_days_before_the_end_once_each(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    email = request.user.email
    with clock.travel(timedelta(days=699)):
        run_tick(app, settings)
        assert mails(db, email, "access_expiring") == []
    with clock.travel(timedelta(days=701)):
        assert run_tick(app, settings).done["expiry reminders sent"] == 1
        assert run_tick(app, settings).done["expiry reminders sent"] == 0
    with clock.travel(timedelta(days=710)):
        run_tick(app, settings)
    with clock.travel(timedelta(days=724)):
        run_tick(app, settings)
        run_tick(app, settings)
    reminders = mails(db, email, "access_expiring")
    assert len(reminders) == 2
    assert "in 29 days" in reminders[0].text_body and "in 6 days" in reminders[1].text_body
    assert "/account" in reminders[0].text_body


def test_when_both_reminders_are_due_only_the_nearer_one_goes(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with clock.travel(timedelta(days=725)):  # the tick did not run for a month
        run_tick(app, settings)
        run_tick(app, settings)
    [reminder] = mails(db, request.user.email, "access_expiring")
    assert "in 5 days" in reminder.text_body


def test_the_tick_expires_ended_access_and_ends_its_sessions_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with TestClient(app) as client:
        login(client, request.user.email, factories.PASSWORD)
    with clock.travel(timedelta(days=731)):
        report = run_tick(app, settings)
        assert report.done["access periods expired"] == 1
        assert run_tick(app, settings).done["access periods expired"] == 0
    assert state_of(db, request) == RequestState.EXPIRED
    assert len(mails(db, request.user.email, "access_expired")) == 1
    [event] = audited(db, "access.expired")
    assert event.actor_label == "system"
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0  # ended, then purged


# The reviewers' digest


def test_the_daily_digest_lists_requests_waiting_too_long_once_a_day(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    settings.review_digest_hour = 7
    reviewers = [
        factories.staff(db, settings, role=Role.REVIEWER),
        factories.staff(db, settings, role=Role.ADMIN),
    ]
    editor = factories.staff(db, settings, role=Role.EDITOR)
    factories.applicant(db, settings, full_name="Dr. Long Wait")
    with clock.travel(timedelta(days=3)):
        factories.applicant(db, settings, full_name="Dr. Just Arrived")
    morning = (utcnow() + timedelta(days=4)).replace(hour=6, minute=30)

    assert run_tick(app, settings, now=morning).done["review digests sent"] == 0  # before the hour
    assert run_tick(app, settings, now=morning + timedelta(hours=1)).done["review digests sent"] == 2
    assert run_tick(app, settings, now=morning + timedelta(hours=5)).done["review digests sent"] == 0

    for reviewer in reviewers:
        [digest] = mails(db, reviewer.email, "review_digest")
        assert digest.subject == "1 access request waiting for review"
        assert "Dr. Long Wait" in digest.text_body and "Dr. Just Arrived" not in digest.text_body
        assert "waited longer than 48 hours" in digest.text_body
    assert mails(db, editor.email, "review_digest") == []
    next_day = run_tick(app, settings, now=morning + timedelta(days=1, hours=1))
    assert next_day.done["review digests sent"] == 2
    assert db.scalar(select(func.count()).select_from(ReviewDigest)) == 2


def test_no_digest_when_nothing_has_waited_too_long(app: FastAPI, db: Session, settings: Settings) -> None:
    settings.review_digest_hour = 0
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    factories.applicant(db, settings)
    factories.applicant(db, settings, state=RequestState.NEEDS_INFO)  # waits for the applicant
    with clock.travel(timedelta(hours=47)):
        run_tick(app, settings)
    assert mails(db, reviewer.email, "review_digest") == []


# Scheduled articles


def test_scheduled_articles_are_published_when_their_time_comes(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    factories.article(
        db,
        slug="tomorrow",
        title="Tomorrow's article",
        status=ArticleStatus.SCHEDULED,
        published_at=utcnow() + timedelta(hours=2),
    )
    run_tick(app, settings)
    assert "Tomorrow's article" not in page_text(client.get("/articles").text)
    with clock.travel(timedelta(hours=3)):
        assert run_tick(app, settings).done["scheduled articles published"] == 1
        assert run_tick(app, settings).done["scheduled articles published"] == 0
        assert "Tomorrow's article" in page_text(client.get("/articles").text)
    db.expire_all()
    article = db.scalars(select(Article).where(Article.slug == "tomorrow")).one()
    assert article.status == ArticleStatus.PUBLISHED
    [event] = audited(db, "article.published")
    assert event.actor_label == "system" and event.target_id == article.id


# Credential documents


def with_document(
    db: Session, settings: Settings, state: RequestState, name: str
) -> tuple[AccessRequest, Path]:
    request = factories.applicant(db, settings, state=state)
    folder = settings.upload_dir / "requests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"%PDF-1.7\n%%EOF\n")
    request.document_path, request.document_name = str(path), "licence.pdf"
    db.commit()
    return request, path


def test_documents_are_deleted_the_configured_days_after_the_decision(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    approved, approved_file = with_document(db, settings, RequestState.APPROVED, "a.pdf")
    rejected, rejected_file = with_document(db, settings, RequestState.REJECTED, "r.pdf")
    waiting, waiting_file = with_document(db, settings, RequestState.PENDING, "p.pdf")
    with clock.travel(timedelta(days=89)):
        assert run_tick(app, settings).done["credential documents deleted"] == 0
    with clock.travel(timedelta(days=91)):
        assert run_tick(app, settings).done["credential documents deleted"] == 2
        assert run_tick(app, settings).done["credential documents deleted"] == 0
    assert not approved_file.exists() and not rejected_file.exists()
    assert waiting_file.exists()  # still under review: the reviewers need it
    db.expire_all()
    assert [db.get(AccessRequest, r.id).document_path for r in (approved, rejected, waiting)] == [  # type: ignore[union-attr]
        None,
        None,
        str(waiting_file),
    ]
    events = audited(db, "request.document_deleted")
    assert sorted(e.target_id for e in events) == sorted([approved.id, rejected.id])
    assert {e.actor_label for e in events} == {"system"}
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    with TestClient(app) as client:
        login(client, reviewer.email, factories.PASSWORD)
        assert client.get(f"/admin/requests/{approved.id}/document").status_code == 404


def test_a_document_outside_the_upload_folder_is_never_removed(
    app: FastAPI, db: Session, settings: Settings, tmp_path: Path
) -> None:
    request = factories.applicant(db, settings, state=RequestState.REJECTED)
    elsewhere = tmp_path / "elsewhere.pdf"
    elsewhere.write_bytes(b"%PDF-1.7\n")
    request.document_path = str(elsewhere)
    db.commit()
    with clock.travel(timedelta(days=91)):
        run_tick(app, settings)
    assert elsewhere.exists() and state_of(db, request) == RequestState.REJECTED


# Tokens and sessions


def test_used_and_expired_tokens_and_ended_sessions_are_purged(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    user = factories.applicant(db, settings, state=RequestState.APPROVED).user  # its tokens are used
    with TestClient(app) as other:
        login(other, user.email, factories.PASSWORD)
        logout(other)
    login(client, user.email, factories.PASSWORD)
    # Issued after the last login, which would have ended a reset link issued before it.
    live = accounts_service.issue_token(db, user, TokenPurpose.RESET_PASSWORD, timedelta(hours=5))
    accounts_service.issue_token(db, user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=1))
    db.commit()
    with clock.travel(timedelta(minutes=70)):
        report = run_tick(app, settings)
        assert "Log out" in page_text(client.get("/").text)  # a live session stays
    assert report.done["used or expired tokens purged"] == 3
    assert report.done["ended sessions purged"] == 1
    db.expire_all()
    assert [t.purpose for t in db.scalars(select(AuthToken))] == [TokenPurpose.RESET_PASSWORD]
    assert accounts_service.token_is_live(db, live, TokenPurpose.RESET_PASSWORD)
    assert db.scalars(select(UserSession).where(UserSession.ended_at.is_not(None))).all() == []


def test_a_live_session_survives_the_purge(
    client: TestClient, app: FastAPI, db: Session, settings: Settings
) -> None:
    user = factories.applicant(db, settings, state=RequestState.APPROVED).user
    login(client, user.email, factories.PASSWORD)
    run_tick(app, settings)
    assert "Log out" in page_text(client.get("/").text)


# Running it


def busy_day(db: Session, settings: Settings) -> list[User]:
    """Work for every job at once: reminders, expiries, a digest, an article, documents."""
    settings.review_digest_hour = 0
    reviewers = [factories.staff(db, settings, role=Role.REVIEWER) for _ in range(2)]
    for _ in range(3):
        factories.applicant(db, settings, state=RequestState.APPROVED, reviewer=reviewers[0])
    with clock.travel(timedelta(days=-720)):
        for _ in range(2):
            factories.applicant(db, settings, state=RequestState.APPROVED, reviewer=reviewers[0])
    with clock.travel(timedelta(days=-740)):
        factories.applicant(db, settings, state=RequestState.APPROVED, reviewer=reviewers[0])
    with clock.travel(timedelta(days=-3)):
        factories.applicant(db, settings)
        factories.applicant(db, settings)
    factories.article(db, status=ArticleStatus.SCHEDULED, published_at=utcnow() - timedelta(minutes=1))
    return reviewers


def test_two_ticks_at_once_send_every_email_exactly_once(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    busy_day(db, settings)
    before = Counter((m.to_address, m.message) for m in sent(db, "new_request"))
    barrier = threading.Barrier(2)
    reports: list[tick.TickReport] = []

    def tick_now() -> None:
        barrier.wait()
        reports.append(tick.run(app.state.session_factory, settings))

    threads = [threading.Thread(target=tick_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2 and all(not report.failed for report in reports)

    db.expire_all()
    outbox = Counter((m.to_address, m.message) for m in db.scalars(select(OutboxMessage)))
    new = outbox - before
    assert {message for _to, message in new} >= {"access_expiring", "access_expired", "review_digest"}
    assert all(count == 1 for count in new.values()), new
    assert sum(1 for _to, message in new if message == "access_expiring") == 2
    assert sum(1 for _to, message in new if message == "access_expired") == 1
    assert sum(1 for _to, message in new if message == "review_digest") == 2
    combined = Counter[str]()
    for report in reports:
        combined.update(report.done)
    assert combined["expiry reminders sent"] == 2
    assert combined["access periods expired"] == 1
    assert combined["review digests sent"] == 2
    assert combined["scheduled articles published"] == 1
    assert len(audited(db, "access.expired")) == 1
    assert len(audited(db, "article.published")) == 1


def test_one_failing_job_does_not_stop_the_others(
    app: FastAPI, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.article(db, status=ArticleStatus.SCHEDULED, published_at=utcnow() - timedelta(minutes=1))

    def broken(db: Session, settings: Settings, now: datetime) -> int:
        raise RuntimeError("the mail templates are missing")

    monkeypatch.setattr(tick, "JOBS", (("expiry reminders sent", broken), *tick.JOBS[1:]))
    report = tick.run(app.state.session_factory, settings)
    assert report.failed == ["expiry reminders sent"]
    assert report.done["scheduled articles published"] == 1
    assert "failed: expiry reminders sent" in str(report)


def test_portal_tick_runs_every_job_and_says_what_it_did(
    monkeypatch: pytest.MonkeyPatch, database_url: str, db: Session, settings: Settings
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    # The test's own folders: the tick removes stray files, and var/ may hold a demo's.
    monkeypatch.setenv("PORTAL_UPLOAD_DIR", str(settings.upload_dir))
    monkeypatch.setenv("PORTAL_MEDIA_DIR", str(settings.media_dir))
    factories.article(db, status=ArticleStatus.SCHEDULED, published_at=utcnow() - timedelta(minutes=1))
    first = CliRunner().invoke(main, ["tick"])
    assert first.exit_code == 0, first.output
    assert "1 scheduled articles published" in first.output
    again = CliRunner().invoke(main, ["tick"])
    assert again.exit_code == 0 and "tick: nothing to do" in again.output


def test_the_background_ticker_runs_until_stopped(db: Session, settings: Settings) -> None:
    factories.article(
        db, slug="due", status=ArticleStatus.SCHEDULED, published_at=utcnow() - timedelta(minutes=1)
    )
    halt = _tick_in_background(settings, interval=1)
    try:
        for _ in range(100):
            db.expire_all()
            if (
                db.scalars(select(Article.status).where(Article.slug == "due")).one()
                == ArticleStatus.PUBLISHED
            ):
                break
            threading.Event().wait(0.05)
    finally:
        halt()
    assert db.scalars(select(Article.status).where(Article.slug == "due")).one() == ArticleStatus.PUBLISHED
