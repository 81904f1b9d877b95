"""Changing one's password while logged in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ConfigDict

from app.accounts import service as accounts_service
from app.accounts import sessions
from app.accounts.dependencies import LoggedIn
from app.audit import service as audit
from app.core import security_log
from app.core.db import Db
from app.core.forms import Form, PasswordPair, password_messages, password_owner, validate
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.security import hash_password, verify_password
from app.core.web import flash, render

router = APIRouter()


class ChangeForm(PasswordPair):
    model_config = ConfigDict(extra="ignore")


@router.get("/account/password", name="accounts.password", response_class=HTMLResponse)
def password_form(request: Request, user: LoggedIn) -> Response:
    """Show the form to change the password."""
    return render(request, "accounts/password.html", {"errors": {}})


@router.post("/account/password", name="accounts.password_submit", response_class=HTMLResponse)
def change_password(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Check the current password, set the new one, and end every other session."""
    settings = request.app.state.settings
    values = {name: str(form.get(name, "")) for name in ("current_password", "password", "password_confirm")}
    owner = password_owner(email=user.email, name=user.full_name)
    parsed, errors = validate(ChangeForm, values, context=owner)
    errors = password_messages(errors)
    if not verify_password(settings, values["current_password"], user.password_hash)[0]:
        errors = {"current_password": _("This is not your current password"), **errors}
    if errors or parsed is None:
        reason = "wrong_current_password" if "current_password" in errors else "unsuitable_new_password"
        security_log.event("password_change.failed", user_id=user.id, reason=reason)
        return render(request, "accounts/password.html", {"errors": errors}, status_code=422)
    user.password_hash = hash_password(settings, parsed.password)
    sessions.end_all(db, user.id)
    token = sessions.start(db, settings, user, request)
    ip = client_ip(request)
    audit.record(
        db, actor=user, action="account.password_changed", target_type="user", target_id=user.id, ip=ip
    )
    accounts_service.email_person(db, settings, user, "password_changed")
    db.commit()
    flash(request, _("Your password has been changed. Other devices have been logged out."), "success")
    response = RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    sessions.set_cookie(response, settings, token)
    return response
