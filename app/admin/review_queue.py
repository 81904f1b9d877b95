"""The review queue as a reviewer filters it: by state, profession, the checks of each request,
its document and how long it has waited. The queue page and the bulk decision show the same list."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from app.access import checks
from app.access import service as access_service
from app.access.models import RequestState
from app.core.db import utcnow
from app.core.policy import Profession
from app.core.text import row_number

CHECK_FILTERS = ("failed", "clean")
DOCUMENT_FILTERS = {"attached": True, "missing": False}
MAX_WAITING_DAYS = 3650


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters as the address gives them; anything unknown reads as no filter."""

    status: str = "pending"
    profession: str = ""
    checks: str = ""
    document: str = ""
    waiting: str = ""

    @classmethod
    def of(cls, request: Request) -> QueueFilters:
        """Read the filters from the query string, keeping only values the queue knows."""
        given = request.query_params
        days = row_number(given.get("waiting", ""))
        return cls(
            status=_known(given.get("status", "pending"), RequestState.__members__.values()),
            profession=_known(given.get("profession", ""), Profession.__members__.values()),
            checks=_known(given.get("checks", ""), CHECK_FILTERS),
            document=_known(given.get("document", ""), DOCUMENT_FILTERS),
            waiting=str(days) if days is not None and days <= MAX_WAITING_DAYS else "",
        )

    def query(self) -> dict[str, str]:
        """The filters as query parameters, to come back to the same list (an empty state is any)."""
        given = asdict(self)
        return {name: value for name, value in given.items() if value or name in ("status", "profession")}


def _known(value: str, known: Collection[str]) -> str:
    return value if value in known else ""


def context(request: Request, db: Session, filters: QueueFilters) -> dict[str, Any]:
    """What the queue page shows: the filtered requests, each with its checks."""
    settings = request.app.state.settings
    now = utcnow()
    items = access_service.queue(
        db,
        state=RequestState(filters.status) if filters.status else None,
        profession=Profession(filters.profession) if filters.profession else None,
        document=DOCUMENT_FILTERS.get(filters.document),
        waiting_since=now - timedelta(days=int(filters.waiting)) if filters.waiting else None,
    )
    found = checks.row_checks(db, settings, items)
    if filters.checks:
        wanted = filters.checks == "failed"
        items = [item for item in items if bool(found[item.id].failed) == wanted]
    return {
        "items": items,
        "checks": found,
        "filters": filters,
        "status": filters.status,
        "profession": filters.profession,
        "states": [s for s in RequestState if s != RequestState.UNVERIFIED],
        "now": now,
    }
