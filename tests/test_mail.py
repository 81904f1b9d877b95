"""The outbox against a real SMTP server: nothing leaves before commit, nothing is lost or sent twice."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import app.mail.models  # noqa: F401  (the outbox table on Base.metadata, whatever app.main imports)
from app.cli import main
from app.core.config import Settings
from app.core.db import utcnow
from app.mail import sender
from app.mail import service as mail_service
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.sender import SmtpTransport, deliver_due
from app.main import create_app
from tests.asgi_client import TestClient

LINK = "https://portal.example/verify-email?token=abc123&next=%2Farticles"
CONTEXT = {"name": "Anna Example", "link": LINK, "society": "Society for Tests"}


# A real SMTP server -----------------------------------------------------------------------------


def free_port() -> int:
    # aiosmtpd cannot bind port 0 itself: take one the system hands out, then let it go.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """Accepts every message and keeps it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.data_commands = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.data_commands += 1
            answer = self.answer()
            if answer.startswith("250"):
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                self.messages.append(parsed)
                self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return answer

    def answer(self) -> str:
        return "250 2.0.0 Message accepted"


class Flaky(Recorder):
    """Answers 451 (try again later) to the first `failures` messages, then accepts."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def answer(self) -> str:
        if self.failures > 0:
            self.failures -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        return super().answer()


class Refusing(Recorder):
    """Refuses every recipient for good (550)."""

    def __init__(self) -> None:
        super().__init__()
        self.rcpt_commands = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.rcpt_commands += 1
        return "550 5.1.1 No such user here"


class SmtpServers:
    def __init__(self) -> None:
        self.controllers: list[Controller] = []

    def start(self, handler: object, **options: Any) -> str:
        """Serve `handler` on a free loopback port; return the host and port as host:port."""
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        self.controllers.append(controller)
        return f"127.0.0.1:{port}"


@pytest.fixture
def smtp_servers() -> Iterator[SmtpServers]:
    servers = SmtpServers()
    yield servers
    for controller in servers.controllers:
        controller.stop()


# Helpers ----------------------------------------------------------------------------------------


@pytest.fixture
def factory(app: FastAPI) -> sessionmaker[Session]:
    return app.state.session_factory  # type: ignore[no-any-return]


def with_smtp(settings: Settings, url: str, **values: Any) -> Settings:
    return settings.model_copy(update={"smtp_url": url, **values})


def queue_committed(
    factory: sessionmaker[Session], count: int = 1, to: str = "anna@example.org"
) -> list[int]:
    with factory() as db:
        rows = [mail_service.queue(db, message="confirm_email", to=to, context=CONTEXT) for _ in range(count)]
        db.commit()
        return [row.id for row in rows]


def stored(factory: sessionmaker[Session], row_id: int) -> OutboxMessage:
    with factory() as db:
        return db.get_one(OutboxMessage, row_id)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; all stored times are UTC."""
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    return text_part.get_content(), html_part.get_content()


# Queueing ---------------------------------------------------------------------------------------


def test_queue_renders_the_message_and_nothing_leaves_before_commit(
    db: Session, factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    transport = SmtpTransport(with_smtp(settings, f"smtp://{smtp_servers.start(recorder)}"))

    row = mail_service.queue(db, message="confirm_email", to="anna@example.org", context=CONTEXT)

    assert row.id is not None and row.status == OutboxStatus.PENDING and row.attempts == 0
    assert row.subject == "Please confirm your email address"
    assert "Hello Anna Example," in row.text_body and LINK in row.text_body
    assert row.text_body.rstrip().endswith("Society for Tests")
    assert f'<a href="{LINK.replace("&", "&amp;")}"' in row.html_body
    assert '<html lang="en">' in row.html_body
    assert mail_service.links_in(row.text_body) == [LINK]

    report = deliver_due(factory, transport, settings=settings)
    assert report.attempted == 0 and recorder.messages == []

    db.rollback()
    with factory() as other:
        assert other.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert deliver_due(factory, transport, settings=settings).attempted == 0
    assert recorder.data_commands == 0


def test_queue_refuses_an_address_that_could_smuggle_headers(db: Session) -> None:
    with pytest.raises(mail_service.InvalidAddress):
        mail_service.queue(
            db, message="confirm_email", to="a@example.org\r\nBcc: b@example.org", context=CONTEXT
        )


# Delivery ---------------------------------------------------------------------------------------


def test_delivery_sends_one_message_with_text_and_html(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    transport = SmtpTransport(with_smtp(settings, f"smtp://{smtp_servers.start(recorder)}"))
    [row_id] = queue_committed(factory)
    now = utcnow()

    report = deliver_due(factory, transport, now=now, settings=settings)

    assert (report.sent, report.deferred, report.failed) == (1, 0, 0)
    [message] = recorder.messages
    assert recorder.envelopes == [("no-reply@society.example", ["anna@example.org"])]
    assert message["To"] == "anna@example.org"
    assert message["From"] == settings.mail_from
    assert message["Subject"] == "Please confirm your email address"
    assert message["Message-ID"].startswith(f"<outbox.{row_id}.") and message["Message-ID"].endswith(
        "@society.example>"
    )
    assert message["Date"]
    text, html = text_and_html(message)
    assert LINK in text and "Hello Anna Example," in text
    assert f'href="{LINK.replace("&", "&amp;")}"' in html
    row = stored(factory, row_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and utc(row.sent_at) == now
    assert row.last_error == ""


def test_a_temporary_failure_is_retried_after_the_backoff_and_then_delivered_once(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    flaky = Flaky(failures=2)
    settings = with_smtp(
        settings, f"smtp://{smtp_servers.start(flaky)}", mail_retry_base_seconds=60, mail_retry_jitter=0.0
    )
    transport = SmtpTransport(settings)
    [row_id] = queue_committed(factory)
    start = utcnow()

    assert deliver_due(factory, transport, now=start, settings=settings).deferred == 1
    row = stored(factory, row_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert utc(row.next_attempt_at) == start + timedelta(seconds=60)
    assert "451" in row.last_error and "try again later" in row.last_error

    assert (
        deliver_due(factory, transport, now=start + timedelta(seconds=59), settings=settings).attempted == 0
    )
    assert deliver_due(factory, transport, now=start + timedelta(seconds=60), settings=settings).deferred == 1
    row = stored(factory, row_id)
    assert row.attempts == 2 and utc(row.next_attempt_at) == start + timedelta(seconds=60 + 120)

    assert (
        deliver_due(factory, transport, now=start + timedelta(seconds=179), settings=settings).attempted == 0
    )
    assert deliver_due(factory, transport, now=start + timedelta(seconds=180), settings=settings).sent == 1
    assert deliver_due(factory, transport, now=start + timedelta(days=2), settings=settings).attempted == 0

    assert flaky.data_commands == 3 and len(flaky.messages) == 1
    row = stored(factory, row_id)
    assert row.status == OutboxStatus.SENT and row.attempts == 3
    assert utc(row.sent_at) == start + timedelta(seconds=180)


def test_an_unreachable_server_is_a_temporary_failure(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    settings = with_smtp(settings, f"smtp://127.0.0.1:{free_port()}")
    [row_id] = queue_committed(factory)

    assert deliver_due(factory, SmtpTransport(settings, timeout=5), settings=settings).deferred == 1
    row = stored(factory, row_id)
    assert row.status == OutboxStatus.PENDING and "ConnectionRefusedError" in row.last_error


def test_a_permanent_failure_is_recorded_and_never_retried(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    refusing = Refusing()
    settings = with_smtp(settings, f"smtp://{smtp_servers.start(refusing)}")
    transport = SmtpTransport(settings)
    [row_id] = queue_committed(factory, to="nobody@example.org")
    start = utcnow()

    assert deliver_due(factory, transport, now=start, settings=settings).failed == 1
    for later in (timedelta(minutes=1), timedelta(hours=7), timedelta(days=30)):
        assert deliver_due(factory, transport, now=start + later, settings=settings).attempted == 0

    row = stored(factory, row_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1 and row.sent_at is None
    assert "550" in row.last_error and "No such user" in row.last_error
    assert refusing.rcpt_commands == 1 and refusing.messages == []


def test_the_sender_gives_up_after_the_last_allowed_attempt(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    flaky = Flaky(failures=100)
    settings = with_smtp(settings, f"smtp://{smtp_servers.start(flaky)}", mail_max_attempts=3)
    transport = SmtpTransport(settings)
    [row_id] = queue_committed(factory)
    start = utcnow()

    outcomes = [
        deliver_due(factory, transport, now=start + timedelta(days=n), settings=settings) for n in range(5)
    ]

    assert [(r.deferred, r.failed) for r in outcomes] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    row = stored(factory, row_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3 and "451" in row.last_error
    assert flaky.data_commands == 3


# Restarts and concurrency -----------------------------------------------------------------------


class SenderDied(BaseException):
    """The process ends mid-send (killed, power cut): nothing is recorded after the claim."""


class DyingTransport:
    def send(self, message: EmailMessage) -> None:
        raise SenderDied


def test_a_restarted_sender_sends_nothing_twice_and_picks_up_what_a_dead_sender_left(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    settings = with_smtp(settings, f"smtp://{smtp_servers.start(recorder)}")
    transport = SmtpTransport(settings)
    done, left = queue_committed(factory, count=2)
    start = utcnow()

    assert deliver_due(factory, transport, now=start, settings=settings, limit=1).sent == 1
    assert deliver_due(factory, transport, now=start, settings=settings, limit=1).sent == 1
    assert deliver_due(factory, transport, now=start, settings=settings).attempted == 0
    assert len(recorder.messages) == 2

    # A sender claims the next message and dies before recording anything.
    [orphan] = queue_committed(factory)
    crash = utcnow()
    with pytest.raises(SenderDied):
        deliver_due(factory, DyingTransport(), now=crash, settings=settings)
    assert stored(factory, orphan).status == OutboxStatus.SENDING

    assert deliver_due(factory, transport, now=crash + timedelta(minutes=9), settings=settings).attempted == 0
    assert deliver_due(factory, transport, now=crash + timedelta(minutes=10), settings=settings).sent == 1
    assert deliver_due(factory, transport, now=crash + timedelta(days=1), settings=settings).attempted == 0

    row = stored(factory, orphan)
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert [m["Message-ID"] for m in recorder.messages][-1].startswith(f"<outbox.{orphan}.")
    assert len(recorder.messages) == 3
    assert {stored(factory, i).status for i in (done, left)} == {OutboxStatus.SENT}


def test_a_message_that_kills_every_sender_is_given_up(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    settings = with_smtp(settings, f"smtp://{smtp_servers.start(recorder)}", mail_max_attempts=2)
    [row_id] = queue_committed(factory)
    start = utcnow()
    for hour in range(2):
        with pytest.raises(SenderDied):
            deliver_due(factory, DyingTransport(), now=start + timedelta(hours=hour), settings=settings)

    assert (
        deliver_due(
            factory, SmtpTransport(settings), now=start + timedelta(hours=2), settings=settings
        ).failed
        == 1
    )
    assert stored(factory, row_id).status == OutboxStatus.FAILED and recorder.messages == []


def test_two_senders_at_once_deliver_each_message_exactly_once(
    factory: sessionmaker[Session], settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    settings = with_smtp(settings, f"smtp://{smtp_servers.start(recorder)}")
    ids = queue_committed(factory, count=24)
    now = utcnow()
    barrier = threading.Barrier(2)
    reports: list[sender.DeliveryReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(deliver_due(factory, SmtpTransport(settings), now=now, settings=settings))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.sent for r in reports) == 24 and sum(r.attempted for r in reports) == 24
    message_ids = [m["Message-ID"] for m in recorder.messages]
    assert len(message_ids) == 24 and len(set(message_ids)) == 24
    assert {stored(factory, i).attempts for i in ids} == {1}


# TLS and login ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_and_login_use_the_url(
    factory: sessionmaker[Session],
    settings: Settings,
    smtp_servers: SmtpServers,
    certificate: tuple[Path, Path],
) -> None:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"p@ss:word")

    recorder = Recorder()
    address = smtp_servers.start(
        recorder,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    settings = with_smtp(settings, f"smtp://mailer:p%40ss%3Aword@{address}?starttls=true")
    queue_committed(factory)

    transport = SmtpTransport(settings, tls_context=ssl.create_default_context(cafile=certificate[0]))
    assert deliver_due(factory, transport, settings=settings).sent == 1
    assert logins == [(b"mailer", b"p@ss:word")] and len(recorder.messages) == 1


def test_smtps_uses_implicit_tls(
    factory: sessionmaker[Session],
    settings: Settings,
    smtp_servers: SmtpServers,
    certificate: tuple[Path, Path],
) -> None:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    recorder = Recorder()
    settings = with_smtp(settings, f"smtps://{smtp_servers.start(recorder, ssl_context=server_tls)}")
    queue_committed(factory)

    transport = SmtpTransport(settings, tls_context=ssl.create_default_context(cafile=certificate[0]))
    assert deliver_due(factory, transport, settings=settings).sent == 1
    assert len(recorder.messages) == 1


# The command ------------------------------------------------------------------------------------


def test_send_mail_without_an_smtp_url_says_so_and_exits_1(
    factory: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SMTP_URL", "")
    [row_id] = queue_committed(factory)

    result = CliRunner().invoke(main, ["send-mail"])

    assert result.exit_code == 1
    assert "PORTAL_SMTP_URL is not set" in result.output
    assert stored(factory, row_id).status == OutboxStatus.PENDING


def test_send_mail_delivers_the_due_outbox(
    factory: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    smtp_servers: SmtpServers,
) -> None:
    recorder = Recorder()
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTAL_SMTP_URL", f"smtp://{smtp_servers.start(recorder)}")
    [row_id] = queue_committed(factory)

    result = CliRunner().invoke(main, ["send-mail"])

    assert result.exit_code == 0, result.output
    assert "mail: 1 sent, 0 deferred for retry, 0 failed" in result.output
    assert len(recorder.messages) == 1 and stored(factory, row_id).status == OutboxStatus.SENT


def test_the_development_server_delivers_mail_in_the_background(
    settings: Settings, smtp_servers: SmtpServers
) -> None:
    recorder = Recorder()
    address = smtp_servers.start(recorder)
    development = with_smtp(settings, f"smtp://{address}", env="development", mail_poll_seconds=0.2)
    app = create_app(development)
    with TestClient(app):
        [row_id] = queue_committed(app.state.session_factory, to="dev@example.org")
        # The sender wakes every few seconds and records the delivery just after the server has
        # the message: wait for both, bounded, rather than for a fixed time.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            recorder.messages and stored(app.state.session_factory, row_id).status == OutboxStatus.SENT
        ):
            time.sleep(0.1)
        assert [m["To"] for m in recorder.messages] == ["dev@example.org"]
        assert stored(app.state.session_factory, row_id).status == OutboxStatus.SENT
    app.state.engine.dispose()
