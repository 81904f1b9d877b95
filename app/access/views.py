"""The public side of access requests: the form, and the link that confirms the email."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.access import documents
from app.access import service as access_service
from app.access.forms import RequestForm, friendly
from app.access.models import RequestState
from app.accounts import links
from app.accounts.dependencies import CurrentUser
from app.accounts.models import TokenPurpose
from app.core import csrf, malware, unavailable
from app.core.countries import country_choices
from app.core.db import Db
from app.core.forms import BodyTooLarge, password_owner, text_fields, validate, without_nul
from app.core.i18n import gettext as _
from app.core.policy import PROFESSION_NAMES, public
from app.core.proxies import client_ip
from app.core.web import render

router = APIRouter()
OPEN = [Depends(public)]  # anyone may open these routes


def _form_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "professions": [(p.value, _(label)) for p, label in PROFESSION_NAMES.items()],
        "countries": country_choices(),
        "max_mb": request.app.state.settings.upload_max_bytes // (1024 * 1024),
    }
    return render(request, "access/request.html", context, status_code=status)


@router.get("/request-access", name="access.request", dependencies=OPEN, response_class=HTMLResponse)
def request_form(request: Request, user: CurrentUser) -> Response:
    """Show the access-request form (or the account page to someone logged in)."""
    if user is not None:
        return RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    return _form_page(request, {}, {})


@router.post("/request-access", name="access.submit", dependencies=OPEN, response_class=HTMLResponse)
async def submit(request: Request, db: Db) -> Response:
    """Validate the request, store it unverified and send the confirmation email."""
    settings = request.app.state.settings
    try:
        form = await request.form(max_fields=60, max_files=1, max_part_size=64 * 1024)
    except BodyTooLarge:
        limit = settings.upload_max_bytes // (1024 * 1024)
        error = _("The document is larger than %(size)s MB. Choose a smaller file.") % {"size": limit}
        return _form_page(request, {}, {"document": error}, 413)
    csrf.check(request, form)
    form = without_nul(form)
    # Hashing the password, scanning and writing the document are slow: keep them off the event loop.
    return await run_in_threadpool(_submit_parsed, request, db, form)


def _submit_parsed(request: Request, db: Session, form: FormData) -> Response:
    settings = request.app.state.settings
    limiter = request.app.state.rate_limiter
    values = text_fields(form)
    # A password is taken as typed: spaces around it are part of it, as at login.
    values |= {name: str(form.get(name, "")) for name in ("password", "password_confirm")}
    owner = password_owner(email=values.get("email", ""), name=values.get("full_name", ""))
    parsed, errors = validate(RequestForm, values, context=owner)
    errors = friendly(errors)
    document = None
    if not errors:
        try:
            document = documents.checked(form.get("document"))
        except documents.DocumentRefused as refused:
            errors["document"] = str(refused)
    if errors or parsed is None:
        values.pop("password", None), values.pop("password_confirm", None)
        return _form_page(request, values, errors, 422)
    if not limiter.allow(settings.form_rate_limit, "request", client_ip(request)):
        return _form_page(
            request, values, {"email": _("Too many requests from your network. Please try again later.")}, 429
        )
    typed = {name: value for name, value in values.items() if name not in ("password", "password_confirm")}
    unavailable.keep_typed(request, lambda message: _form_page(request, typed, {"email": message}, 503))
    try:
        _submit(db, request, parsed, document)
    except malware.Refused as refused:
        values.pop("password", None), values.pop("password_confirm", None)
        return _form_page(request, values, {"document": refused.message}, refused.status)
    db.commit()
    request.session["submitted_email"] = parsed.email
    return RedirectResponse(request.app.url_path_for("access.submitted"), 303)


def _submit(db: Session, request: Request, parsed: RequestForm, document: documents.Document | None) -> None:
    access_service.submit(
        db,
        request.app.state.settings,
        access_service.Application(
            full_name=parsed.full_name,
            email=parsed.email,
            password=parsed.password,
            profession=parsed.profession,
            specialty=parsed.specialty,
            licence_number=parsed.licence_number,
            licence_country=parsed.licence_country,
            institution=parsed.institution,
            country=parsed.country,
            group_membership=parsed.group_membership,
        ),
        document=document,
        ip=client_ip(request),
    )


@router.get(
    "/request-access/sent",
    name="access.submitted",
    dependencies=OPEN,
    response_class=HTMLResponse,
)
def submitted(request: Request) -> Response:
    """Tell the applicant to look for the confirmation email."""
    return render(request, "access/submitted.html", {"email": request.session.get("submitted_email", "")})


@router.get("/verify-email", name="access.verify", dependencies=OPEN, response_class=HTMLResponse)
def verify(request: Request, db: Db, token: str = "") -> Response:
    """Take the token out of the address, then confirm the email; the request enters the review queue."""
    if token:
        return links.hold(request, TokenPurpose.VERIFY_EMAIL, token, "access.verify")
    held = links.held(request, TokenPurpose.VERIFY_EMAIL)
    links.drop(request, TokenPurpose.VERIFY_EMAIL)
    settings = request.app.state.settings
    user = access_service.verify_email(db, settings, held, ip=client_ip(request)) if held else None
    if user is None:
        return links.without_referrer(render(request, "access/verify_failed.html", status_code=400))
    db.commit()
    latest = access_service.latest_request(db, user.id)
    approved = latest is not None and latest.state == RequestState.APPROVED
    page = render(request, "access/verified.html", {"person": user, "approved": approved})
    return links.without_referrer(page)
