"""Staff pages: the review queue, one request and its decision, staff accounts, the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from app.access import checks
from app.access import service as access_service
from app.access.forms import Email
from app.access.models import AccessRequest, RequestState
from app.accounts import audit
from app.accounts import service as accounts_service
from app.accounts.dependencies import Admin, Db, Reviewer, Staff
from app.accounts.models import STAFF_ROLES, Role
from app.accounts.sessions import client_ip
from app.core.countries import COUNTRIES
from app.core.db import utcnow
from app.core.forms import form_data, text_fields, validate
from app.core.policy import Profession
from app.core.web import flash, render
from app.mail import service as mail_service

router = APIRouter(prefix="/admin")


class _EmailOnly(BaseModel):
    email: Email


Form = Annotated[FormData, Depends(form_data)]
PRESET_REASONS = [
    "We could not confirm your licence or registration number with the details given.",
    "The professional area is for licensed health professionals; the details you gave do not show a licence.",
    "We could not reach you to clarify your request.",
]
DECISIONS = {
    "approve": RequestState.APPROVED,
    "reject": RequestState.REJECTED,
    "request-info": RequestState.NEEDS_INFO,
}


@router.get("", name="admin.dashboard", response_class=HTMLResponse)
def dashboard(request: Request, db: Db, user: Staff) -> Response:
    """Show what needs attention."""
    reviews = user.role in (Role.REVIEWER, Role.ADMIN)
    waiting = access_service.queue(db, state=RequestState.PENDING, profession=None) if reviews else []
    return render(request, "admin/dashboard.html", {"waiting": waiting, "reviews": reviews, "now": utcnow()})


@router.get("/requests", name="admin.requests", response_class=HTMLResponse)
def requests(
    request: Request, db: Db, user: Reviewer, status: str = "pending", profession: str = ""
) -> Response:
    """List access requests, oldest first, by state and profession."""
    state = RequestState(status) if status in RequestState.__members__.values() else None
    chosen = Profession(profession) if profession in Profession.__members__.values() else None
    items = access_service.queue(db, state=state, profession=chosen)
    context = {
        "items": items,
        "status": status if state else "",
        "profession": profession if chosen else "",
        "states": [s for s in RequestState if s != RequestState.UNVERIFIED],
        "now": utcnow(),
    }
    return render(request, "admin/requests.html", context)


def _find(db: Db, request_id: int) -> AccessRequest:
    found = db.get(AccessRequest, request_id)
    if found is None or found.state == RequestState.UNVERIFIED:
        raise HTTPException(404, "There is no such request.")
    return found


def _detail(
    request: Request,
    db: Db,
    item: AccessRequest,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    settings = request.app.state.settings
    context = {
        "item": item,
        "licence": checks.check_licence(item.licence_number, item.licence_country),
        "domain": checks.domain_verdict(item.user.email, settings.trusted_domains),
        "same_licence": access_service.others_with_licence(db, item),
        "earlier": access_service.earlier_requests(db, item),
        "history": audit.history(db, "access_request", item.id),
        "countries": COUNTRIES,
        "reasons": PRESET_REASONS,
        "errors": errors or {},
        "values": values or {},
        "now": utcnow(),
    }
    return render(request, "admin/request.html", context, status_code=status)


@router.get("/requests/{request_id}", name="admin.request", response_class=HTMLResponse)
def request_detail(
    request: Request, db: Db, user: Reviewer, request_id: int, preset: int | None = None
) -> Response:
    """Show everything the applicant entered, the reviewer checks and the decision buttons."""
    # `?preset=N` puts a usual reason into the rejection box, to send as it is or edit first.
    chosen = PRESET_REASONS[preset] if preset is not None and 0 <= preset < len(PRESET_REASONS) else ""
    return _detail(request, db, _find(db, request_id), values={"reason": chosen} if chosen else None)


@router.post("/requests/{request_id}/{decision}", name="admin.decide", response_class=HTMLResponse)
def decide(request: Request, db: Db, user: Reviewer, form: Form, request_id: int, decision: str) -> Response:
    """Approve, reject with a reason, or ask for more information: once, whoever clicks first."""
    outcome = DECISIONS.get(decision)
    if outcome is None:
        raise HTTPException(404, "There is no such decision.")
    item = _find(db, request_id)
    values = text_fields(form)
    field = "question" if outcome == RequestState.NEEDS_INFO else "reason"
    reason = values.get(field, "")
    if outcome != RequestState.APPROVED and not reason:
        message = (
            "Write the question to the applicant." if field == "question" else "A rejection needs a reason."
        )
        return _detail(request, db, item, {field: message}, values, 422)
    revision = int(values["revision"]) if values.get("revision", "").isdigit() else -1
    try:
        access_service.decide(
            db,
            request.app.state.settings,
            item,
            reviewer=user,
            outcome=outcome,
            revision=revision,
            reason=reason[:5000],
            ip=client_ip(request),
        )
    except access_service.TransitionRefused as refused:
        db.rollback()
        flash(request, str(refused), "warning")
        return RedirectResponse(request.app.url_path_for("admin.request", request_id=request_id), 303)
    db.commit()
    done = {
        RequestState.APPROVED: "approved",
        RequestState.REJECTED: "rejected",
        RequestState.NEEDS_INFO: "sent back with your question",
    }[outcome]
    flash(
        request,
        f"The request of {item.user.full_name} was {done}. The applicant has been emailed.",
        "success",
    )
    return RedirectResponse(request.app.url_path_for("admin.requests"), 303)


@router.get("/requests/{request_id}/document", name="admin.document")
def document(request: Request, db: Db, user: Reviewer, request_id: int) -> Response:
    """Download the applicant's credential document, as an attachment, for reviewers only."""
    item = _find(db, request_id)
    if not item.document_path or not Path(item.document_path).is_file():
        raise HTTPException(404, "This request has no document.")
    response = FileResponse(
        item.document_path,
        media_type=item.document_type,
        filename=item.document_name,
        content_disposition_type="attachment",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/users", name="admin.users", response_class=HTMLResponse)
def users(request: Request, db: Db, user: Admin) -> Response:
    """List the staff accounts and offer the form to add one."""
    return _users_page(request, db, {}, {})


def _users_page(
    request: Request, db: Db, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    staff = accounts_service.staff(db)
    context = {
        "staff": staff,
        "values": values,
        "errors": errors,
        "roles": [(r.value, r.value.capitalize()) for r in Role if r in STAFF_ROLES],
    }
    return render(request, "admin/users.html", context, status_code=status)


@router.post("/users", name="admin.users_create", response_class=HTMLResponse)
def create_user(request: Request, db: Db, user: Admin, form: Form) -> Response:
    """Create a reviewer, editor or admin; they set their password from an emailed link."""
    values = text_fields(form)
    errors: dict[str, str] = {}
    email_ok, email_errors = validate(_EmailOnly, {"email": values.get("email", "")})
    errors.update(email_errors)
    if not values.get("full_name"):
        errors["full_name"] = "Enter the person's name"
    if values.get("role") not in {r.value for r in STAFF_ROLES}:
        errors["role"] = "Choose a role"
    if not errors and email_ok:
        try:
            accounts_service.create_staff(
                db,
                request.app.state.settings,
                email=email_ok.email,
                full_name=values["full_name"][:200],
                role=Role(values["role"]),
                actor=user,
                ip=client_ip(request),
            )
        except accounts_service.AccountExists:
            errors["email"] = "An account with this email address exists already"
    if errors:
        return _users_page(request, db, values, errors, 422)
    db.commit()
    flash(request, f"{values['full_name']} can now set a password from the email we sent.", "success")
    return RedirectResponse(request.app.url_path_for("admin.users"), 303)


@router.get("/outbox", name="admin.outbox", response_class=HTMLResponse)
def outbox(request: Request, db: Db, user: Reviewer, page: int = 1) -> Response:
    """Every email the site has queued, with its links, so the demo works without a mail server."""
    messages = mail_service.list_messages(db, page=max(1, min(page, 10_000)), size=25)
    return render(request, "admin/outbox.html", {"messages": messages, "links_in": mail_service.links_in})
