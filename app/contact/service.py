"""Contact messages: store what the form sent, tell the society, and let staff answer and close them.

Services add and flush; the view commits, so a message and the emails it causes land together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit
from app.contact.models import ContactMessage, ContactReply
from app.core import i18n
from app.core.config import Settings
from app.core.db import claim, utcnow
from app.core.pagination import Page, paginate
from app.mail import service as mail_service

Status = Literal["open", "handled", "all"]
TARGET = "contact_message"


@dataclass(frozen=True)
class Submission:
    name: str
    email: str
    subject: str
    message: str


def send(db: Session, settings: Settings, *, submission: Submission) -> ContactMessage:
    """Store a message from the contact form and queue a copy for each of the society's addresses."""
    now = utcnow()
    item = ContactMessage(
        name=submission.name,
        email=submission.email,
        subject=submission.subject,
        message=submission.message,
        consented_at=now,
        created_at=now,
    )
    db.add(item)
    db.flush()
    context = {
        "society": settings.society_name,
        "sender": item.name,
        "sender_email": item.email,
        "topic": item.subject,
        "message": item.message,
        "link": f"{settings.base_url}/admin/messages/{item.id}",
    }
    # No acknowledgement goes to the typed address: the form would let anyone mail anyone.
    for address in settings.contact_recipients:
        mail_service.queue(
            db, message="contact_message", to=address, context=context, language=settings.default_language
        )
    return item


def inbox(db: Session, *, status: Status, page: int, size: int) -> Page[ContactMessage]:
    """List messages newest first: open ones, handled ones, or all."""
    condition = {
        "open": ContactMessage.handled_at.is_(None),
        "handled": ContactMessage.handled_at.is_not(None),
        "all": None,
    }[status]
    query = select(ContactMessage)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(ContactMessage.created_at.desc(), ContactMessage.id.desc())
    return paginate(db, query, number=page, size=size)


def mark_read(db: Session, *, item: ContactMessage) -> None:
    """Mark a message read for every member of staff, the first time one of them opens it."""
    if item.read_at is None:
        _set(db, item, ContactMessage.read_at.is_(None), read_at=utcnow())


def reply(
    db: Session, settings: Settings, *, item: ContactMessage, author: User, body: str, handled: bool, ip: str
) -> ContactReply:
    """Store a reply, queue it to the sender and, when asked, mark the message handled."""
    answer = ContactReply(message_id=item.id, author_id=author.id, body=body, created_at=utcnow())
    db.add(answer)
    db.flush()
    context = {
        "society": settings.society_name,
        "name": item.name,
        "topic": item.subject,
        "original": item.message,
        "sent_on": item.created_at,
        "zone": settings.zone,  # the day it was sent, on the society's calendar
        "body": body,
        "contact": settings.contact_email,
    }
    # The sender has no account to keep a language in: the reply goes in the language of the page
    # it is written on.
    mail_service.queue(db, message="contact_reply", to=item.email, context=context, language=i18n.current())
    audit.record(db, actor=author, action="contact.replied", target_type=TARGET, target_id=item.id, ip=ip)
    if handled:
        mark_handled(db, item=item, actor=author, ip=ip)
    return answer


def mark_handled(db: Session, *, item: ContactMessage, actor: User, ip: str) -> bool:
    """Mark a message handled; False when a colleague already had (nothing changes then)."""
    changed = _set(db, item, ContactMessage.handled_at.is_(None), handled_at=utcnow())
    if changed:
        audit.record(db, actor=actor, action="contact.handled", target_type=TARGET, target_id=item.id, ip=ip)
    return changed


def reopen(db: Session, *, item: ContactMessage, actor: User, ip: str) -> bool:
    """Put a handled message back among the open ones; False when it already was open."""
    changed = _set(db, item, ContactMessage.handled_at.is_not(None), handled_at=None)
    if changed:
        audit.record(db, actor=actor, action="contact.reopened", target_type=TARGET, target_id=item.id, ip=ip)
    return changed


def _set(db: Session, item: ContactMessage, condition: ColumnElement[bool], **values: Any) -> bool:
    """A conditional UPDATE, so two colleagues acting at once change the row once and never fail."""
    changed = claim(db, ContactMessage, item.id, where=[condition], values=values)
    db.refresh(item)
    return changed


def sent_from(db: Session, email: str) -> Sequence[ContactMessage]:
    """Every message sent from this address, oldest first, with its replies."""
    query = select(ContactMessage).where(func.lower(ContactMessage.email) == email.lower())
    return db.scalars(query.order_by(ContactMessage.created_at, ContactMessage.id)).all()


def delete_sent_from(db: Session, email: str) -> None:
    """Delete every message sent from this address; their replies go with them."""
    ids = [item.id for item in sent_from(db, email)]
    db.execute(delete(ContactReply).where(ContactReply.message_id.in_(ids)))
    db.execute(delete(ContactMessage).where(ContactMessage.id.in_(ids)))


def waiting(db: Session) -> tuple[int, int]:
    """Return how many messages are open, and how many of those nobody has read yet."""
    open_ = ContactMessage.handled_at.is_(None)
    total = db.scalar(select(func.count()).where(open_)) or 0
    unread = db.scalar(select(func.count()).where(open_, ContactMessage.read_at.is_(None))) or 0
    return total, unread
