"""Access requests: a clinician's application for the professional area, and its state."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User, string_enum
from app.core.db import Base, utcnow
from app.core.i18n import N_
from app.core.policy import Profession


class RequestState(StrEnum):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    # An approved request's access ended: revoked by a reviewer, or its period ran out.
    SUSPENDED = "suspended"
    EXPIRED = "expired"


# A state as staff pages and messages name it; translated where it is shown.
STATE_NAMES = {
    RequestState.UNVERIFIED: N_("email not confirmed"),
    RequestState.PENDING: N_("pending"),
    RequestState.NEEDS_INFO: N_("needs info"),
    RequestState.APPROVED: N_("approved"),
    RequestState.REJECTED: N_("rejected"),
    RequestState.WITHDRAWN: N_("withdrawn"),
    RequestState.SUSPENDED: N_("suspended"),
    RequestState.EXPIRED: N_("expired"),
}

OPEN_STATES = frozenset({RequestState.UNVERIFIED, RequestState.PENDING, RequestState.NEEDS_INFO})
DECIDED_STATES = frozenset({RequestState.APPROVED, RequestState.REJECTED})


class AccessRequest(Base):
    __tablename__ = "access_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    state: Mapped[RequestState] = mapped_column(string_enum(RequestState), index=True)
    profession: Mapped[Profession] = mapped_column(string_enum(Profession), index=True)
    specialty: Mapped[str] = mapped_column(String(200), default="")
    licence_number: Mapped[str] = mapped_column(String(60), index=True)
    licence_country: Mapped[str] = mapped_column(String(2))
    institution: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str] = mapped_column(String(2))
    group_membership: Mapped[str] = mapped_column(String(300), default="")
    document_path: Mapped[str | None] = mapped_column(String(500))
    document_name: Mapped[str] = mapped_column(String(255), default="")
    document_type: Mapped[str] = mapped_column(String(60), default="")
    terms_version: Mapped[str] = mapped_column(String(20))
    terms_accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Indexed: the usual review time is taken over the newest decisions.
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Set at approval; the lifecycle (app/access/lifecycle.py) reminds before it and expires at it.
    access_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The days-before-the-end of the last reminder sent for this period (30, then 7), so each goes once.
    reminded_days_before: Mapped[int | None] = mapped_column(Integer)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ReviewDigest(Base):
    """The daily digest of long-waiting requests went to the reviewers on this day (at most once)."""

    __tablename__ = "review_digest"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    request_count: Mapped[int] = mapped_column(Integer, default=0)
