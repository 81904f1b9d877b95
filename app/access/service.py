"""Applying for access and deciding on it. Every change of state is a transition of the request's
state machine (app/access/transitions.py); each writes an audit event and queues the emails it
causes, all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.access import checks, documents, lifecycle
from app.access.models import DECIDED_STATES, STATE_NAMES, AccessRequest, RequestState
from app.access.transitions import DECISIONS, REVIEWABLE, Transition, move
from app.accounts import consent, people
from app.accounts import service as accounts_service
from app.accounts.models import TokenPurpose, User
from app.audit import service as audit
from app.core import malware
from app.core.config import Settings
from app.core.db import utcnow
from app.core.i18n import gettext as _
from app.core.policy import PROFESSION_NAMES, Profession
from app.core.security import hash_password

# A reviewer's outcome: the audit action it records and the email the applicant receives.
OUTCOMES = {
    RequestState.APPROVED: ("request.approved", "approved"),
    RequestState.REJECTED: ("request.rejected", "rejected"),
    RequestState.NEEDS_INFO: ("request.info_requested", "more_info_needed"),
}


class TransitionRefused(Exception):
    """The request is no longer in a state that allows this; someone else got there first."""

    def __init__(self, request: AccessRequest) -> None:
        self.request = request
        who = request.decided_by.full_name if request.decided_by else _("the applicant")
        state = _(STATE_NAMES[request.state])
        super().__init__(
            _("This request is already %(state)s (by %(name)s).") % {"state": state, "name": who}
        )


class ChecksNotConfirmed(Exception):
    """An approval of a request that failed checks the reviewer has not confirmed by name."""

    def __init__(self, failed: tuple[str, ...]) -> None:
        self.failed = failed
        super().__init__(f"This request failed checks: {', '.join(failed)}.")


@dataclass(frozen=True)
class Application:
    """What the request form collects, already validated."""

    full_name: str
    email: str
    password: str
    profession: Profession
    specialty: str
    licence_number: str
    licence_country: str
    institution: str
    country: str
    group_membership: str


def latest_request(db: Session, user_id: int) -> AccessRequest | None:
    """Return a user's newest access request."""
    query = select(AccessRequest).where(AccessRequest.user_id == user_id)
    return db.scalars(query.order_by(AccessRequest.id.desc()).limit(1)).first()


def submit(
    db: Session, settings: Settings, form: Application, *, document: documents.Document | None, ip: str
) -> None:
    """Create an unverified account and request and email the confirmation link.

    An address that already has an account gets an email saying so instead, and the caller shows
    the same page either way, so the form never reveals who has an account. The document is
    scanned for malware (malware.Refused) and stored only with a new request: a file on disk
    always has its row.
    """
    if document:
        # Scanned whether or not the address is known, so a refusal cannot tell the two apart.
        malware.scan(settings.malware_scanner, document.content)
    existing = accounts_service.find_by_email(db, form.email)
    if existing is not None:
        # Spend the time a new account's hashing and document take, so timing cannot tell the two apart.
        hash_password(settings, form.password)
        if document:
            documents.write_nowhere(document, settings.upload_dir / "requests")
        accounts_service.notify_existing_account(db, settings, existing)
        return
    user = User(
        email=form.email,
        password_hash=hash_password(settings, form.password),
        full_name=form.full_name,
        profession=form.profession,
        # The language of the form they filled in: their emails and their site until they choose.
        language=people.page_language(settings),
    )
    db.add(user)
    db.flush()
    now = utcnow()
    request = AccessRequest(
        user_id=user.id,
        state=RequestState.UNVERIFIED,
        profession=form.profession,
        specialty=form.specialty,
        licence_number=form.licence_number,
        licence_country=form.licence_country,
        institution=form.institution,
        country=form.country,
        group_membership=form.group_membership,
        **documents.request_fields(db, document, settings.upload_dir / "requests"),
        terms_version=settings.terms_version,
        terms_accepted_at=now,
    )
    db.add(request)
    db.flush()
    # Accepting on the form is the person's first consent to the terms and the privacy notice.
    consent.record_consent(db, user=user, version=settings.terms_version, at=now)
    audit.record(
        db,
        actor=user,
        action="request.submitted",
        target_type="access_request",
        target_id=request.id,
        after=RequestState.UNVERIFIED,
        ip=ip,
    )
    accounts_service.send_verification(db, settings, user)


def verify_email(db: Session, settings: Settings, token: str, *, ip: str) -> User | None:
    """Confirm an email address and put the request into the review queue; None if the link is bad."""
    user = accounts_service.use_token(db, token, TokenPurpose.VERIFY_EMAIL)
    if user is None:
        return None
    user.email_verified_at = user.email_verified_at or utcnow()
    request = latest_request(db, user.id)
    if request and move(db, request, Transition.VERIFY, submitted_at=utcnow()):
        lifecycle.record(db, request, user, "request.verified", RequestState.UNVERIFIED, ip=ip)
        if lifecycle.auto_approve(db, settings, request, ip=ip):  # off unless domains are configured
            return user
        accounts_service.email_person(db, settings, user, "request_received")
        tell_reviewers(db, settings, request)
    return user


def tell_reviewers(db: Session, settings: Settings, request: AccessRequest) -> None:
    """Email every reviewer that `request` waits for a decision (also used by renewals)."""
    for reviewer in accounts_service.reviewers(db):
        accounts_service.email_person(
            db,
            settings,
            reviewer,
            "new_request",
            applicant=request.user.full_name,
            profession=PROFESSION_NAMES[request.profession],  # translated in the template
            link=accounts_service.mail_link(settings, reviewer, f"/admin/requests/{request.id}"),
        )


def decide(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    *,
    reviewer: User,
    outcome: RequestState,
    revision: int,
    reason: str = "",
    overridden: Collection[str] = (),
    ip: str = "",
) -> None:
    """Approve, reject (with a reason) or ask for information, once, and tell the applicant.

    An approval of a request that fails reviewer checks needs each of them in `overridden`.
    """
    before = request.state
    note = reason
    # Checked on the page the reviewer saw: a request that changed meanwhile is refused below anyway.
    current = request.state in REVIEWABLE and request.revision == revision
    if (
        outcome == RequestState.APPROVED
        and current
        and (failed := checks.failed_checks(db, settings, request))
    ):
        if not set(failed) <= set(overridden):
            raise ChecksNotConfirmed(failed)
        labels = ", ".join(checks.FAILED_CHECKS[name] for name in failed)
        note = f"Approved despite failed checks: {labels}."
    values: dict[str, object] = {}
    if outcome in DECIDED_STATES:
        values = {"decided_at": utcnow(), "decided_by_id": reviewer.id, "decision_reason": reason}
    else:
        values = {"question": reason, "answer": "", "decided_by_id": reviewer.id}
    if outcome == RequestState.APPROVED:
        values.update(lifecycle.approval_values(settings, utcnow()))  # the access period starts
    if not move(db, request, DECISIONS[outcome], revision=revision, **values):
        raise TransitionRefused(request)
    if outcome == RequestState.APPROVED:
        request.user.profession = request.profession  # a renewal may have changed it
    action, message = OUTCOMES[outcome]
    lifecycle.record(db, request, reviewer, action, before, reason=note, ip=ip)
    accounts_service.email_person(
        db,
        settings,
        request.user,
        message,
        login_link=accounts_service.mail_link(settings, request.user, "/login"),
        link=accounts_service.mail_link(settings, request.user, "/account"),
        reason=reason,
        question=reason,
    )


def answer(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    *,
    text: str,
    document: documents.Document | None = None,
    ip: str,
) -> None:
    """Record the applicant's answer, and the document sent with it, and put the request back in the queue.

    The request keeps one document: one sent with an answer takes the place of an earlier one
    (whose file `portal tick` then removes), and the history names it.
    """
    values: dict[str, Any] = {"answer": text}
    if document:
        malware.scan(settings.malware_scanner, document.content)
        values |= documents.request_fields(db, document, settings.upload_dir / "requests")
    if not move(db, request, Transition.ANSWER, **values):
        raise TransitionRefused(request)
    lifecycle.record(
        db, request, request.user, "request.answered", RequestState.NEEDS_INFO, reason=text, ip=ip
    )
    if document:
        audit.record(
            db,
            actor=request.user,
            action="request.document_added",
            target_type="access_request",
            target_id=request.id,
            reason=document.name,
            ip=ip,
        )
    tell_reviewers(db, settings, request)


def withdraw(db: Session, request: AccessRequest, *, ip: str) -> None:
    """Let the applicant take back a request that is not decided."""
    before = request.state
    if not move(db, request, Transition.WITHDRAW):
        raise TransitionRefused(request)
    lifecycle.record(db, request, request.user, "request.withdrawn", before, ip=ip)


# The queue's order: oldest first, by when the request reached it.
_queued_at: ColumnElement[datetime] = func.coalesce(AccessRequest.submitted_at, AccessRequest.created_at)


def queue(
    db: Session,
    *,
    state: RequestState | None,
    profession: Profession | None,
    document: bool | None = None,
    waiting_since: datetime | None = None,
) -> Sequence[AccessRequest]:
    """Requests for review, oldest first, by state, profession, document and time in the queue."""
    query = select(AccessRequest).where(AccessRequest.state != RequestState.UNVERIFIED)
    if state:
        query = query.where(AccessRequest.state == state)
    if profession:
        query = query.where(AccessRequest.profession == profession)
    if document is not None:
        attached = AccessRequest.document_path.is_not(None)
        query = query.where(attached if document else ~attached)
    if waiting_since is not None:
        query = query.where(waiting_since >= _queued_at)
    return db.scalars(query.order_by(_queued_at, AccessRequest.id).limit(500)).all()


def next_waiting(db: Session, request: AccessRequest, *, backwards: bool = False) -> int | None:
    """The id of the pending request after this one in the queue's order (before it, backwards)."""
    since = request.submitted_at or request.created_at
    same_time = _queued_at == since
    if backwards:
        beyond = or_(_queued_at < since, and_(same_time, AccessRequest.id < request.id))
        order = (_queued_at.desc(), AccessRequest.id.desc())
    else:
        beyond = or_(_queued_at > since, and_(same_time, AccessRequest.id > request.id))
        order = (_queued_at.asc(), AccessRequest.id.asc())
    query = select(AccessRequest.id).where(AccessRequest.state == RequestState.PENDING, beyond)
    return db.scalar(query.order_by(*order).limit(1))


def first_waiting(db: Session) -> int | None:
    """The id of the pending request that has waited longest."""
    query = select(AccessRequest.id).where(AccessRequest.state == RequestState.PENDING)
    return db.scalar(query.order_by(_queued_at, AccessRequest.id).limit(1))


def others_with_licence(db: Session, request: AccessRequest) -> Sequence[AccessRequest]:
    """Other people's requests naming the same licence number."""
    query = select(AccessRequest).where(
        AccessRequest.licence_number == request.licence_number, AccessRequest.user_id != request.user_id
    )
    return db.scalars(query.order_by(AccessRequest.id)).all()


def applicants(db: Session, request_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """Return whose each request is: its applicant's account and today's name, by request id."""
    if not request_ids:
        return {}
    query = select(AccessRequest.id, User.id, User.full_name).join(User, AccessRequest.user_id == User.id)
    rows = db.execute(query.where(AccessRequest.id.in_(request_ids)))
    return {request_id: (user_id, name) for request_id, user_id, name in rows}


def earlier_requests(db: Session, request: AccessRequest) -> Sequence[AccessRequest]:
    query = select(AccessRequest).where(
        AccessRequest.user_id == request.user_id, AccessRequest.id != request.id
    )
    return db.scalars(query.order_by(AccessRequest.id.desc())).all()


def may_apply_again(settings: Settings, request: AccessRequest | None) -> bool:
    """A rejected or withdrawn applicant may apply again after the waiting period."""
    if request is None or request.state == RequestState.WITHDRAWN:
        return True
    if request.state != RequestState.REJECTED or request.decided_at is None:
        return False
    decided = (
        request.decided_at
        if request.decided_at.tzinfo
        else request.decided_at.replace(tzinfo=utcnow().tzinfo)
    )
    return utcnow() >= decided + timedelta(days=settings.reapply_wait_days)
