"""Two-step login for staff: setting up an authenticator app, the code step after the password,
new recovery codes, and turning it off."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.datastructures import FormData

from app.accounts import second_factor, totp
from app.accounts.dependencies import CurrentUser, home_path, require
from app.accounts.models import User
from app.accounts.views import start_session
from app.core import security_log
from app.core.db import Db
from app.core.forms import Form
from app.core.i18n import N_, ngettext
from app.core.i18n import gettext as _
from app.core.policy import Capability, must_use_second_factor, public
from app.core.proxies import client_ip
from app.core.web import flash, render

router = APIRouter()
OPEN = [Depends(public)]  # the code step: the person is not logged in yet
# The one staff page an admin without a second factor may open: every other one sends them here.
StaffMember = Annotated[User, Depends(require(Capability.ENTER_STAFF_AREA, admin_second_factor=False))]
TOO_MANY = N_("Too many attempts. Please wait a few minutes and try again.")
WRONG = N_("This code is not right, or it was used already. Enter the code your app shows now.")
EMPTY = N_("Enter the 6-digit code from your app, or one of your recovery codes.")
TIMED_OUT = N_("Your login waited too long for its code. Please enter your email address and password again.")


def qr_svg(uri: str) -> Markup:
    """The QR code of `uri` as inline SVG; made here from our own data, so safe to embed as is."""
    import segno  # only staff setting up an authenticator see a QR code

    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=5, border=4, dark="#000", light="#fff", xmldecl=False, title="QR code"
    )
    svg = buffer.getvalue().decode()
    # Sized by the stylesheet (.two-factor__qr): the CSP allows no style attributes.
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return Markup(svg)  # noqa: S704 (segno's output from our own data, no user-supplied markup)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _check(request: Request, db: Db, user: User, form: FormData) -> tuple[str, str, int]:
    """Check the code or recovery code in `form`: (which one it was, "", 200) or ("", error, status)."""
    settings, limiter = request.app.state.settings, request.app.state.rate_limiter
    code, recovery = str(form.get("code", "")), str(form.get("recovery_code", ""))
    if not code.strip() and not recovery.strip():
        return "", _(EMPTY), 422
    if not recovery.strip() and not totp.normalise(code).isdigit():
        code, recovery = "", code  # one field may take either kind of code
    # Only failures count, per account and per address, like the password step.
    keys = [
        (second_factor.CODE_RATE_LIMIT, "second-factor-user", str(user.id)),
        (settings.login_rate_limit, "second-factor-ip", client_ip(request)),
    ]
    if any(limiter.exhausted(*key) for key in keys):
        return "", _(TOO_MANY), 429
    try:
        kind = second_factor.verify(
            db, settings, user, code=code, recovery_code=recovery, ip=client_ip(request)
        )
    except second_factor.CodeRefused:
        db.rollback()
        for key in keys:
            limiter.allow(*key)
        security_log.event("second_factor.failed", user_id=user.id, path=request.url.path)
        if locked := [key[1] for key in keys if limiter.used_up(*key)]:
            security_log.event("login.locked_out", user_id=user.id, limits=locked)
        return "", _(WRONG), 422
    return kind, "", 200


# Setting up -------------------------------------------------------------------------------------


@router.get("/account/two-factor", name="accounts.second_factor", response_class=HTMLResponse)
def overview(request: Request, db: Db, user: StaffMember) -> Response:
    """Show whether two-step login is on, or set it up: QR code, key as text, first code."""
    if second_factor.is_enabled(db, user):
        return _manage_page(request, db, user, {})
    return _setup_page(request, db, user, {})


def _setup_page(request: Request, db: Db, user: User, errors: dict[str, str], status: int = 200) -> Response:
    settings = request.app.state.settings
    secret = second_factor.enrolment_secret(db, settings, user)
    db.commit()
    uri = totp.provisioning_uri(secret, account=user.email, issuer=settings.site_name)
    context = {
        "qr": qr_svg(uri),
        "secret": _grouped(secret),
        "errors": errors,
        "required": must_use_second_factor(user.role),
    }
    return render(request, "accounts/second_factor/setup.html", context, status_code=status)


def _manage_page(request: Request, db: Db, user: User, errors: dict[str, str], status: int = 200) -> Response:
    context = {
        "left": second_factor.recovery_codes_left(db, user),
        "errors": errors,
        "required": must_use_second_factor(user.role),
    }
    return render(request, "accounts/second_factor/manage.html", context, status_code=status)


@router.post("/account/two-factor", name="accounts.second_factor_enable", response_class=HTMLResponse)
def enable(request: Request, db: Db, user: StaffMember, form: Form) -> Response:
    """Turn two-step login on with a first code from the app, and show the recovery codes once."""
    settings, limiter = request.app.state.settings, request.app.state.rate_limiter
    if second_factor.is_enabled(db, user):
        flash(request, _("Two-step login is on already."))
        return RedirectResponse(request.app.url_path_for("accounts.second_factor"), 303)
    key = (second_factor.CODE_RATE_LIMIT, "second-factor-user", str(user.id))
    if limiter.exhausted(*key):
        return _setup_page(request, db, user, {"code": _(TOO_MANY)}, 429)
    code = str(form.get("code", ""))
    if not code.strip():
        return _setup_page(request, db, user, {"code": _("Enter the 6-digit code your app shows.")}, 422)
    try:
        codes = second_factor.enable(db, settings, user, code=code, ip=client_ip(request))
    except second_factor.CodeRefused:
        db.rollback()
        limiter.allow(*key)
        return _setup_page(request, db, user, {"code": _(WRONG)}, 422)
    db.commit()
    # The codes exist in clear only in this answer: never stored so, never put in a cookie.
    return render(request, "accounts/second_factor/codes.html", {"codes": codes, "first": True})


@router.post(
    "/account/two-factor/recovery-codes", name="accounts.second_factor_codes", response_class=HTMLResponse
)
def renew_codes(request: Request, db: Db, user: StaffMember, form: Form) -> Response:
    """Replace the recovery codes, after a code from the app, and show the new ones once."""
    if not second_factor.is_enabled(db, user):
        flash(request, "Two-step login is not on.")
        return RedirectResponse(request.app.url_path_for("accounts.second_factor"), 303)
    _kind, error, status = _check(request, db, user, form)
    if error:
        return _manage_page(request, db, user, {"code": error}, status)
    settings = request.app.state.settings
    codes = second_factor.renew_recovery_codes(db, settings, user, ip=client_ip(request))
    db.commit()
    return render(request, "accounts/second_factor/codes.html", {"codes": codes, "first": False})


@router.post(
    "/account/two-factor/disable", name="accounts.second_factor_disable", response_class=HTMLResponse
)
def disable(request: Request, db: Db, user: StaffMember, form: Form) -> Response:
    """Turn two-step login off, after a code from the app or a recovery code."""
    if not second_factor.is_enabled(db, user):
        flash(request, "Two-step login is not on.")
        return RedirectResponse(request.app.url_path_for("accounts.second_factor"), 303)
    _kind, error, status = _check(request, db, user, form)
    if error:
        return _manage_page(request, db, user, {"code": error}, status)
    second_factor.disable(db, user, actor=user, ip=client_ip(request))
    db.commit()
    message = "Two-step login is off."
    if must_use_second_factor(user.role):
        message += " As an admin, set it up again (for example on a new phone) to use the staff area."
    flash(request, message, "success")
    return RedirectResponse(request.app.url_path_for("accounts.second_factor"), 303)


# The code step of the login ---------------------------------------------------------------------


@router.get("/login/two-factor", name="accounts.second_factor_login", dependencies=OPEN)
def login_step(request: Request, db: Db, user: CurrentUser) -> Response:
    """Ask for the code from the app, after the password was right; else offer the login form."""
    waiting = second_factor.HELD_KEY in request.session
    if second_factor.held_user(db, request.app.state.settings, request.session) is not None:
        return render(request, "accounts/second_factor/login.html", {"errors": {}})
    if user is not None:
        return RedirectResponse(home_path(user), 303)
    errors = {"form": _(TIMED_OUT)} if waiting else {}
    return render(request, "accounts/login.html", {"values": {"next": ""}, "errors": errors})


@router.post("/login/two-factor", name="accounts.second_factor_login_submit", dependencies=OPEN)
def login_step_submit(request: Request, db: Db, form: Form) -> Response:
    """Check the code or a recovery code; only then start the session."""
    user = second_factor.held_user(db, request.app.state.settings, request.session)
    if user is None:
        flash(request, _(TIMED_OUT), "warning")
        return RedirectResponse(request.app.url_path_for("accounts.login"), 303)
    kind, error, status = _check(request, db, user, form)
    if error:
        field = "recovery_code" if str(form.get("recovery_code", "")).strip() else "code"
        return render(
            request, "accounts/second_factor/login.html", {"errors": {field: error}}, status_code=status
        )
    next_path = second_factor.held_next(request.session)
    second_factor.drop_held_login(request.session)
    if kind == "recovery":
        left = second_factor.recovery_codes_left(db, user)
        message = ngettext(
            "You logged in with a recovery code; %(num)d is left. If your phone is lost, turn two-step "
            "login off and set it up again on a new one.",
            "You logged in with a recovery code; %(num)d are left. If your phone is lost, turn two-step "
            "login off and set it up again on a new one.",
            left,
        )
        flash(request, message % {"num": left}, "warning")
    return start_session(request, db, user, next_path)
