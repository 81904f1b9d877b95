"""Accepting new terms: the consent page, and the gate that leads a member to it first."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import consent as terms
from app.accounts.dependencies import CurrentUser, LoggedIn, home_path, safe_next
from app.core.db import Db
from app.core.forms import Form
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
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
        super().__init__(303, _("Please accept the current terms first."), headers={"Location": location})


def consent_gate(request: Request, db: Db, user: CurrentUser) -> None:
    """Until a member accepts the current terms and privacy notice, their pages lead to /account/consent."""
    if user is None or user.is_staff:
        return
    if request.url.path in {request.app.url_path_for(name) for name in WITHOUT_CONSENT}:
        return
    if terms.needs_consent(db, request.app.state.settings, user):
        here = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
        target = request.app.url_path_for("accounts.consent")
        raise ConsentRequired(f"{target}?{urlencode({'next': here})}")


@router.get("/account/consent", name="accounts.consent", response_class=HTMLResponse)
def consent_form(request: Request, db: Db, user: LoggedIn, next: str = "") -> Response:  # noqa: A002
    """Ask a member to accept the terms and privacy notice in their current version."""
    settings = request.app.state.settings
    if not terms.needs_consent(db, settings, user):
        return RedirectResponse(safe_next(next, home_path(user)), 303)
    context = {"next": next, "errors": {}, "earlier": terms.consents(db, user.id)}
    return render(request, "accounts/privacy/consent.html", context)


@router.post("/account/consent", name="accounts.consent_submit", response_class=HTMLResponse)
def consent(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Record the acceptance, with its version and time, and go on where the person was heading."""
    settings = request.app.state.settings
    next_path = str(form.get("next", ""))
    if not terms.needs_consent(db, settings, user):
        return RedirectResponse(safe_next(next_path, home_path(user)), 303)
    if form.get("accept_terms") != "on":
        message = _("Tick the box to accept the terms and the privacy notice, or log out.")
        context = {
            "next": next_path,
            "errors": {"accept_terms": message},
            "earlier": terms.consents(db, user.id),
        }
        return render(request, "accounts/privacy/consent.html", context, status_code=422)
    terms.accept(db, settings, user, ip=client_ip(request))
    db.commit()
    flash(request, _("Thank you. Your acceptance has been recorded."), "success")
    return RedirectResponse(safe_next(next_path, home_path(user)), 303)
