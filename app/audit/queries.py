"""Reading the audit trail: the filtered log for admins, and what concerns one person."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.pagination import Page, paginate
from app.core.text import row_number


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; empty fields match every event."""

    actor: str = ""
    # The accounts whose name or address contains `actor` today (accounts.people.named): the trail
    # itself knows only the label it recorded.
    actor_accounts: Select[int] | None = None
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    start: date | None = None
    end: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _actor_matches(filters: AuditFilters) -> ColumnElement[bool]:
    """A number names the account; other text is looked for in the recorded label and today's name."""
    text = filters.actor
    if text.isascii() and text.isdigit():
        number = row_number(text)
        return AuditEvent.actor_id == number if number is not None else false()
    # The label is what was recorded (anonymised on erasure); the account shows today's name.
    label = AuditEvent.actor_label.icontains(text, autoescape=True)
    if filters.actor_accounts is None:
        return label
    return or_(label, AuditEvent.actor_id.in_(filters.actor_accounts))


def _filtered(filters: AuditFilters) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(_actor_matches(filters))
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.start:
        query = query.where(AuditEvent.at >= _day_start(filters.start))
    if filters.end and filters.end < date.max:
        # Inclusive: everything before the start of the following day (the last day has none).
        query = query.where(AuditEvent.at < _day_start(filters.end + timedelta(days=1)))
    return query


def _newest_first(query: Select[AuditEvent]) -> Select[AuditEvent]:
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def search(db: Session, *, filters: AuditFilters, page: int, size: int = 50) -> Page[AuditEvent]:
    """Return one page of the events these filters match, newest first."""
    return paginate(db, _newest_first(_filtered(filters)), number=page, size=size)


def export(db: Session, *, filters: AuditFilters, limit: int) -> Sequence[AuditEvent]:
    """Return up to `limit` matching events, newest first, for a download."""
    return db.scalars(_newest_first(_filtered(filters)).limit(limit)).all()


def actions(db: Session) -> list[str]:
    """Return every action the log holds, in alphabetical order."""
    return list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def target_types(db: Session) -> list[str]:
    """Return every kind of target the log holds, in alphabetical order."""
    return list(db.scalars(select(AuditEvent.target_type).distinct().order_by(AuditEvent.target_type)))


def user_targets(events: Iterable[AuditEvent]) -> list[int | None]:
    """The ids of the accounts these events are about."""
    return [event.target_id for event in events if event.target_type == "user"]


def by_actor(db: Session, user_id: int, *, limit: int) -> Sequence[AuditEvent]:
    """Return the newest events a person caused, such as their decisions."""
    query = select(AuditEvent).where(AuditEvent.actor_id == user_id)
    return db.scalars(_newest_first(query).limit(limit)).all()


def concerning(db: Session, user_id: int, request_ids: Sequence[int], *, limit: int) -> Sequence[AuditEvent]:
    """Return the newest events about a person or one of their access requests."""
    about = [and_(AuditEvent.target_type == "user", AuditEvent.target_id == user_id)]
    if request_ids:
        about.append(and_(AuditEvent.target_type == "access_request", AuditEvent.target_id.in_(request_ids)))
    query = select(AuditEvent).where(or_(*about))
    return db.scalars(_newest_first(query).limit(limit)).all()
