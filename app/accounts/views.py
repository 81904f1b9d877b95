"""Logging in and out, and resetting a password."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import consent, links, second_factor, sessions
from app.accounts import service as accounts_service
from app.accounts.dependencies import CurrentUser, home_path, safe_next
from app.accounts.forms import LoginForm, ResetForm
from app.accounts.models import TokenPurpose, User
from app.audit import service as audit
from app.core import csrf, language_links, security_log
from app.core.db import Db
from app.core.email_address import normalise as normalise_email
from app.core.forms import Form, password_messages, password_owner, text_fields, validate
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.policy import public
from app.core.proxies import client_ip
from app.core.security import PasswordHashingBusy
from app.core.unavailable import BUSY_HASHING, RETRY_AFTER_SECONDS
from app.core.web import flash, render

router = APIRouter()
OPEN = [Depends(public)]  # anyone may open these routes
LOGIN_FAILED = N_("The email address or password is not correct.")


@router.get("/login", name="accounts.login", dependencies=OPEN, response_class=HTMLResponse)
def login_form(request: Request, user: CurrentUser, next: str = "") -> Response:  # noqa: A002
    """Show the login form."""
    if user is not None:
        return RedirectResponse(safe_next(next, home_path(user)), 303)
    return render(request, "accounts/login.html", {"values": {"next": next}, "errors": {}})


@router.post("/login", name="accounts.login_submit", dependencies=OPEN, response_class=HTMLResponse)
def login(request: Request, db: Db, form: Form) -> Response:
    """Check the credentials, start a fresh session and go where the person was heading."""
    settings = request.app.state.settings
    values = text_fields(form)
    values["password"] = str(form.get("password", ""))
    parsed, errors = validate(LoginForm, values)
    email = normalise_email(values.get("email", ""))
    shown = {"email": values.get("email", ""), "next": values.get("next", "")}
    limiter = request.app.state.rate_limiter
    # Only failed attempts count, so a clinic behind one address is not locked out by its own logins.
    keys = [("login-ip", client_ip(request)), ("login-email", email)]
    if any(limiter.exhausted(settings.login_rate_limit, *key) for key in keys):
        message = _("Too many attempts. Please wait a few minutes and try again.")
        context = {"values": shown, "errors": {"form": message}}
        return render(request, "accounts/login.html", context, status_code=429)
    try:
        user = accounts_service.authenticate(db, settings, email, parsed.password) if parsed else None
    except PasswordHashingBusy:
        # Nothing was checked, so nothing counts against the limits: the form again, to send later.
        context = {"values": shown, "errors": {"form": _(BUSY_HASHING)}}
        response = render(request, "accounts/login.html", context, status_code=503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if user is None:
        for key in keys:
            limiter.allow(settings.login_rate_limit, *key)
        _log_failure(request, email, complete=parsed is not None, keys=keys)
        errors = (
            {"form": _(LOGIN_FAILED)} if not errors else {"form": _("Enter your email address and password.")}
        )
        return render(request, "accounts/login.html", {"values": shown, "errors": errors}, status_code=422)
    if second_factor.is_enabled(db, user):
        # Right password, but no session before the code too: the browser may only ask for the code.
        db.commit()  # an upgraded password hash
        second_factor.hold_login(request.session, settings, user, next_path=values.get("next", ""))
        return RedirectResponse(request.app.url_path_for("accounts.second_factor_login"), 303)
    return start_session(request, db, user, values.get("next"))


def _log_failure(request: Request, email: str, *, complete: bool, keys: list[tuple[str, str]]) -> None:
    """Log a failed login, and the lock-out it caused when it used up a limit."""
    settings, limiter = request.app.state.settings, request.app.state.rate_limiter
    locked = [key[0] for key in keys if limiter.used_up(settings.login_rate_limit, *key)]
    email_hash = security_log.fingerprint(settings.secret_key, email) if email else ""
    reason = "wrong_credentials" if complete else "incomplete_form"
    security_log.event("login.failed", email_hash=email_hash, reason=reason)
    if locked:
        security_log.event("login.locked_out", email_hash=email_hash, limits=locked)


def start_session(request: Request, db: Session, user: User, next_path: str | None) -> Response:
    """Start a fresh session for `user`, who passed every login step, and go where they were heading."""
    settings = request.app.state.settings
    token = sessions.start(db, settings, user, request)
    audit.record(
        db,
        actor=user,
        action="account.login",
        target_type="user",
        target_id=user.id,
        ip=client_ip(request),
    )
    db.commit()
    csrf.rotate(request)
    target = safe_next(next_path, home_path(user))
    if consent.needs_consent(db, settings, user):
        # The terms changed since this person accepted them: that comes before anything else.
        target = f"{request.app.url_path_for('accounts.consent')}?{urlencode({'next': target})}"
    response = RedirectResponse(target, 303)
    sessions.set_cookie(response, settings, token)
    # The address they log in at keeps its language; addresses without one open in theirs.
    language_links.remember(response, settings, user.language)
    return response


@router.post("/logout", name="accounts.logout", dependencies=OPEN)
def logout(request: Request, db: Db, form: Form) -> Response:
    """End this session."""
    settings = request.app.state.settings
    sessions.end_current(db, settings, request)
    db.commit()
    csrf.rotate(request)
    flash(request, _("You are logged out."))
    response = RedirectResponse(request.app.url_path_for("site.home"), 303)
    sessions.clear_cookie(response, settings)
    return response


@router.get("/forgot-password", name="accounts.forgot", dependencies=OPEN, response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    """Ask for the email address to send a reset link to."""
    return render(request, "accounts/forgot.html", {"values": {}, "errors": {}})


@router.post(
    "/forgot-password",
    name="accounts.forgot_submit",
    dependencies=OPEN,
    response_class=HTMLResponse,
)
def forgot(request: Request, db: Db, form: Form) -> Response:
    """Send a reset link if the account exists; answer the same either way."""
    settings = request.app.state.settings
    email = normalise_email(str(form.get("email", "")))
    limiter = request.app.state.rate_limiter
    allowed = limiter.allow(settings.form_rate_limit, "reset-ip", client_ip(request)) and limiter.allow(
        settings.form_rate_limit, "reset-email", email
    )
    if not email:
        return render(
            request,
            "accounts/forgot.html",
            {"values": {}, "errors": {"email": _("Enter your email address")}},
            status_code=422,
        )
    if allowed:
        accounts_service.start_password_reset(db, settings, email)
        db.commit()
    return render(request, "accounts/forgot_sent.html", {"email": email})


@router.get("/reset-password", name="accounts.reset", dependencies=OPEN, response_class=HTMLResponse)
def reset_form(request: Request, db: Db, token: str = "") -> Response:
    """Take the token out of the address, then offer to choose a new password, or say the link is spent."""
    if token:
        return links.hold(request, TokenPurpose.RESET_PASSWORD, token, "accounts.reset")
    held = links.held(request, TokenPurpose.RESET_PASSWORD)
    if not accounts_service.token_is_live(db, held, TokenPurpose.RESET_PASSWORD):
        return links.without_referrer(render(request, "accounts/reset_failed.html", status_code=400))
    return links.without_referrer(render(request, "accounts/reset.html", {"errors": {}}))


@router.post(
    "/reset-password",
    name="accounts.reset_submit",
    dependencies=OPEN,
    response_class=HTMLResponse,
)
def reset(request: Request, db: Db, form: Form) -> Response:
    """Set the new password, end every session and ask the person to log in."""
    settings = request.app.state.settings
    values = {
        "password": str(form.get("password", "")),
        "password_confirm": str(form.get("password_confirm", "")),
    }
    token = links.held(request, TokenPurpose.RESET_PASSWORD)
    owner = accounts_service.token_owner(db, token, TokenPurpose.RESET_PASSWORD)
    if owner is None:
        return links.without_referrer(render(request, "accounts/reset_failed.html", status_code=400))
    owner_context = password_owner(email=owner.email, name=owner.full_name)
    parsed, errors = validate(ResetForm, values, context=owner_context)
    if parsed is None:
        page = render(request, "accounts/reset.html", {"errors": password_messages(errors)}, status_code=422)
        return links.without_referrer(page)
    user = accounts_service.reset_password(db, settings, token, parsed.password, ip=client_ip(request))
    links.drop(request, TokenPurpose.RESET_PASSWORD)
    if user is None:
        return links.without_referrer(render(request, "accounts/reset_failed.html", status_code=400))
    db.commit()
    flash(request, _("Your password has been changed. Please log in with the new one."), "success")
    response = RedirectResponse(request.app.url_path_for("accounts.login"), 303)
    sessions.clear_cookie(response, settings)
    return response
