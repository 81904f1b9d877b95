"""Deliver the outbox over SMTP: claim one due row at a time, send it, record the outcome.

A row is claimed with a compare-and-set UPDATE, so two senders never send the same row; a row
left in `sending` by a sender that died is claimable again once its lease has run out. The
Message-ID is derived from the row, so a resend after such a crash can be dropped as a duplicate.
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import structlog
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy import update as update_rows
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import changed_rows, claim, utcnow
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.service import bodies_to_send

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=10)
BATCH = 100
# Raised when the mail server could not be reached or dropped the line, as opposed to an answer
# about one message: the server is away, and every other message would fail the same way.
UNREACHABLE = (OSError,)
ANSWERED = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)
# What `_attempt` returns for a message deferred because the server could not be reached.
UNREACHED = "unreached"


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail server, or raise."""


class SmtpTransport:
    """Send over smtplib: smtp:// (add ?starttls=true to upgrade) or smtps://, user:password@ to log in."""

    def __init__(
        self, settings: Settings, *, timeout: float | None = None, tls_context: ssl.SSLContext | None = None
    ) -> None:
        url = urlsplit(settings.smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ValueError("PORTAL_SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = parse_qs(url.query)
        self.implicit_tls = url.scheme == "smtps"
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.host = url.hostname
        self.port = url.port or (465 if self.implicit_tls else 587 if self.starttls else 25)
        self.username = unquote(url.username) if url.username else None
        self.password = unquote(url.password) if url.password else ""
        # Also bounds every read: a server that accepts and never answers cannot hold the sender.
        self.timeout = timeout or settings.smtp_timeout_seconds
        self.tls_context = tls_context

    def send(self, message: EmailMessage) -> None:
        """Open a connection, upgrade and log in as the URL says, and send one message."""
        with self._session() as smtp:
            smtp.send_message(message)

    def probe(self) -> None:
        """Connect, upgrade and log in as for sending, then hang up (for `portal check`)."""
        with self._session() as smtp:
            smtp.noop()

    def _session(self) -> smtplib.SMTP:
        context = self.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


@dataclass
class DeliveryReport:
    """What one run of the sender did."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    # The run stopped early because the mail server could not be reached.
    unreachable: bool = False

    @property
    def attempted(self) -> int:
        """How many messages this run tried to send, whatever came of it."""
        return self.sent + self.deferred + self.failed

    def __str__(self) -> str:
        return f"mail: {self.sent} sent, {self.deferred} deferred for retry, {self.failed} failed"


def build_email(row: OutboxMessage, *, mail_from: str) -> EmailMessage:
    """The email for one outbox row, with a text and an HTML alternative."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    created = _aware(row.created_at)
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = row.to_address
    email["Subject"] = row.subject
    email["Date"] = format_datetime(created)
    # Stable across retries; the creation time keeps it unique if ids restart in a new database.
    email["Message-ID"] = f"<outbox.{row.id}.{created:%Y%m%d%H%M%S}@{domain}>"
    text_body, html_body = bodies_to_send(row)
    email.set_content(text_body)
    email.add_alternative(html_body, subtype="html")
    return email


def deliver_due(
    session_factory: sessionmaker[Session],
    transport: Transport,
    *,
    now: datetime | None = None,
    settings: Settings,
    limit: int = BATCH,
) -> DeliveryReport:
    """Send every due message once, at most `limit` of them; commit each outcome on its own.

    The run stops at the first message the server could not be reached for: the others stay due
    rather than each waiting out the SMTP timeout.
    """
    report = DeliveryReport()
    for _ in range(limit):
        at = now or utcnow()
        row = _claim_next(session_factory, at)
        if row is None:
            break
        outcome = _attempt(session_factory, row, transport, at, settings)
        if outcome == UNREACHED:
            report.unreachable = True
            outcome = "deferred"
        setattr(report, outcome, getattr(report, outcome) + 1)
        if report.unreachable:
            break
    return report


def release_deferred(session_factory: sessionmaker[Session], *, at: datetime) -> int:
    """Make every message waiting for a retry due now (the mail server is back); return how many."""
    waiting = (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.attempts > 0,
        OutboxMessage.next_attempt_at > at,
    )
    with session_factory() as db:
        released = changed_rows(db, update_rows(OutboxMessage).where(*waiting).values(next_attempt_at=at))
        db.commit()
    if released:
        log.info("mail.released_deferred", count=released)
    return released


def run_loop(
    session_factory: sessionmaker[Session],
    transport: Transport,
    *,
    settings: Settings,
    interval: float,
    stop: threading.Event,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> None:
    """Deliver the due outbox every `interval` seconds until `stop` is set.

    Once the mail server could not be reached, the loop asks it every round whether it is back
    (a delivery, or a probe when nothing is due); the first success makes every deferred message
    due at once, so mail held up by an outage leaves within a round or two of the server's return.
    """
    server_away = False
    while not stop.is_set():
        try:
            report = deliver_due(session_factory, transport, settings=settings)
            if report.unreachable:
                server_away = True
            elif server_away and (report.sent or _answers(transport)):
                release_deferred(session_factory, at=utcnow())
                server_away = False
        except Exception:  # the database may be away for a while; try again next round
            log.exception("mail.run_failed")
        else:
            if on_report:
                on_report(report)
        stop.wait(interval)


def _answers(transport: Transport) -> bool:
    """Whether the mail server takes a connection now; transports that cannot tell say no."""
    probe = getattr(transport, "probe", None)
    if probe is None:
        return False
    try:
        probe()
    except Exception:
        return False
    return True


def _due(at: datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= at),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at <= at - LEASE),
    )


def _claim_next(session_factory: sessionmaker[Session], at: datetime) -> OutboxMessage | None:
    """Claim the next due row for this sender, or return None when nothing is due."""
    with session_factory() as db:
        while True:
            ids = db.scalars(
                select(OutboxMessage.id)
                .where(_due(at))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(20)
            ).all()
            if not ids:
                return None
            for row_id in ids:
                attempts = OutboxMessage.attempts + 1
                taken = {"status": OutboxStatus.SENDING, "claimed_at": at, "attempts": attempts}
                claimed = claim(db, OutboxMessage, row_id, where=[_due(at)], values=taken)
                db.commit()
                if claimed:
                    return db.get_one(OutboxMessage, row_id)
            # Every candidate went to another sender: look again.


def _attempt(
    session_factory: sessionmaker[Session],
    row: OutboxMessage,
    transport: Transport,
    at: datetime,
    settings: Settings,
) -> str:
    """Send one claimed row and record the outcome; return the report field it counts towards."""
    finish = partial(_finish, session_factory, row, at, settings=settings)
    if row.attempts > settings.mail_max_attempts:  # senders kept stopping while on this row
        return finish(OutboxStatus.FAILED, error=row.last_error or "the sender stopped during every attempt")
    try:
        transport.send(build_email(row, mail_from=settings.mail_from))
    except Exception as error:  # every failure is recorded; none stops the run
        text = _describe(error)
        if _permanent(error) or row.attempts >= settings.mail_max_attempts:
            return finish(OutboxStatus.FAILED, error=text)
        outcome = finish(OutboxStatus.PENDING, error=text, retry_at=at + retry_delay(row.attempts, settings))
        unreached = isinstance(error, UNREACHABLE) and not isinstance(error, ANSWERED)
        return UNREACHED if unreached else outcome
    return finish(OutboxStatus.SENT)


def retry_delay(attempts: int, settings: Settings) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from the base, jittered, capped."""
    cap = settings.mail_retry_cap_seconds
    doubled = min(settings.mail_retry_base_seconds * 2 ** min(attempts - 1, 30), cap)
    stretched = doubled * (1 + random.uniform(0, settings.mail_retry_jitter))  # noqa: S311 (not a secret)
    return timedelta(seconds=min(stretched, cap))


def _finish(
    session_factory: sessionmaker[Session],
    row: OutboxMessage,
    at: datetime,
    status: OutboxStatus,
    *,
    settings: Settings,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> str:
    values: dict[str, object] = {"status": status}
    if status is not OutboxStatus.PENDING:
        # Sent, or never to be sent: the working link has no more reason to be stored.
        values.update(text_to_send=None, html_to_send=None)
    if status is OutboxStatus.SENT:
        values["sent_at"] = at
    if error is not None:
        values["last_error"] = error[:2000]
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    kept = _record(session_factory, row.id, at, values, settings=settings)
    outcome = {OutboxStatus.SENT: "sent", OutboxStatus.PENDING: "deferred", OutboxStatus.FAILED: "failed"}
    log.log(
        logging.INFO if status is OutboxStatus.SENT else logging.WARNING,
        "mail.attempt",
        id=row.id,
        message=row.message,
        outcome=outcome[status],
        attempts=row.attempts,
        error=error,
        lost_claim=not kept,
    )
    return outcome[status]


def _record(
    session_factory: sessionmaker[Session],
    row_id: int,
    at: datetime,
    values: dict[str, object],
    *,
    settings: Settings,
) -> bool:
    """Write an attempt's outcome, retrying until the database answers; True if the claim was ours.

    The sender takes no new work until this is written: a message delivered but recorded as still
    sending would go out again once its lease ran out.
    """
    while True:
        try:
            with session_factory() as db:
                # Only the owner of the claim writes; a sender whose lease ran out must not overwrite.
                owner = {"status": OutboxStatus.SENDING, "claimed_at": at}
                kept = claim(db, OutboxMessage, row_id, expected=owner, values=values)
                db.commit()
                return kept
        except SQLAlchemyError:
            log.warning("mail.record_retry", id=row_id, exc_info=True)
            time.sleep(settings.mail_record_retry_seconds)


def _permanent(error: Exception) -> bool:
    """A 5xx answer about this message (sender, recipient or content) will not change on retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False  # connection, login and server trouble pass; so may 4xx answers


def _describe(error: Exception) -> str:
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = (f"{code} {_text(text)}" for code, text in error.recipients.values())
        return f"{name}: " + "; ".join(answers)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{name}: {error}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
