"""The staff dashboard: each role sees what needs its attention, and only that."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles.models import ArticleStatus
from app.contact import service as contact_service
from app.core.config import Settings
from app.core.db import utcnow
from app.mail.models import OutboxMessage, OutboxStatus
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup
from tests.viewers import browser_for


def panels(client: TestClient) -> dict[str, str]:
    """Each dashboard panel's heading and its text."""
    page = soup(client.get("/admin").text)
    return {section.h2.get_text(): page_text(str(section)) for section in page.select(".dashboard__panel")}


def figure(client: TestClient, name: str) -> str:
    found = soup(client.get("/admin").text).select_one(f"#stat-{name}")
    return " ".join(found.get_text().split()) if found else ""


def busy_site(db: Session, settings: Settings) -> None:
    """Something for every panel: a waiting request, scheduled articles, messages, failed mail."""
    factories.applicant(db, settings)
    soon = utcnow() + timedelta(days=2)
    factories.article(
        db, title="Next week", status=ArticleStatus.SCHEDULED, published_at=soon + timedelta(days=5)
    )
    factories.article(db, title="In two days", status=ArticleStatus.SCHEDULED, published_at=soon)
    factories.article(db, title="Half written", status=ArticleStatus.DRAFT)
    for subject in ("First question", "Second question"):
        submission = contact_service.Submission(
            name="Ada Reader", email="ada@reader.example", subject=subject, message="Hello"
        )
        contact_service.send(db, settings, submission=submission)
    db.flush()
    failed, retrying = db.scalars(select(OutboxMessage).where(OutboxMessage.message == "contact_message"))
    failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 8, "550 No such user"
    retrying.attempts, retrying.last_error = 2, "451 Try again later"
    db.commit()


def test_an_editor_sees_scheduled_articles_drafts_and_messages_but_no_review_work(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    busy_site(db, settings)
    client = browser_for("editor", app, db, settings)
    assert list(panels(client)) == ["Articles", "Messages"]
    assert figure(client, "scheduled") == "2 articles are scheduled:"
    listed = [a.get_text() for a in soup(client.get("/admin").text).select(".dashboard__list a")]
    assert listed == ["In two days", "Next week"]
    assert figure(client, "drafts") == "1 draft not yet published."
    assert figure(client, "messages") == "2 messages are waiting for an answer, 2 not read yet."
    assert 'href="/admin/requests"' not in client.get("/admin").text


def test_a_reviewer_sees_the_queue_messages_and_undelivered_mail_but_no_articles(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    busy_site(db, settings)
    client = browser_for("reviewer", app, db, settings)
    assert list(panels(client)) == ["Review queue", "Messages", "Email delivery"]
    assert figure(client, "waiting").startswith("1 request (pending")
    assert figure(client, "mail") == "1 email could not be delivered. 1 email waits to be tried again."
    assert "Write an article" not in page_text(client.get("/admin").text)


def test_an_admin_sees_every_panel(app: FastAPI, db: Session, settings: Settings) -> None:
    busy_site(db, settings)
    client = browser_for("admin", app, db, settings)
    assert list(panels(client)) == ["Review queue", "Articles", "Messages", "Email delivery"]


def test_a_quiet_site_says_so_plainly(client: TestClient, db: Session, settings: Settings) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))
    assert figure(client, "scheduled") == "No article is scheduled."
    assert figure(client, "drafts") == "No drafts."
    assert figure(client, "messages") == "Every message has been answered."
    assert figure(client, "mail") == "Every email has gone out or is on its way."
