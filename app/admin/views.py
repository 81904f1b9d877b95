"""Staff pages: the review queue, one request and its decision, the outbox."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.access import checks, lifecycle
from app.access import service as access_service
from app.access.models import AccessRequest, RequestState
from app.accounts.dependencies import OutboxReader, Reviewer
from app.admin import audit_sentences, review_queue
from app.admin.review_forms import AccessChangeForm, DecisionForm, future_date
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.countries import COUNTRIES
from app.core.db import Db, utcnow
from app.core.forms import Form, text_fields, validate
from app.core.headers import DOWNLOAD_POLICY, attachment
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.policy import Capability, can
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, get_or_404, render
from app.mail import service as mail_service

router = APIRouter(prefix="/admin")
NO_REQUEST = "There is no such request."


def _in_queue(item: AccessRequest) -> bool:
    """An unconfirmed request is not in the queue yet: reviewers do not see it at all."""
    return item.state != RequestState.UNVERIFIED


# In the reviewer's language: the reason they pick is the text the applicant is sent.
PRESET_REASONS = [
    N_("We could not confirm your licence or registration number with the details given."),
    N_(
        "The professional area is for licensed health professionals; "
        "the details you gave do not show a licence."
    ),
    N_("We could not reach you to clarify your request."),
]
DECISIONS = {
    "approve": RequestState.APPROVED,
    "reject": RequestState.REJECTED,
    "request-info": RequestState.NEEDS_INFO,
}


@router.get("/requests", name="admin.requests", response_class=HTMLResponse)
def requests(request: Request, db: Db, user: Reviewer) -> Response:
    """List access requests, oldest first, with their checks, filtered as the reviewer chose."""
    context = review_queue.context(request, db, review_queue.QueueFilters.of(request))
    return render(request, "admin/requests.html", {**context, "reasons": PRESET_REASONS})


def _history(db: Db, settings: Settings, item: AccessRequest) -> list[tuple[AuditEvent, Markup]]:
    """The request's events, oldest first, each told as a sentence."""
    events = audit.history(db, "access_request", item.id)
    told = audit_sentences.tell(db, settings, events)
    return [(event, told[event.id]) for event in events]


def _detail(
    request: Request,
    db: Db,
    item: AccessRequest,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    failed: tuple[str, ...] = (),
) -> Response:
    settings = request.app.state.settings
    licence = checks.check_licence(item.licence_number, item.licence_country)
    domain = checks.domain_verdict(item.user.email, settings.trusted_domains)
    same_licence = access_service.others_with_licence(db, item)
    # What each failed check found, for the confirmation an approval then needs.
    found = {
        "licence_invalid": licence.message,
        "licence_shared": _("used by %(names)s")
        % {"names": ", ".join(other.user.full_name for other in same_licence)},
        "email_disposable": domain.message,
    }
    context = {
        "item": item,
        "licence": licence,
        "domain": domain,
        "same_licence": same_licence,
        "failed": failed,
        "failures": [(_(checks.FAILED_CHECKS[name]), found[name]) for name in failed],
        "earlier": access_service.earlier_requests(db, item),
        "history": _history(db, settings, item),
        "countries": COUNTRIES,
        "reasons": PRESET_REASONS,
        "errors": errors or {},
        "values": values or {},
        "now": utcnow(),
        "previous_waiting": access_service.next_waiting(db, item, backwards=True),
        "next_waiting": access_service.next_waiting(db, item),
        **_access_context(request, db, item),
    }
    return render(request, "admin/request.html", context, status_code=status)


@router.get("/requests/{request_id}", name="admin.request", response_class=HTMLResponse)
def request_detail(
    request: Request, db: Db, user: Reviewer, request_id: int, preset: int | None = None
) -> Response:
    """Show everything the applicant entered, the reviewer checks and the decision buttons."""
    # `?preset=N` puts a usual reason into the rejection box, to send as it is or edit first.
    chosen = _(PRESET_REASONS[preset]) if preset is not None and 0 <= preset < len(PRESET_REASONS) else ""
    return _detail(
        request,
        db,
        get_or_404(db, AccessRequest, request_id, NO_REQUEST, shown=_in_queue),
        values={"reason": chosen} if chosen else None,
    )


@router.post("/requests/{request_id}/{decision}", name="admin.decide", response_class=HTMLResponse)
def decide(request: Request, db: Db, user: Reviewer, form: Form, request_id: int, decision: str) -> Response:
    """Approve, reject with a reason, or ask for more information: once, whoever clicks first."""
    outcome = DECISIONS.get(decision)
    if outcome is None:
        raise HTTPException(404, "There is no such decision.")
    item = get_or_404(db, AccessRequest, request_id, NO_REQUEST, shown=_in_queue)
    values = text_fields(form)
    valid, errors = validate(DecisionForm, values, context={"asked": decision})
    if valid is None:
        return _detail(request, db, item, errors, values, 422)
    reason = valid.question if outcome == RequestState.NEEDS_INFO else valid.reason
    typed = row_number(values.get("revision", ""))
    revision = -1 if typed is None else typed  # no revision matches: refused as changed meanwhile
    try:
        access_service.decide(
            db,
            request.app.state.settings,
            item,
            reviewer=user,
            outcome=outcome,
            revision=revision,
            reason=reason,
            overridden=_overridden(values.get("override", "")),
            ip=client_ip(request),
        )
    except access_service.ChecksNotConfirmed as unconfirmed:
        db.rollback()
        return _detail(request, db, item, status=409, failed=unconfirmed.failed)
    except access_service.TransitionRefused as refused:
        db.rollback()
        flash(request, str(refused), "warning")
        return RedirectResponse(request.app.url_path_for("admin.request", request_id=request_id), 303)
    db.commit()
    done = {
        RequestState.APPROVED: N_("The request of %(name)s was approved. The applicant has been emailed."),
        RequestState.REJECTED: N_("The request of %(name)s was rejected. The applicant has been emailed."),
        RequestState.NEEDS_INFO: N_(
            "The request of %(name)s was sent back with your question. The applicant has been emailed."
        ),
    }[outcome]
    flash(request, _(done) % {"name": item.user.full_name}, "success")
    # On to the next waiting request, or the one skipped before it, or the queue when none is left.
    following = access_service.next_waiting(db, item) or access_service.first_waiting(db)
    if following is None:
        return RedirectResponse(request.app.url_path_for("admin.requests"), 303)
    # At its content: the fragment also replaces the approve form's #override, which a browser keeps.
    path = request.app.url_path_for("admin.request", request_id=following)
    return RedirectResponse(f"{path}#main", 303)


def _overridden(text: str) -> tuple[str, ...]:
    """The failed checks a reviewer confirmed, from the hidden field of the confirmation form."""
    return tuple(name for name in (part.strip() for part in text.split(",")) if name in checks.FAILED_CHECKS)


# Managing a professional's access, on the page of their newest request (SPEC 1: reviewers).
ACCESS_CHANGES = {"suspend", "reinstate", "extend"}
ACCESS_DONE = {
    "suspend": N_(
        "The access of %(name)s was suspended; they have been logged out everywhere and emailed the reason."
    ),
    "reinstate": N_("The access of %(name)s was reinstated, and they have been emailed."),
    "extend": N_("The access of %(name)s was extended, and they have been emailed."),
}


def _access_context(request: Request, db: Db, item: AccessRequest) -> dict[str, object]:
    settings = request.app.state.settings
    latest = access_service.latest_request(db, item.user_id)
    start = max(utcnow(), lifecycle.aware(item.access_until)) if item.access_until else utcnow()
    return {
        "manage_access": latest is not None and latest.id == item.id,
        "extend_until": lifecycle.period_end(settings, start).date().isoformat(),
    }


@router.post(
    "/requests/{request_id}/access/{change}", name="admin.change_access", response_class=HTMLResponse
)
def change_access(
    request: Request, db: Db, user: Reviewer, form: Form, request_id: int, change: str
) -> Response:
    """Suspend (with a reason, emailed), reinstate or extend a professional's access."""
    if change not in ACCESS_CHANGES:
        raise HTTPException(404, "There is no such change of access.")
    item = get_or_404(db, AccessRequest, request_id, NO_REQUEST, shown=_in_queue)
    settings = request.app.state.settings
    values = text_fields(form)
    valid, errors = validate(AccessChangeForm, values, context={"asked": change})
    if valid is None:
        return _detail(request, db, item, errors, values, 422)
    reason, until = valid.note(change), future_date(valid.until)
    typed = row_number(values.get("revision", ""))
    revision = -1 if typed is None else typed  # no revision matches: refused as changed meanwhile
    latest = access_service.latest_request(db, item.user_id)
    ip = client_ip(request)
    try:
        if latest is None or latest.id != item.id:
            raise lifecycle.AccessChangeRefused(item)
        if change == "suspend":
            lifecycle.suspend(db, settings, item, reviewer=user, reason=reason, revision=revision, ip=ip)
        elif change == "reinstate":
            lifecycle.reinstate(db, settings, item, reviewer=user, reason=reason, revision=revision, ip=ip)
        elif until is not None:
            lifecycle.extend(
                db, settings, item, reviewer=user, until=until, reason=reason, revision=revision, ip=ip
            )
    except lifecycle.AccessChangeRefused as refused:
        db.rollback()
        flash(request, str(refused), "warning")
    else:
        db.commit()
        flash(request, _(ACCESS_DONE[change]) % {"name": item.user.full_name}, "success")
    return RedirectResponse(request.app.url_path_for("admin.request", request_id=item.id), 303)


@router.get("/requests/{request_id}/document", name="admin.document")
def document(request: Request, db: Db, user: Reviewer, request_id: int) -> Response:
    """Download the applicant's credential document, as an attachment, for reviewers only."""
    item = get_or_404(db, AccessRequest, request_id, NO_REQUEST, shown=_in_queue)
    if not item.document_path or not Path(item.document_path).is_file():
        raise HTTPException(404, "This request has no document.")
    # Who read a person's credentials, and when, is part of the request's history.
    audit.record(
        db,
        actor=user,
        action="request.document_downloaded",
        target_type="access_request",
        target_id=item.id,
        ip=client_ip(request),
    )
    db.commit()
    headers = {
        "Content-Disposition": attachment(item.document_name or "document"),
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return FileResponse(item.document_path, media_type=item.document_type, headers=headers)


@router.get("/outbox", name="admin.outbox", response_class=HTMLResponse)
def outbox(request: Request, db: Db, user: OutboxReader, page: int = 1) -> Response:
    """List every email with its delivery state; admins read bodies and links only in the demo."""
    number = max(1, min(page, 10_000))
    messages = mail_service.list_messages(db, page=number, size=25)
    demo = mail_service.shows_messages(request.app.state.settings)
    shown = demo and can(user.role, Capability.READ_DEMO_MAIL)
    seen = f"page {number}, messages {'shown' if shown else 'hidden'}"
    audit.record(
        db,
        actor=user,
        action="outbox.viewed",
        target_type="outbox",
        target_id=None,
        reason=seen,
        ip=client_ip(request),
    )
    db.commit()
    context = {
        "messages": messages,
        "demo": demo,
        "shown": shown,
        "bodies_to_send": mail_service.bodies_to_send,
        "links_in": mail_service.links_in,
    }
    return render(request, "admin/outbox.html", context)
