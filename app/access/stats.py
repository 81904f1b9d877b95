"""Figures for the reviewers' dashboard: how big the queue is, and how fast it moves."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.models import AccessRequest
from app.access.transitions import REVIEWABLE

WINDOW = timedelta(days=30)
# Far more decisions than a month brings; the median is taken over the newest this many.
MAX_DECISIONS = 20_000
# What applicants are told of the wait: the median over the last half-year, once it rests on
# enough decisions to mean something.
USUAL_WINDOW = timedelta(days=182)
MIN_DECISIONS = 5
# ...and over the newest this many of them (read from the index on `decided_at`), so the figure
# costs the same however many requests were decided. Deciding raises no content version: a
# stored landing page shows the figure it was built with until the page cache lets it go.
USUAL_DECISIONS = 200


@dataclass(frozen=True)
class ReviewStats:
    waiting: int
    oldest_since: datetime | None
    decided: int
    median_to_decision: timedelta | None
    window: timedelta


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def review_stats(db: Session, *, now: datetime, window: timedelta = WINDOW) -> ReviewStats:
    """Count the queue, find its oldest request and the median time to a decision within `window`."""
    since = func.coalesce(AccessRequest.submitted_at, AccessRequest.created_at)
    waiting, oldest = db.execute(
        select(func.count(), func.min(since)).where(AccessRequest.state.in_(REVIEWABLE))
    ).one()
    durations = decision_times(db, start=now - window, end=now)
    return ReviewStats(
        waiting=waiting,
        oldest_since=_utc(oldest) if oldest else None,
        decided=len(durations),
        median_to_decision=_median(durations),
        window=window,
    )


def decision_times(
    db: Session, *, start: datetime, end: datetime, limit: int = MAX_DECISIONS
) -> list[timedelta]:
    """How long each request decided between `start` and `end` waited, from submission to decision
    (the newest `limit` of them)."""
    query = (
        select(AccessRequest.submitted_at, AccessRequest.decided_at)
        .where(
            AccessRequest.decided_at > start,
            AccessRequest.decided_at <= end,
            AccessRequest.submitted_at.is_not(None),
        )
        .order_by(AccessRequest.decided_at.desc())
        .limit(limit)
    )
    rows = db.execute(query).all()
    return [_utc(decided) - _utc(submitted) for submitted, decided in rows if submitted and decided]


def usual_review_days(db: Session, *, now: datetime) -> int | None:
    """Within how many days a request is usually decided (the recent median, rounded up); None
    while there are too few recent decisions to say."""
    durations = decision_times(db, start=now - USUAL_WINDOW, end=now, limit=USUAL_DECISIONS)
    median = _median(durations) if len(durations) >= MIN_DECISIONS else None
    return None if median is None else max(1, math.ceil(median / timedelta(days=1)))
