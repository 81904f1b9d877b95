"""Renewal by the professional: confirm the details and renew at once, or send a new request to
the review queue: when the licence or the profession changed, or the set number of years has passed
since a reviewer last approved it (both with a current proof attached), or access was suspended."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.access import documents, lifecycle, transitions
from app.access import service as access_service
from app.access.forms import friendly
from app.access.models import AccessRequest, RequestState
from app.access.transitions import Transition
from app.accounts import service as accounts_service
from app.audit import service as audit
from app.core import malware
from app.core.config import Settings
from app.core.countries import country_choices
from app.core.db import utcnow
from app.core.forms import Country, Required, validate
from app.core.i18n import gettext as _
from app.core.policy import PROFESSION_NAMES, Profession

_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Renewal:
    """The details a professional confirms or updates to renew."""

    profession: Profession
    licence_number: str
    licence_country: str
    institution: str


class RenewalForm(BaseModel):
    """The renewal form on the account page; only these fields are read."""

    model_config = ConfigDict(extra="ignore")

    profession: Profession
    licence_number: Annotated[str, Field(min_length=3, max_length=60)]
    licence_country: Country
    institution: Required
    confirm: Literal["on"]


def parse_form(values: dict[str, str]) -> tuple[Renewal | None, dict[str, str]]:
    """Read the renewal form: the details, or the messages to show beside its fields."""
    parsed, errors = validate(RenewalForm, values)
    errors = friendly(errors)
    if "confirm" in errors:
        errors["confirm"] = _("Please confirm that these details are correct and current")
    if parsed is None:
        return None, errors
    return Renewal(parsed.profession, parsed.licence_number, parsed.licence_country, parsed.institution), {}


def form_context(
    settings: Settings,
    latest: AccessRequest | None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the account page needs beside the request: its state now, and renewal filled in."""
    fields = ("profession", "licence_number", "licence_country", "institution")
    current = {name: str(getattr(latest, name, "") or "") for name in fields}
    return {
        "access_state": lifecycle.state_now(latest) if latest else None,
        "renewal_open": lifecycle.renewal_open(latest),
        # Years since the last review: even unchanged details go to a reviewer, with a proof.
        "review_due": latest is not None and review_due(settings, latest),
        "renewal_values": {**current, **(values or {})},
        "renewal_errors": errors or {},
        "professions": [(p.value, _(label)) for p, label in PROFESSION_NAMES.items()],
        "countries": country_choices(),
    }


class EvidenceMissing(ValueError):
    """A renewal a reviewer looks at needs a current proof of the licence, and none was attached."""


# Why a renewal goes to a reviewer, as the audit trail records it.
REVIEW_NOTES = {
    "suspended": "Renewal of suspended access.",
    "changed": "Renewed with changed details.",
    "due": "Renewed after the years set between reviews.",
}
# Reviewed on a current proof of the licence, not on the person's word alone.
NEEDS_EVIDENCE = frozenset({"changed", "due"})


def review_reason(
    settings: Settings, request: AccessRequest, details: Renewal, now: datetime | None = None
) -> str | None:
    """Why a person must look again (a key of REVIEW_NOTES), or None to renew at once."""
    if (
        details.profession != request.profession
        or details.licence_country != request.licence_country
        or _licence_key(details.licence_number) != _licence_key(request.licence_number)
    ):
        return "changed"
    if request.state == RequestState.SUSPENDED:
        return "suspended"
    return "due" if review_due(settings, request, now) else None


def review_due(settings: Settings, request: AccessRequest, now: datetime | None = None) -> bool:
    """Whether the years set between reviews have passed since this access was last approved."""
    if request.decided_at is None:
        return True
    years = timedelta(days=365.25 * settings.renewal_review_years)
    return lifecycle.aware(request.decided_at) + years <= (now or utcnow())


def _licence_key(number: str) -> str:
    return _SEPARATORS.sub("", number).upper()


def renew(
    db: Session,
    settings: Settings,
    request: AccessRequest,
    details: Renewal,
    *,
    document: documents.Document | None = None,
    revision: int,
    ip: str = "",
) -> AccessRequest:
    """Renew with confirmed details at once, or open a new request for review, with its proof.

    Returns the request that now stands for the person's access: the same one renewed, or the
    new pending one.
    """
    if not lifecycle.renewal_open(request):
        raise lifecycle.AccessChangeRefused(request)
    reason = review_reason(settings, request, details)
    if reason in NEEDS_EVIDENCE and document is None:
        raise EvidenceMissing(
            _("Attach a current proof of your licence: a reviewer looks at this renewal first.")
        )
    if reason is not None:
        return _send_to_review(db, settings, request, details, reason, document, revision=revision, ip=ip)
    now = utcnow()
    # Renewing early loses nothing: the new period starts where the current one ends.
    start = max(now, lifecycle.aware(request.access_until)) if request.access_until else now
    before = request.state
    if not transitions.move(
        db,
        request,
        Transition.RENEW,
        revision=revision,
        institution=details.institution,
        **lifecycle.approval_values(settings, start),
    ):
        raise lifecycle.AccessChangeRefused(request)
    lifecycle.record(db, request, request.user, "access.renewed", before, ip=ip)
    assert request.access_until is not None
    lifecycle.email(db, settings, request.user, "access_renewed", until=request.access_until)
    return request


def _send_to_review(
    db: Session,
    settings: Settings,
    old: AccessRequest,
    details: Renewal,
    reason: str,
    document: documents.Document | None,
    *,
    revision: int,
    ip: str,
) -> AccessRequest:
    """A reviewer looks first: access stops, and a new request with its proof enters the queue."""
    if document:
        malware.scan(settings.malware_scanner, document.content)
    now = utcnow()
    if old.state == RequestState.APPROVED:
        # The approval was for the old details, or is too old to carry over.
        if not transitions.move(db, old, Transition.EXPIRE, revision=revision, access_until=now):
            raise lifecycle.AccessChangeRefused(old)
        note = f"{REVIEW_NOTES[reason]} Under review."
        lifecycle.record(db, old, old.user, "access.expired", RequestState.APPROVED, reason=note, ip=ip)
    else:
        # The old request stays as it is; its revision still stops a second click opening two.
        unchanged = AccessRequest.revision == revision
        if not transitions.compare_and_set(db, old, unchanged, revision=AccessRequest.revision + 1):
            raise lifecycle.AccessChangeRefused(old)
    new = AccessRequest(
        user_id=old.user_id,
        state=RequestState.PENDING,
        profession=details.profession,
        specialty=old.specialty,
        licence_number=details.licence_number,
        licence_country=details.licence_country,
        institution=details.institution,
        country=old.country,
        group_membership=old.group_membership,
        **documents.request_fields(db, document, settings.upload_dir / "requests"),
        terms_version=old.terms_version,
        terms_accepted_at=old.terms_accepted_at,
        submitted_at=now,
    )
    db.add(new)
    db.flush()
    audit.record(
        db,
        actor=old.user,
        action="request.renewal_submitted",
        target_type="access_request",
        target_id=new.id,
        after=RequestState.PENDING,
        reason=f"Renewal of request #{old.id}. {REVIEW_NOTES[reason]}",
        ip=ip,
    )
    accounts_service.email_person(db, settings, old.user, "request_received")
    access_service.tell_reviewers(db, settings, new)
    return new
