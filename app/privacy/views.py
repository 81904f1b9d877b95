"""The person's privacy rights: download their data, delete their account."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import sessions
from app.accounts.dependencies import LoggedIn
from app.accounts.models import User
from app.core import csrf
from app.core.db import Db, utcnow
from app.core.forms import Form
from app.core.i18n import gettext as _
from app.core.security import verify_password
from app.core.web import flash, render
from app.privacy import service as privacy

router = APIRouter()


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
        errors = {"password": _("Too many attempts. Please wait a few minutes and try again.")}
        return _delete_page(request, user, errors, 429)
    if not verify_password(settings, str(form.get("password", "")), user.password_hash)[0]:
        limiter.allow(settings.login_rate_limit, *key)
        return _delete_page(request, user, {"password": _("This is not your password")}, 422)
    documents = privacy.delete_account(db, settings, user)
    db.commit()
    privacy.remove_documents(settings, documents)
    csrf.rotate(request)
    flash(request, _("Your account has been deleted. We have sent a last email to confirm it."), "success")
    response = RedirectResponse(request.app.url_path_for("site.home"), 303)
    sessions.clear_cookie(response, settings)
    return response
