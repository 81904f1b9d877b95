"""Consent to the terms and the privacy notice: what a member accepted, and whether they must again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, distinct, func, literal, select
from sqlalchemy.orm import Session

from app.accounts.models import Consent, ConsentDocument, User
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow


def record_consent(db: Session, *, user: User, version: str, at: datetime | None = None) -> None:
    """Store the person's acceptance of the terms and the privacy notice in `version`."""
    for document in ConsentDocument:
        db.add(Consent(user_id=user.id, document=document, version=version, accepted_at=at or utcnow()))
    db.flush()


def needs_consent(db: Session, settings: Settings, user: User) -> bool:
    """Whether a member has yet to accept the current terms and privacy notice (staff are not asked)."""
    if user.is_staff:
        return False
    query = select(Consent.document).where(
        Consent.user_id == user.id, Consent.version == settings.terms_version
    )
    return set(db.scalars(query)) != set(ConsentDocument)


def accepted_current_terms(terms_version: str, user_id: SQLColumnExpression[int]) -> ColumnElement[bool]:
    """`needs_consent`'s test, negated, as an SQL condition: every document in `terms_version`."""
    documents = select(func.count(distinct(Consent.document))).where(
        Consent.user_id == user_id,
        Consent.version == terms_version,
        # Literals, not an expanding parameter: that would render the statement anew at each run.
        Consent.document.in_([literal(document) for document in ConsentDocument]),
    )
    return documents.scalar_subquery() == len(ConsentDocument)


def consents(db: Session, user_id: int) -> Sequence[Consent]:
    """Every acceptance a person has given, oldest first."""
    query = select(Consent).where(Consent.user_id == user_id)
    return db.scalars(query.order_by(Consent.accepted_at, Consent.id)).all()


def accept(db: Session, settings: Settings, user: User, *, ip: str) -> None:
    """Record that the person accepted the current terms and privacy notice."""
    record_consent(db, user=user, version=settings.terms_version)
    audit.record(
        db,
        actor=user,
        action="account.consented",
        target_type="user",
        target_id=user.id,
        after=settings.terms_version,
        ip=ip,
    )
