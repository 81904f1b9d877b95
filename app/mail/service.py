"""Queue rendered emails in the outbox and read it back. Services flush; the caller commits."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from functools import cache
from typing import Any

import jinja2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import i18n
from app.core.config import PROJECT_ROOT, Settings
from app.core.db import utcnow
from app.core.pagination import Page, paginate
from app.mail.models import OutboxMessage, OutboxStatus

MAIL_TEMPLATE_DIR = PROJECT_ROOT / "templates" / "mail"
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
REMOVED = "[removed]"  # in place of a token in the bodies kept, as in the personal-data export


class InvalidAddress(ValueError):
    """A recipient that is not a single plain email address."""


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment for mail: autoescape for HTML only, no silently missing values."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MAIL_TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals["language"] = i18n.current
    env.filters["date"] = _date
    return env


@jinja2.pass_context
def _date(context: Any, value: date | datetime | None) -> str:
    """`{{ until | date }}`: the day in the email's language, on the society's calendar (the
    `zone` the sender puts in the context; UTC without one)."""
    return i18n.format_date(value, zone=context.get("zone"))


def render(message: str, context: dict[str, Any], *, language: str | None = None) -> tuple[str, str, str]:
    """Render the subject, text body and HTML body of one message, in `language` if given."""
    with i18n.using(language or i18n.current()):
        return _render(message, context)


def _render(message: str, context: dict[str, Any]) -> tuple[str, str, str]:
    env = environment()
    # One line whatever the context holds: a line break in a header would end it.
    subject = " ".join(env.get_template(f"{message}/subject.txt").render(context).split())
    context = {**context, "subject": subject}
    text_body = env.get_template(f"{message}/body.txt").render(context)
    html_body = env.get_template(f"{message}/body.html").render(context)
    return subject, text_body.strip() + "\n", html_body


def queue(
    db: Session,
    *,
    message: str,
    to: str,
    context: dict[str, Any],
    secret: str = "",
    language: str | None = None,
) -> OutboxMessage:
    """Render a message into the outbox, in the recipient's `language`; it leaves once the caller commits.

    A `secret` (the token in a link) is stored only in the copy to send, which the sender drops
    once the message has left; the bodies kept show it as removed.
    """
    if not _ADDRESS.fullmatch(to):
        raise InvalidAddress(f"not a single email address: {to!r}")
    subject, text_body, html_body = render(message, context, language=language)
    if secret and secret in subject:
        raise ValueError(f"{message}: a secret in the subject would be kept after sending")
    row = OutboxMessage(
        message=message,
        to_address=to,
        subject=subject,
        text_body=text_body.replace(secret, REMOVED) if secret else text_body,
        html_body=html_body.replace(secret, REMOVED) if secret else html_body,
        text_to_send=text_body if secret else None,
        html_to_send=html_body if secret else None,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    db.add(row)
    db.flush()
    return row


def bodies_to_send(row: OutboxMessage) -> tuple[str, str]:
    """Return the text and HTML bodies as they leave: with their token while they wait to be sent."""
    return row.text_to_send or row.text_body, row.html_to_send or row.html_body


def shows_messages(settings: Settings) -> bool:
    """Whether the outbox page may show bodies and links: only in the development demo, where no
    mail server is configured and nothing leaves; wherever mail really leaves, a link in the
    outbox would open someone else's account."""
    return settings.env == "development" and not settings.smtp_url


def list_messages(db: Session, *, page: int, size: int) -> Page[OutboxMessage]:
    """List the outbox, newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return paginate(db, query, number=page, size=size)


def count_recent(db: Session, *, to: str, messages: Collection[str], since: datetime) -> int:
    """Count the messages of these kinds written to an address since a moment, sent or not."""
    query = select(func.count()).where(
        func.lower(OutboxMessage.to_address) == to.lower(),
        OutboxMessage.message.in_(messages),
        OutboxMessage.created_at >= since,
    )
    return db.scalar(query) or 0


def links_in(text: str) -> list[str]:
    """Return the http(s) links in a text body, in order and without repeats."""
    links = (match.rstrip(".,;:!?)]}") for match in _LINK.findall(text))
    return list(dict.fromkeys(links))


def delivery_trouble(db: Session) -> tuple[int, int]:
    """Return how many emails failed for good, and how many wait to be tried again."""
    failed = db.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.FAILED)) or 0
    retrying = (
        db.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.attempts > 0
            )
        )
        or 0
    )
    return failed, retrying
