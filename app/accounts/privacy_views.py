"""The person's privacy rights: accept new terms, download their data, delete their account."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import privacy, sessions
from app.accounts.dependencies import CurrentUser, LoggedIn, home_path, safe_next
from app.accounts.models import User
from app.core import csrf
from app.core.db import Db, utcnow
from app.core.forms import Form
from app.core.proxies import client_ip
from app.core.security import verify_password
from app.core.web import flash, render

router = APIRouter()
# Open to a member who has not accepted the current terms: they may still read them, leave, or go.
WITHOUT_CONSENT = (
    "accounts.consent",
    "accounts.consent_submit",
    "accounts.export",
    "accounts.delete",
    "accounts.delete_submit",
    "accounts.logout",
)


class ConsentRequired(HTTPException):
    """Send a member to the consent page first (the site's error handler passes Location on)."""

    def __init__(self, location: str) -> None:
        super().__init__(303, "Please accept the current terms first.", headers={"Location": location})


def consent_gate(request: Request, db: Db, user: CurrentUser) -> None:
    """Until a member accepts the current terms and privacy notice, their pages lead to /account/consent."""
    if user is None or user.is_staff:
        return
    if request.url.path in {request.app.url_path_for(name) for name in WITHOUT_CONSENT}:
        return
    if privacy.needs_consent(db, request.app.state.settings, user):
        here = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        target = request.app.url_path_for("accounts.consent")
        raise ConsentRequired(f"{target}?{urlencode({'next': here})}")


@router.get("/account/consent", name="accounts.consent", response_class=HTMLResponse)
def consent_form(request: Request, db: Db, user: LoggedIn, next: str = "") -> Response:  # noqa: A002
    """Ask a member to accept the terms and privacy notice in their current version."""
    settings = request.app.state.settings
    if not privacy.needs_consent(db, settings, user):
        return RedirectResponse(safe_next(next, home_path(user)), 303)
    context = {"next": next, "errors": {}, "earlier": privacy.consents(db, user.id)}
    return render(request, "accounts/privacy/consent.html", context)


@router.post("/account/consent", name="accounts.consent_submit", response_class=HTMLResponse)
def consent(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Record the acceptance, with its version and time, and go on where the person was heading."""
    settings = request.app.state.settings
    next_path = str(form.get("next", ""))
    if not privacy.needs_consent(db, settings, user):
        return RedirectResponse(safe_next(next_path, home_path(user)), 303)
    if form.get("accept_terms") != "on":
        message = "Tick the box to accept the terms and the privacy notice, or log out."
        context = {
            "next": next_path,
            "errors": {"accept_terms": message},
            "earlier": privacy.consents(db, user.id),
        }
        return render(request, "accounts/privacy/consent.html", context, status_code=422)
    privacy.accept(db, settings, user, ip=client_ip(request))
    db.commit()
    flash(request, "Thank you. Your acceptance has been recorded.", "success")
    return RedirectResponse(safe_next(next_path, home_path(user)), 303)


@router.get("/account/export", name="accounts.export")
def export(request: Request, db: Db, user: LoggedIn) -> Response:
    """Download every piece of personal data the society holds about the person, as JSON."""
    body = json.dumps(privacy.export(db, user), indent=2, ensure_ascii=False)
    filename = f"portico-personal-data-{utcnow():%Y-%m-%d}.json"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type="application/json", headers=headers)


def _delete_page(request: Request, user: User, errors: dict[str, str], status: int = 200) -> Response:
    return render(
        request, "accounts/privacy/delete.html", {"person": user, "errors": errors}, status_code=status
    )


@router.get("/account/delete", name="accounts.delete", response_class=HTMLResponse)
def delete_form(request: Request, user: LoggedIn) -> Response:
    """Warn what deleting the account erases and keeps, and ask for the password."""
    return _delete_page(request, user, {})


@router.post("/account/delete", name="accounts.delete_submit", response_class=HTMLResponse)
def delete(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Check the password, erase the person's data, send a last email and log out."""
    settings = request.app.state.settings
    if user.is_staff:
        return _delete_page(request, user, {}, 403)
    limiter = request.app.state.rate_limiter
    key = ("delete-account", str(user.id))
    if limiter.exhausted(settings.login_rate_limit, *key):
        errors = {"password": "Too many attempts. Please wait a few minutes and try again."}
        return _delete_page(request, user, errors, 429)
    if not verify_password(settings, str(form.get("password", "")), user.password_hash)[0]:
        limiter.allow(settings.login_rate_limit, *key)
        return _delete_page(request, user, {"password": "This is not your password"}, 422)
    documents = privacy.delete_account(db, settings, user)
    db.commit()
    privacy.remove_documents(settings, documents)
    csrf.rotate(request)
    flash(request, "Your account has been deleted. We have sent a last email to confirm it.", "success")
    response = RedirectResponse(request.app.url_path_for("site.home"), 303)
    sessions.clear_cookie(response, settings)
    return response
