"""Jobs of the access lifecycle: reminders, expiries, the reviewers' digest, old documents.

Each job claims its work item by item with a compare-and-set UPDATE (or, for the digest, a row
per day under a unique key) and commits each item with its emails, so a second run, or a run in
another process at the same moment, finds nothing left to do and sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access import service as access_service
from app.access.models import OPEN_STATES, AccessRequest, RequestState, ReviewDigest
from app.accounts import service as accounts_service
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import claim
from app.core.policy import PROFESSION_NAMES
from app.core.web import waiting_time

log = structlog.get_logger(__name__)


def send_reminders(db: Session, settings: Settings, now: datetime) -> int:
    """Remind professionals 30 and 7 days before their access ends."""
    sent = 0
    for request_id, days in lifecycle.due_reminders(db, now=now):
        if lifecycle.remind(db, settings, request_id, days, now=now):
            db.commit()
            sent += 1
        else:
            db.rollback()
    return sent


def expire_lapsed(db: Session, settings: Settings, now: datetime) -> int:
    """Expire access whose period is over: state, sessions, audit event and email (requests only read)."""
    expired = 0
    for request_id in lifecycle.lapsed_ids(db, now=now):
        request = db.get(AccessRequest, request_id)
        if request is not None and lifecycle.expire(db, settings, request, now=now):
            db.commit()
            expired += 1
        else:
            db.rollback()
    return expired


def send_review_digest(db: Session, settings: Settings, now: datetime) -> int:
    """Once a day, tell every reviewer which requests have waited longer than they should."""
    today = now.date()
    if now.hour < settings.review_digest_hour or db.get(ReviewDigest, today) is not None:
        return 0
    cutoff = now - timedelta(hours=settings.review_reminder_hours)
    pending = access_service.queue(db, state=RequestState.PENDING, profession=None)
    waiting = [r for r in pending if lifecycle.aware(r.submitted_at or r.created_at) <= cutoff]
    reviewers = accounts_service.reviewers(db)
    if not waiting or not reviewers:
        return 0
    try:
        # The day's row is the claim: a second process inserting it fails here and sends nothing.
        db.add(ReviewDigest(day=today, sent_at=now, request_count=len(waiting)))
        db.flush()
    except IntegrityError:
        db.rollback()
        return 0
    for reviewer in reviewers:
        # Each reviewer's links open the staff area in the language of their email.
        items = [
            {
                "applicant": r.user.full_name,
                "profession": PROFESSION_NAMES[r.profession],  # translated in the template
                "waited": waiting_time(r.submitted_at or r.created_at, now),
                "link": accounts_service.mail_link(settings, reviewer, f"/admin/requests/{r.id}"),
            }
            for r in waiting
        ]
        accounts_service.email_person(
            db,
            settings,
            reviewer,
            "review_digest",
            items=items,
            count=len(items),
            hours=settings.review_reminder_hours,
            queue_link=accounts_service.mail_link(settings, reviewer, "/admin/requests?status=pending"),
        )
    db.commit()
    return len(reviewers)


def delete_documents(db: Session, settings: Settings, now: datetime) -> int:
    """Delete credential documents the configured number of days after the decision."""
    cutoff = now - timedelta(days=settings.document_retention_days)
    decided = func.coalesce(AccessRequest.decided_at, AccessRequest.submitted_at, AccessRequest.created_at)
    query = select(AccessRequest.id, AccessRequest.document_path).where(
        AccessRequest.document_path.is_not(None),
        AccessRequest.state.not_in(OPEN_STATES),
        decided <= cutoff,
    )
    deleted = 0
    for request_id, path in db.execute(query.order_by(AccessRequest.id)).all():
        cleared = claim(
            db, AccessRequest, request_id, expected={"document_path": path}, values={"document_path": None}
        )
        if not cleared:
            db.rollback()
            continue
        audit.record(
            db,
            actor=None,
            action="request.document_deleted",
            target_type="access_request",
            target_id=request_id,
            reason=f"{settings.document_retention_days} days after the decision",
        )
        db.flush()
        # Removed before the commit: should the commit fail, the next run clears the path again.
        _remove(Path(str(path)), settings.upload_dir)
        db.commit()
        deleted += 1
    return deleted


def _remove(path: Path, upload_dir: Path) -> None:
    if not path.resolve().is_relative_to(upload_dir.resolve()):
        log.warning("tick.document_outside_uploads", path=str(path))
        return
    path.unlink(missing_ok=True)
