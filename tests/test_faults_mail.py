"""SMTP refused or silent, and PostgreSQL away just after a delivery: each message arrives once,
and mail held up by an outage leaves when the server returns, not at its next retry time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.sender import SmtpTransport, deliver_due, run_loop
from app.main import create_app
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.faultproxy import FaultProxy, fault_proxy
from tests.test_mail import Recorder, free_port, queue_committed, stored

pytestmark = pytest.mark.faults

# Far longer than the test runs: only the release after SMTP returns can make the mail due again.
LONG_BACKOFF = {"mail_retry_base_seconds": 600, "mail_retry_jitter": 0.0}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def smtp(recorder: Recorder) -> Iterator[FaultProxy]:
    """A real SMTP server behind a fault proxy."""
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    with fault_proxy("127.0.0.1", port) as proxy:
        yield proxy
    controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: FaultProxy) -> Settings:
    return settings.model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{smtp.port}", "smtp_timeout_seconds": 0.5, **LONG_BACKOFF}
    )


@pytest.fixture
def mail_app(mail_settings: Settings) -> Iterator[FastAPI]:
    application = create_app(mail_settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def sender_loop(mail_app: FastAPI, mail_settings: Settings) -> Iterator[None]:
    """`portal send-mail --loop`, polling every tenth of a second."""
    stop = threading.Event()
    worker = threading.Thread(
        target=run_loop,
        args=(mail_app.state.session_factory, SmtpTransport(mail_settings)),
        kwargs={"settings": mail_settings, "interval": 0.1, "stop": stop},
    )
    worker.start()
    yield
    stop.set()
    worker.join(timeout=5)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def deferred(factory: sessionmaker[Session], ids: list[int]) -> bool:
    rows = [stored(factory, row_id) for row_id in ids]
    return all(row.status == OutboxStatus.PENDING and row.attempts >= 1 for row in rows)


@pytest.mark.parametrize("fault", ["refuse", "hang"])
def test_mail_held_up_by_an_smtp_outage_arrives_once_soon_after_it_returns(
    fault: str, mail_app: FastAPI, smtp: FaultProxy, recorder: Recorder, sender_loop: None
) -> None:
    factory = mail_app.state.session_factory
    getattr(smtp, fault)()
    ids = queue_committed(factory, count=3)
    assert wait_for(lambda: deferred(factory, ids), 5), "the outage never deferred the mail"
    smtp.heal()
    # The outage put each message off by LONG_BACKOFF (10 minutes): mail that arrives while the
    # test waits was released because SMTP answered again, not by its retry time coming round.
    assert wait_for(lambda: len(recorder.messages) == 3, 30), "the mail was not released when SMTP returned"
    time.sleep(0.3)
    ids_seen = [message["Message-ID"] for message in recorder.messages]
    assert len(ids_seen) == 3 and len(set(ids_seen)) == 3
    assert all(stored(factory, row_id).status == OutboxStatus.SENT for row_id in ids)


def test_a_form_is_answered_without_talking_to_smtp_while_it_never_answers(
    mail_app: FastAPI, mail_settings: Settings, smtp: FaultProxy, recorder: Recorder
) -> None:
    # No sender runs until the form is answered: had the request itself tried to send, it would
    # have waited for the silent server and left an attempt on the queued message. (Not timed: on
    # a busy machine the page alone may take longer than SMTP's timeout.)
    smtp.hang()
    form = {"name": "Ann", "email": "ann@example.org", "subject": "Slow mail", "message": "Hi"}
    with TestClient(mail_app) as client:
        response = submit(client, "/contact", {**form, "consent": "yes"})
    assert response.status_code == 303
    factory = mail_app.state.session_factory
    with factory() as db:
        queued = db.scalars(select(OutboxMessage)).all()
    assert [(row.status, row.attempts) for row in queued] == [(OutboxStatus.PENDING, 0)]
    smtp.heal()
    deliver_due(factory, SmtpTransport(mail_settings), settings=mail_settings)
    assert [message["Subject"] for message in recorder.messages] == [queued[0].subject]


class DatabaseAwayAfterSending:
    """A transport that delivers, after which the database is away for the next `outage` sessions."""

    def __init__(self, factory: sessionmaker[Session], outage: int) -> None:
        self.real_factory = factory
        self.outage = 0
        self.next_outage = outage
        self.sent = 0

    def send(self, message: object) -> None:
        self.sent += 1
        self.outage, self.next_outage = self.next_outage, 0

    def factory(self) -> Session:
        if self.outage:
            self.outage -= 1
            raise OperationalError("connect", {}, ConnectionRefusedError("database away"))
        return self.real_factory()


def test_a_delivered_message_is_recorded_once_the_database_answers_and_never_sent_again(
    mail_app: FastAPI, mail_settings: Settings
) -> None:
    factory = mail_app.state.session_factory
    [row_id] = queue_committed(factory)
    transport = DatabaseAwayAfterSending(factory, outage=3)
    settings = mail_settings.model_copy(update={"mail_record_retry_seconds": 0.01})
    sessions = sessionmaker_like(transport.factory)

    assert deliver_due(sessions, transport, settings=settings).sent == 1
    assert stored(factory, row_id).status == OutboxStatus.SENT
    assert deliver_due(sessions, transport, settings=settings).attempted == 0
    assert transport.sent == 1


def sessionmaker_like(make: Callable[[], Session]) -> sessionmaker[Session]:
    """Something the sender calls as it calls a sessionmaker."""
    return make  # type: ignore[return-value]
