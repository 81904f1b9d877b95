"""The outbox page and what the outbox table keeps: no one reads another person's working link."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.mail import sender
from app.mail import service as mail_service
from app.mail.models import OutboxMessage, OutboxStatus
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import SharedEngines, page_text, soup

# Nothing listens there: the development server's own sender fails at once and retries later.
SMTP = "smtp://127.0.0.1:9"
PRODUCTION = {"env": "production", "secret_key": "x" * 40, "base_url": "https://testserver"}
NEW_PASSWORD = "a brand new passphrase"


class Collecting:
    """A mail server stand-in that keeps every message handed to it."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)

    def links(self, containing: str) -> list[str]:
        """The links in the text parts received so far, as site paths (with their query)."""
        texts = [m.get_body(preferencelist=("plain",)) for m in self.sent]
        bodies = [part.get_content() for part in texts if isinstance(part, EmailMessage)]
        found = [link for body in bodies for link in mail_service.links_in(body) if containing in link]
        return ["/" + link.split("/", 3)[3] for link in found]


class Refusing:
    """A mail server that refuses every recipient for good."""

    def send(self, message: EmailMessage) -> None:
        raise smtplib.SMTPRecipientsRefused({str(message["To"]): (550, b"No such user here")})


@contextmanager
def portal(
    settings: Settings, shared_engines: SharedEngines, **changes: Any
) -> Iterator[tuple[TestClient, Settings, Session]]:
    """The site run with other settings, a browser on it, and a database session."""
    changed = settings.model_copy(update=changes)
    app = create_app(changed, engines=shared_engines[settings.database_url])
    base = "https://testserver" if changed.env == "production" else "http://testserver"
    with TestClient(app, base_url=base) as client, app.state.session_factory() as db:
        yield client, changed, db


def deliver(client: TestClient, transport: Any) -> sender.DeliveryReport:
    """Run the mail sender once, as `portal send-mail` does."""
    state = client.app.state  # type: ignore[attr-defined]
    return sender.deliver_due(state.session_factory, transport, settings=state.settings)


def as_admin(client: TestClient, db: Session, settings: Settings) -> None:
    admin = factories.staff(db, settings, role=Role.ADMIN)
    login(client, admin.email, factories.PASSWORD, secret=factories.second_factor(db, settings, admin))


def as_reviewer(client: TestClient, db: Session, settings: Settings) -> None:
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    login(client, reviewer.email, factories.PASSWORD)


def queued_link(db: Session, email: str, containing: str) -> str:
    """The working link of the newest email queued for `email`, as it will leave."""
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id.desc())
    text_body, _ = mail_service.bodies_to_send(db.scalars(query).first())  # type: ignore[arg-type]
    [link] = [link for link in mail_service.links_in(text_body) if containing in link]
    return link


def choose_password(client: TestClient, link: str, password: str) -> None:
    """Open an emailed reset link and send the form it shows."""
    form = soup(client.get(link).text).select_one('form[action="/reset-password"]')
    assert form is not None, f"{link} shows no reset form"
    hidden = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    typed = {"password": password, "password_confirm": password}
    assert client.post("/reset-password", data={**hidden, **typed}).status_code == 200


# The outbox page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode",
    [{}, {"env": "development", "smtp_url": SMTP}, {**PRODUCTION, "smtp_url": SMTP}, PRODUCTION],
    ids=["tests", "development-with-mail-server", "production", "production-without-mail-server"],
)
def test_a_reviewer_cannot_take_over_the_editor_through_the_outbox(
    settings: Settings, shared_engines: SharedEngines, mode: dict[str, str]
) -> None:
    with portal(settings, shared_engines, **mode) as (client, changed, db):
        editor = factories.staff(db, changed, role=Role.EDITOR, email="editor@society.example")
        as_reviewer(client, db, changed)
        submit(client, "/forgot-password", {"email": editor.email})
        token = queued_link(db, editor.email, "/reset-password").split("token=")[1]

        page = client.get("/admin/outbox")

    assert page.status_code == 200
    seen = page_text(page.text)
    assert "To editor@society.example" in seen and "Set a new password" in seen
    assert token not in page.text
    assert "/reset-password" not in page.text
    assert soup(page.text).select(".mail__body, .mail__links") == []


def test_with_a_mail_server_the_outbox_shows_recipient_subject_state_attempts_and_last_error(
    settings: Settings,
    shared_engines: SharedEngines,
) -> None:
    with portal(settings, shared_engines, smtp_url=SMTP) as (client, changed, db):
        factories.applicant(
            db,
            changed,
            email="anna@clinic.example",
            full_name="Dr. Anna Example",
            state=RequestState.UNVERIFIED,
        )
        deliver(client, Refusing())
        as_admin(client, db, changed)

        page = client.get("/admin/outbox")

    seen = page_text(page.text)
    assert "To anna@clinic.example" in seen
    assert "Please confirm your email address" in seen
    assert "failed after 1 attempt" in seen
    assert "SMTPRecipientsRefused: 550 No such user here" in seen
    assert "Dr. Anna Example" not in seen and "/verify-email" not in page.text
    assert "Mail leaves through the configured mail server" in seen


def test_in_the_development_demo_without_a_mail_server_only_admins_follow_the_links(
    settings: Settings,
    shared_engines: SharedEngines,
) -> None:
    with portal(settings, shared_engines, env="development") as (admin, changed, db):
        factories.applicant(db, changed, email="anna@clinic.example", state=RequestState.UNVERIFIED)
        as_admin(admin, db, changed)
        with TestClient(admin.app) as reviewer:
            as_reviewer(reviewer, db, changed)
            reviewers_page = reviewer.get("/admin/outbox")
        admins_page = admin.get("/admin/outbox")

    links = [a["href"] for a in soup(admins_page.text).select(".mail__links a")]
    assert len(links) == 1 and "/verify-email?token=" in links[0]
    assert "[removed]" not in admins_page.text
    assert "To anna@clinic.example" in page_text(reviewers_page.text)
    assert "/verify-email" not in reviewers_page.text
    assert "only admins read the messages" in page_text(reviewers_page.text)


def test_every_look_at_the_outbox_is_in_the_audit_trail(
    settings: Settings, shared_engines: SharedEngines
) -> None:
    with portal(settings, shared_engines, smtp_url=SMTP) as (client, changed, db):
        reviewer = factories.staff(db, changed, role=Role.REVIEWER)
        reviewer_id = reviewer.id
        login(client, reviewer.email, factories.PASSWORD)
        client.get("/admin/outbox")
        client.get("/admin/outbox?page=2")
        db.expire_all()
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.viewed")).all()

    assert [(e.actor_id, e.target_type, e.reason) for e in events] == [
        (reviewer_id, "outbox", "page 1, messages hidden"),
        (reviewer_id, "outbox", "page 2, messages hidden"),
    ]


# What the table keeps ----------------------------------------------------------------------------


def everything_stored(db: Session) -> str:
    """Every value of every row of every table, the search index's own tables included."""
    db.expire_all()
    names = inspect(db.get_bind()).get_table_names()
    rows = [row for name in names for row in db.execute(text(f'SELECT * FROM "{name}"'))]
    return "\n".join(str(value) for row in rows for value in row)


REQUEST = {k: v for k, v in factories.request_form().items() if k not in ("full_name", "email")}


def test_no_raw_token_stays_stored_once_its_message_is_sent(
    settings: Settings, shared_engines: SharedEngines
) -> None:
    mail_server = Collecting()
    with portal(settings, shared_engines, smtp_url=SMTP) as (client, changed, db):
        as_admin(client, db, changed)
        # A new colleague sets a password from the emailed link.
        added = {"full_name": "Rhea Reviewer", "email": "rhea@society.example", "role": "reviewer"}
        assert submit(client, "/admin/users", added).status_code == 303
        with TestClient(client.app) as rhea, TestClient(client.app) as mara, TestClient(client.app) as nina:
            deliver(client, mail_server)
            choose_password(rhea, mail_server.links("/reset-password")[-1], NEW_PASSWORD)
            # An applicant confirms the address, is told the account exists, and resets the password.
            mara_form = {**REQUEST, "full_name": "Dr. Mara Example", "email": "mara@clinic.example"}
            submit(mara, "/request-access", mara_form)
            deliver(client, mail_server)
            mara.get(mail_server.links("/verify-email")[-1])
            submit(mara, "/request-access", mara_form)
            submit(mara, "/forgot-password", {"email": "mara@clinic.example"})
            deliver(client, mail_server)
            choose_password(mara, mail_server.links("/reset-password")[-1], NEW_PASSWORD)
            # Another sends the form twice before confirming: the confirmation goes out again.
            nina_form = {**REQUEST, "full_name": "Dr. Nina Example", "email": "nina@clinic.example"}
            submit(nina, "/request-access", nina_form)
            submit(nina, "/request-access", nina_form)
            deliver(client, mail_server)

        stored = everything_stored(db)

    subjects = [str(m["Subject"]) for m in mail_server.sent]
    assert "You already have an account with us" in subjects
    tokens = {link.split("token=")[1] for link in mail_server.links("token=")}
    assert len(tokens) == 5, subjects
    assert [token for token in tokens if token in stored] == []
    assert "token=[removed]" in stored


def test_a_message_that_failed_for_good_keeps_no_token(
    settings: Settings, shared_engines: SharedEngines
) -> None:
    with portal(settings, shared_engines, smtp_url=SMTP) as (client, changed, db):
        factories.applicant(db, changed, email="gone@clinic.example", state=RequestState.UNVERIFIED)
        token = queued_link(db, "gone@clinic.example", "/verify-email").split("token=")[1]

        report = deliver(client, Refusing())

        assert report.failed == 1
        db.expire_all()
        assert db.scalars(select(OutboxMessage.status)).all() == [OutboxStatus.FAILED]
        assert token not in everything_stored(db)
