"""Writing the audit trail: one row for every decision and every account change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent

SYSTEM = "system"


class Actor(Protocol):
    """Who acted, as the trail records them: an account's id and its email address at the time."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


def record(
    db: Session,
    *,
    actor: Actor | None,
    action: str,
    target_type: str,
    target_id: int | None,
    before: str = "",
    after: str = "",
    reason: str = "",
    ip: str = "",
) -> AuditEvent:
    """Add an audit event; it lands with the change it describes."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else SYSTEM,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before_state=before,
        after_state=after,
        reason=reason,
        ip=ip,
    )
    db.add(event)
    return event


def history(db: Session, target_type: str, target_id: int) -> Sequence[AuditEvent]:
    """Return the events about one target, oldest first."""
    query = select(AuditEvent).where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id)
    return db.scalars(query.order_by(AuditEvent.at, AuditEvent.id)).all()
