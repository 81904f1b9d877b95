"""Approved access over time: its period, reminders, expiry, suspension, reinstatement,
extension by a reviewer, renewal by the professional, and approval by the system.

Every change is a transition of the request's state machine (app/access/transitions.py), so two
processes (or two reviewers) make it once; it writes an audit event and queues its email in the
caller's transaction, and a change that ends access ends every session of the person in that same
transaction. Services flush; the caller (a view or a `portal tick` job) commits.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from app.access import checks
from app.access.models import STATE_NAMES, AccessRequest, RequestState
from app.access.transitions import Transition, compare_and_set, move
from app.accounts import service as accounts_service
from app.accounts import sessions
from app.accounts.models import User, UserSession
from app.audit import service as audit
from app.core import i18n
from app.core.config import Settings
from app.core.db import utcnow
from app.core.i18n import gettext as _

# Reminders go out this many days before access ends, each once per period.
REMINDER_DAYS = (30, 7)


class AccessChangeRefused(Exception):
    """The request is no longer in a state that allows this change (someone got there first)."""

    def __init__(self, request: AccessRequest) -> None:
        self.request = request
        state = _(STATE_NAMES[request.state])
        super().__init__(_("Nothing was changed: this access is %(state)s now.") % {"state": state})


def aware(value: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def day(settings: Settings, value: datetime) -> str:
    """A date as people read it in the current language, on the society's calendar: "3 March 2029"."""
    return i18n.format_date(aware(value), zone=settings.zone)


def period_end(settings: Settings, start: datetime) -> datetime:
    """When access granted at `start` ends."""
    return start + timedelta(days=settings.access_valid_days)


def approval_values(settings: Settings, now: datetime) -> dict[str, Any]:
    """The columns an approval sets: a fresh access period, no reminder sent yet."""
    return {"access_until": period_end(settings, now), "reminded_days_before": None}


def has_access(request: AccessRequest | None, now: datetime | None = None) -> bool:
    """Whether this (latest) request gives access now: approved, and its period not over."""
    if request is None or request.state != RequestState.APPROVED:
        return False
    return request.access_until is None or aware(request.access_until) > (now or utcnow())


def lapsed(request: AccessRequest | None, now: datetime | None = None) -> bool:
    """Approved, but its period is over: `portal tick` expires it; until then it reads as expired."""
    return (
        request is not None
        and request.state == RequestState.APPROVED
        and request.access_until is not None
        and aware(request.access_until) <= (now or utcnow())
    )


def state_now(request: AccessRequest, now: datetime | None = None) -> RequestState:
    """The state as the person reads it: lapsed access is expired before `portal tick` writes it."""
    return RequestState.EXPIRED if lapsed(request, now) else request.state


def outlived(request: AccessRequest | None, started_at: datetime, now: datetime | None = None) -> bool:
    """Whether a session begun at `started_at` ended with lapsed access: `expire`'s rule, read."""
    if not lapsed(request, now):
        return False
    assert request is not None and request.access_until is not None
    return aware(started_at) < aware(request.access_until)


def renewal_open(request: AccessRequest | None, now: datetime | None = None) -> bool:
    """Whether the account page offers renewal: ended access, or approved access near its end."""
    if request is None:
        return False
    if request.state in (RequestState.EXPIRED, RequestState.SUSPENDED):
        return True
    window = timedelta(days=max(REMINDER_DAYS))
    return lapsed(request, now) or (
        has_access(request, now)
        and request.access_until is not None
        and aware(request.access_until) - (now or utcnow()) <= window
    )


def email(db: Session, settings: Settings, user: User, message: str, **context: object) -> None:
    """Queue a lifecycle message to the person, with the links every one of them may use."""
    accounts_service.email_person(
        db,
        settings,
        user,
        message,
        link=accounts_service.mail_link(settings, user, "/account"),
        login_link=accounts_service.mail_link(settings, user, "/login"),
        contact=settings.contact_email,
        **context,
    )


def expire(db: Session, settings: Settings, request: AccessRequest, *, now: datetime | None = None) -> bool:
    """End access whose period is over, end the person's sessions and tell them how to renew."""
    now = now or utcnow()
    period_over = AccessRequest.access_until <= now
    if not move(db, request, Transition.EXPIRE, period_over):
        return False
    # Every session that began while access lasted ends (until this runs, `outlived` reads the
    # same rule). One begun after its end never gave access, and is left alone, so that logging in
    # after the end leads straight to renewal.
    assert request.access_until is not None
    db.execute(
        update(UserSession)
        .where(
            UserSession.user_id == request.user_id,
            UserSession.ended_at.is_(None),
            UserSession.created_at < request.access_until,
        )
        .values(ended_at=now),
        execution_options={"synchronize_session": False},
    )
    record(db, request, None, "access.expired", RequestState.APPROVED)
    email(db, settings, request.user, "access_expired")
    return True


def due_reminders(db: Session, *, now: datetime) -> list[tuple[int, int]]:
    """(request id, days) of approved access that has reached a reminder not yet sent."""
    found: dict[int, int] = {}
    for days in sorted(REMINDER_DAYS):  # the nearest reminder wins when several are due at once
        query = select(AccessRequest.id).where(*_reminder_due(days, now))
        for request_id in db.scalars(query.order_by(AccessRequest.id)):
            found.setdefault(request_id, days)
    return sorted(found.items())


def _reminder_due(days: int, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        AccessRequest.state == RequestState.APPROVED,
        AccessRequest.access_until > now,
        AccessRequest.access_until <= now + timedelta(days=days),
        or_(AccessRequest.reminded_days_before.is_(None), AccessRequest.reminded_days_before > days),
    )


def remind(db: Session, settings: Settings, request_id: int, days: int, *, now: datetime) -> bool:
    """Send the reminder `days` before the end, unless it (or a nearer one) has gone already."""
    request = db.get(AccessRequest, request_id)
    if request is None or not compare_and_set(
        db, request, *_reminder_due(days, now), reminded_days_before=days
    ):
        return False
    assert request.access_until is not None
    left = max(1, math.ceil((aware(request.access_until) - now) / timedelta(days=1)))
    email(db, settings, request.user, "access_expiring", until=request.access_until, days=left)
    return True


def lapsed_ids(db: Session, *, now: datetime) -> list[int]:
    """Approved requests whose period is over."""
    query = select(AccessRequest.id).where(
        AccessRequest.state == RequestState.APPROVED, AccessRequest.access_until <= now
    )
    return list(db.scalars(query.order_by(AccessRequest.id)))


def suspend(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    *,
    reviewer: User,
    reason: str,
    revision: int,
    ip: str = "",
) -> None:
    """Revoke access at once: every session of the person ends, and they are told why."""
    before = request.state
    if not move(db, request, Transition.SUSPEND, revision=revision):
        raise AccessChangeRefused(request)
    sessions.end_all(db, request.user_id)
    record(db, request, reviewer, "access.suspended", before, reason=reason, ip=ip)
    email(db, settings, request.user, "access_suspended", reason=reason)


def reinstate(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    *,
    reviewer: User,
    reason: str,
    revision: int,
    ip: str = "",
) -> None:
    """Give suspended access back; if its period ran out meanwhile, a new period starts."""
    now = utcnow()
    values: dict[str, Any] = {}
    if request.access_until is None or aware(request.access_until) <= now:
        values = approval_values(settings, now)
    if not move(db, request, Transition.REINSTATE, revision=revision, **values):
        raise AccessChangeRefused(request)
    record(db, request, reviewer, "access.reinstated", RequestState.SUSPENDED, reason=reason, ip=ip)
    assert request.access_until is not None
    email(db, settings, request.user, "access_reinstated", until=request.access_until)


def extend(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    *,
    reviewer: User,
    until: datetime,
    reason: str,
    revision: int,
    ip: str = "",
) -> None:
    """Set a new end of access by hand (also for expired access, which is approved again)."""
    if until <= utcnow():
        raise ValueError("the new end of access must lie in the future")
    before = request.state
    values = {"access_until": until, "reminded_days_before": None}
    if not move(db, request, Transition.EXTEND, revision=revision, **values):
        raise AccessChangeRefused(request)
    with i18n.using(i18n.SOURCE_LANGUAGE):  # the audit trail is written in one language
        note = f"Until {day(settings, until)}." + (f" {reason}" if reason else "")
    record(db, request, reviewer, "access.extended", before, reason=note, ip=ip)
    email(db, settings, request.user, "access_renewed", until=until)


def record(
    db: Session,
    request: AccessRequest,
    actor: User | None,
    action: str,
    before: RequestState,
    *,
    reason: str = "",
    ip: str = "",
) -> None:
    """Audit a change of the request's state, from `before` to the state it has now."""
    audit.record(
        db,
        actor=actor,
        action=action,
        target_type="access_request",
        target_id=request.id,
        before=before,
        after=request.state,
        reason=reason,
        ip=ip,
    )


def auto_approvable(settings: Settings, request: AccessRequest) -> bool:
    """A confirmed address on an auto-approval domain and a licence number that passes its check."""
    domain = checks.email_domain(request.user.email)
    if not domain or domain not in settings.auto_approve_domain_set:
        return False
    if request.user.email_verified_at is None:
        return False
    return checks.check_licence(request.licence_number, request.licence_country).status == "valid"


def auto_approve(db: Session, settings: Settings, request: AccessRequest, *, ip: str = "") -> bool:
    """Approve a pending request at once, decided by the system, when it qualifies (off by default)."""
    # A failed check (a licence number another account uses, say) needs a reviewer's decision.
    if not auto_approvable(settings, request) or checks.failed_checks(db, settings, request):
        return False
    now = utcnow()
    decision = {"decided_at": now, "decided_by_id": None, "decision_reason": ""}
    values = {**decision, **approval_values(settings, now)}
    if not move(db, request, Transition.APPROVE_AUTOMATICALLY, **values):
        return False
    request.user.profession = request.profession
    reason = "Approved automatically: allow-listed email domain and a valid licence number."
    record(db, request, None, "request.approved", RequestState.PENDING, reason=reason, ip=ip)
    email(db, settings, request.user, "approved")
    return True
