"""`portal tick`: run every time-based job once. Safe to run often, twice, or in several
processes at once: each job claims its work, so nothing is done or sent twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, sessionmaker

from app.core import i18n
from app.core.config import Settings
from app.core.db import utcnow
from app.jobs import access, files, housekeeping

log = structlog.get_logger(__name__)

Job = Callable[[Session, Settings, datetime], int]
JOBS: tuple[tuple[str, Job], ...] = (
    ("expiry reminders sent", access.send_reminders),
    ("access periods expired", access.expire_lapsed),
    ("review digests sent", access.send_review_digest),
    ("scheduled articles published", housekeeping.publish_scheduled),
    ("credential documents deleted", access.delete_documents),
    ("stray upload files removed", files.remove_strays),
    ("used or expired tokens purged", housekeeping.purge_tokens),
    ("ended sessions purged", housekeeping.purge_sessions),
    ("handled contact messages deleted", housekeeping.purge_handled_messages),
    ("stale shared pages removed", housekeeping.prune_cached_pages),
)


@dataclass
class TickReport:
    """What one tick did, job by job, and which jobs failed."""

    done: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.failed) or any(self.done.values())

    def __str__(self) -> str:
        parts = [f"{count} {name}" for name, count in self.done.items() if count] or ["nothing to do"]
        if self.failed:
            parts.append("failed: " + ", ".join(self.failed))
        return "tick: " + "; ".join(parts)


def run(
    session_factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> TickReport:
    """Run every job once, each in its own session; one failing job does not stop the others."""
    now = now or utcnow()
    report = TickReport()
    for name, job in JOBS:
        # A job serves no reader: what it writes and mails is in the site's default language.
        with session_factory() as db, i18n.using(settings.default_language):
            try:
                report.done[name] = job(db, settings, now)
            except Exception:  # logged and reported; the next tick tries again
                db.rollback()
                log.exception("tick.job_failed", job=name)
                report.failed.append(name)
    return report


def run_loop(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    interval: float,
    stop: threading.Event,
    on_report: Callable[[TickReport], None] | None = None,
) -> None:
    """Tick every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            report = run(session_factory, settings)
        except Exception:  # the database may be away for a while; try again next round
            log.exception("tick.run_failed")
        else:
            if on_report:
                on_report(report)
        stop.wait(interval)
