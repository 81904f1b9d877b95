"""Privacy rights: a copy of one's data, and erasure.

Erasure keeps the account row and the audit trail, with the person replaced by the marker
`deleted-user-<id>` everywhere: the row keeps the requests and decisions of others meaningful,
the marker frees the email address, and nothing left points back to the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import escape
from sqlalchemy import (
    ColumnElement,
    Enum,
    String,
    and_,
    delete,
    false,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.access import transitions
from app.access.models import AccessRequest, RequestState
from app.access.transitions import Transition
from app.accounts import consent, people
from app.accounts.models import AuthToken, Consent, User, UserSession
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.contact import service as contact_service
from app.contact.models import ContactMessage
from app.core.config import Settings
from app.core.db import Base, utcnow
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.mail import service as mail_service
from app.mail.models import OutboxMessage

EXPORT_FORMAT = "portico-personal-data/1"
EXPORT_NOTES = {
    "documents": N_(
        "Credential documents you uploaded are listed by name and type only (document_name, "
        "document_type); the files themselves are not part of this download. Write to the society "
        "for a copy."
    ),
    "other_people": N_(
        "Decisions name the reviewer who made them; nothing else about other people is included."
    ),
    "contact_messages": N_(
        "Messages sent with the contact form from your address, with the society's replies and the "
        "name of the member of staff who wrote each."
    ),
    "secrets": N_(
        "Your password and the tokens of your sessions and emailed links are stored only as one-way "
        "hashes and are left out; links in the copies of emails have their tokens removed."
    ),
}
KEPT_ON_REQUESTS = frozenset({"terms_version"})  # with the state and profession: not personal
# Server paths, references to other rows and credentials stay out of the export.
NOT_EXPORTED = frozenset({"password_hash", "document_path", "user_id", "decided_by_id"})
_TOKEN_IN_LINK = re.compile(r"(token=)[^\s&\"'<>]+", re.IGNORECASE)


class StaffAccount(Exception):
    """Staff accounts are removed by an admin, not by their owner."""


# Export


def export(db: Session, user: User) -> dict[str, Any]:
    """Gather every piece of personal data held about `user`, as plain JSON values."""
    requests = _requests(db, user.id)
    sessions = db.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    emails = db.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == user.email).order_by(OutboxMessage.id)
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(utcnow()),
        "notes": {key: _(note) for key, note in EXPORT_NOTES.items()},  # in the page's language
        "profile": _fields(user),
        "access_requests": [_request(item) for item in requests],
        "events": _events(db, user, [item.id for item in requests]),
        "consents": [_fields(item) for item in consent.consents(db, user.id)],
        "sessions": [_fields(session) for session in sessions],
        "contact_messages": [_contact(item) for item in contact_service.sent_from(db, user.email)],
        "emails": [
            {
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "status": m.status,
                "subject": m.subject,
                "text": _TOKEN_IN_LINK.sub(r"\1[removed]", m.text_body),
            }
            for m in emails
        ],
    }


def _fields(row: Base) -> dict[str, Any]:
    """Every column of a row as JSON values (so new columns are never forgotten), minus secrets."""
    values: dict[str, Any] = {}
    for column in inspect(row).mapper.column_attrs:
        if column.key in NOT_EXPORTED or column.key.endswith("_hash") or "secret" in column.key:
            continue
        value = getattr(row, column.key)
        values[column.key] = _iso(value) if isinstance(value, datetime) else value
    return values


def _contact(item: ContactMessage) -> dict[str, Any]:
    """A message sent with the contact form from the account's address, and the answers to it."""
    return {
        **_fields(item),
        "replies": [
            {
                "at": _iso(answer.created_at),
                "by": answer.author.full_name if answer.author else None,
                "text": answer.body,
            }
            for answer in item.replies
        ],
    }


def _request(item: AccessRequest) -> dict[str, Any]:
    return {
        **_fields(item),
        "document_file_included": False,
        "decided_by": item.decided_by.full_name if item.decided_by else None,
    }


def _events(db: Session, user: User, request_ids: list[int]) -> list[dict[str, Any]]:
    """Events about the person or done by them; anyone else appears by name only."""
    query = select(AuditEvent).where(or_(_about(user.id, request_ids), AuditEvent.actor_id == user.id))
    events = db.scalars(query.order_by(AuditEvent.at, AuditEvent.id)).all()
    actors = {event.actor_id for event in events if event.actor_id not in (None, user.id)}
    names = {
        row.id: row.full_name
        for row in db.execute(select(User.id, User.full_name).where(User.id.in_(actors)))
    }
    entries = []
    for event in events:
        own = event.actor_id == user.id
        entry: dict[str, Any] = {
            "at": _iso(event.at),
            "action": event.action,
            "about": f"{event.target_type} {event.target_id}",
            "from_state": event.before_state,
            "to_state": event.after_state,
            "by": "you" if own else names.get(event.actor_id or 0) or _nameless(event),
        }
        # A staff member's own actions on other people's requests carry no reason: it is about them.
        if _is_about(event, user.id, request_ids):
            entry["reason"] = event.reason
        if own:
            entry["ip"] = event.ip
        entries.append(entry)
    return entries


def _nameless(event: AuditEvent) -> str:
    return audit.SYSTEM if event.actor_label == audit.SYSTEM else "a former member of staff"


# Erasure


def marker(user: User) -> str:
    """The anonymous name a deleted person keeps in the records: `deleted-user-<id>`."""
    return f"deleted-user-{user.id}"


def delete_account(db: Session, settings: Settings, user: User) -> list[Path]:
    """Erase a member's personal data, keep the audit trail anonymised and queue a last email.

    Returns the credential documents to remove from disk once the transaction has committed.
    """
    if user.is_staff:
        raise StaffAccount(user.id)
    anonymous = marker(user)
    requests = _requests(db, user.id)
    names = _identifiers(user, requests)
    documents = [Path(item.document_path) for item in requests if item.document_path]
    # Queued while the address is still known; the row keeps it only until it is delivered.
    farewell = mail_service.queue(
        db,
        message="account_deleted",
        to=user.email,
        context={"society": settings.society_name, "contact": settings.contact_email},
        language=people.mail_language(user),
    )
    _erase_mail(db, user.email, [user.email, user.full_name], anonymous, keep=farewell.id)
    contact_service.delete_sent_from(db, user.email)
    _anonymise_events(db, user, [item.id for item in requests], names, anonymous)
    for item in requests:
        _close_and_erase(db, item, user, anonymous)
    for model in (UserSession, AuthToken, Consent):
        db.execute(delete(model).where(model.user_id == user.id))
    for column in inspect(user).mapper.column_attrs:
        if column.columns[0].nullable:
            setattr(user, column.key, None)
    user.email = user.full_name = anonymous
    user.password_hash = "!"  # noqa: S105 (matches no password)
    _record_as(db, user.id, anonymous, action="account.deleted", target_type="user", target_id=user.id)
    db.flush()
    return documents


def remove_documents(settings: Settings, paths: Iterable[Path]) -> None:
    """Delete credential files from disk, only ever inside the upload folder."""
    root = settings.upload_dir.resolve()
    for path in paths:
        resolved = path.resolve()
        if resolved.is_relative_to(root):
            resolved.unlink(missing_ok=True)


def _identifiers(user: User, requests: Sequence[AccessRequest]) -> list[str]:
    """What names the person in free text: email, full name, licence numbers (longest first)."""
    found = {user.email, user.full_name, *(item.licence_number for item in requests)}
    return sorted((text for text in found if len(text.strip()) >= 3), key=len, reverse=True)


def _scrub(text: str, names: Sequence[str], anonymous: str) -> str:
    """Replace whole-word occurrences of each name, as typed and as HTML-escaped."""
    for name in names:
        for form in dict.fromkeys((name, str(escape(name)))):
            text = re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", anonymous, text, flags=re.IGNORECASE)
    return text


def _erase_mail(db: Session, address: str, names: Sequence[str], anonymous: str, *, keep: int) -> None:
    """Delete the mail sent to the person; take their name out of mail sent to others about them."""
    db.execute(delete(OutboxMessage).where(OutboxMessage.to_address == address, OutboxMessage.id != keep))
    fields = (OutboxMessage.subject, OutboxMessage.text_body, OutboxMessage.html_body)
    mentions = or_(false(), *(field.icontains(name, autoescape=True) for field in fields for name in names))
    for row in db.scalars(select(OutboxMessage).where(OutboxMessage.id != keep, mentions)):
        row.subject = _scrub(row.subject, names, anonymous)
        row.text_body = _scrub(row.text_body, names, anonymous)
        row.html_body = _scrub(row.html_body, names, anonymous)
        if row.text_to_send is not None and row.html_to_send is not None:
            row.text_to_send = _scrub(row.text_to_send, names, anonymous)
            row.html_to_send = _scrub(row.html_to_send, names, anonymous)


def _anonymise_events(
    db: Session, user: User, request_ids: list[int], names: Sequence[str], anonymous: str
) -> None:
    """Replace the person in the audit trail; their own words and addresses are erased."""
    mentioned = or_(
        AuditEvent.actor_label.icontains(user.email, autoescape=True),
        AuditEvent.reason.icontains(user.email, autoescape=True),
    )
    query = select(AuditEvent).where(
        or_(AuditEvent.actor_id == user.id, _about(user.id, request_ids), mentioned)
    )
    for event in db.scalars(query):
        if event.actor_id == user.id:
            event.actor_label, event.ip, event.reason = anonymous, "", ""
        # Elsewhere only the address is certain to be theirs; a name may be someone else's too.
        scrubbed = names if _is_about(event, user.id, request_ids) else [user.email]
        event.actor_label = _scrub(event.actor_label, scrubbed, anonymous)
        event.reason = _scrub(event.reason, scrubbed, anonymous)


def _close_and_erase(db: Session, item: AccessRequest, user: User, anonymous: str) -> None:
    """End a request that still gives or awaits access, then erase what it said about the person."""
    before = item.state
    if transitions.move(db, item, Transition.CLOSE_ON_DELETION):
        _record_as(
            db,
            user.id,
            anonymous,
            action="request.withdrawn",
            target_type="access_request",
            target_id=item.id,
            before=before,
            after=RequestState.WITHDRAWN,
            reason="The applicant deleted their account.",
        )
    # Every text the request holds, whatever columns it gains later, except its kind and state.
    for column in inspect(item).mapper.column_attrs:
        kind = column.columns[0].type
        if column.key not in KEPT_ON_REQUESTS and isinstance(kind, String) and not isinstance(kind, Enum):
            setattr(item, column.key, None if column.columns[0].nullable else "")


def _record_as(db: Session, user_id: int, anonymous: str, **fields: Any) -> None:
    """An audit event done by the deleted person, under their anonymous marker and without an IP."""
    event = audit.record(db, actor=None, **fields)
    event.actor_id, event.actor_label = user_id, anonymous


def _requests(db: Session, user_id: int) -> Sequence[AccessRequest]:
    query = select(AccessRequest).where(AccessRequest.user_id == user_id)
    return db.scalars(query.order_by(AccessRequest.id)).all()


def _about(user_id: int, request_ids: list[int]) -> ColumnElement[bool]:
    return or_(
        and_(AuditEvent.target_type == "user", AuditEvent.target_id == user_id),
        and_(AuditEvent.target_type == "access_request", AuditEvent.target_id.in_(request_ids)),
    )


def _is_about(event: AuditEvent, user_id: int, request_ids: list[int]) -> bool:
    if event.target_type == "user":
        return event.target_id == user_id
    return event.target_type == "access_request" and event.target_id in request_ids


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    # SQLite returns naive datetimes; everything stored is UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
