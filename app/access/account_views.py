"""The applicant's account page: their request and its history, answers, withdrawal, renewal."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access import documents, lifecycle, renewal
from app.access import service as access_service
from app.access.models import RequestState
from app.accounts import people
from app.accounts.dependencies import LoggedIn, home_path
from app.accounts.forms import LanguageChoice
from app.accounts.models import User
from app.audit import service as audit
from app.core import i18n, language_links, languages, malware
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, render

router = APIRouter()


@router.get("/account", name="accounts.account", response_class=HTMLResponse)
def account(request: Request, db: Db, user: LoggedIn) -> Response:
    """Show the person's request, its state and its history."""
    if user.is_staff:
        return RedirectResponse(home_path(user), 303)
    return _account_page(request, db, user, {}, status_code=200)


@router.post("/account/language", name="accounts.language", response_class=HTMLResponse)
def language(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Change the language of the person's emails and of the site after their login."""
    settings = request.app.state.settings
    values = text_fields(form)
    choice, errors = validate(LanguageChoice, values, context={"codes": settings.language_codes})
    if choice is None:
        shown = {"language_value": values.get("language", ""), "language_error": errors["language"]}
        if user.is_staff:  # their form is on the password page: they have no account page
            return render(request, "accounts/password.html", {"errors": {}, **shown}, status_code=422)
        return _account_page(request, db, user, shown, status_code=422)
    people.choose_language(db, user=user, code=choice.language)
    db.commit()
    # Told in the language just chosen, on the account page in it.
    with i18n.using(choice.language):
        flash(request, i18n.gettext("Your emails and the site are now in this language."), "success")
    page = str(request.app.router.url_path_for("accounts.password" if user.is_staff else "accounts.account"))
    response = RedirectResponse(languages.prefix(settings, choice.language) + page, 303)
    language_links.remember(response, settings, choice.language)
    return response


def _account_page(
    request: Request,
    db: Db,
    user: User,
    extra: Mapping[str, object],
    *,
    status_code: int,
    renewal_values: dict[str, str] | None = None,
    renewal_errors: dict[str, str] | None = None,
) -> Response:
    """The account page again, with what the person typed and what to fix."""
    settings = request.app.state.settings
    latest = access_service.latest_request(db, user.id)
    history = audit.history(db, "access_request", latest.id) if latest else []
    context = {"person": user, "access": latest, "history": history, "states": RequestState, **extra}
    context |= renewal.form_context(settings, latest, renewal_values, renewal_errors)
    return render(request, "accounts/account.html", context, status_code=status_code)


@router.post("/account/request", name="accounts.answer", response_class=HTMLResponse)
def answer(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Answer the reviewer's question, with a document if need be; the request goes back into the queue."""
    settings = request.app.state.settings
    latest = access_service.latest_request(db, user.id)
    text = str(form.get("answer", "")).strip()
    if latest is None or latest.state != RequestState.NEEDS_INFO:
        flash(request, _("There is no question waiting for an answer."), "warning")
        return RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    errors: dict[str, str] = {}
    status = 422
    if not text or len(text) > 5000:
        errors["answer"] = _("Write your answer (at most 5000 characters).")
    try:
        document = documents.checked(form.get("document"))
        if not errors:
            access_service.answer(db, settings, latest, text=text, document=document, ip=client_ip(request))
    except (documents.DocumentRefused, malware.Refused) as refused:
        db.rollback()
        errors["document"], status = _refusal(refused)
    if errors:
        extra = {"answer_errors": errors, "answer": text}
        return _account_page(request, db, user, extra, status_code=status)
    db.commit()
    flash(request, _("Thank you. Your answer has been sent to the reviewers."), "success")
    return RedirectResponse(request.app.url_path_for("accounts.account"), 303)


@router.post("/account/withdraw", name="accounts.withdraw")
def withdraw(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Withdraw a request that has not been decided."""
    latest = access_service.latest_request(db, user.id)
    try:
        if latest is None:
            raise LookupError
        access_service.withdraw(db, latest, ip=client_ip(request))
        db.commit()
        flash(request, _("Your request has been withdrawn."), "success")
    except (LookupError, access_service.TransitionRefused):
        flash(request, _("This request can no longer be withdrawn."), "warning")
    return RedirectResponse(request.app.url_path_for("accounts.account"), 303)


# Renewal (SPEC 2): confirm or update the details; a changed licence or profession goes to review.
@router.post("/account/renew", name="accounts.renew", response_class=HTMLResponse)
def renew(request: Request, db: Db, user: LoggedIn, form: Form) -> Response:
    """Renew at once with confirmed details, or send changed ones to the review queue."""
    latest = access_service.latest_request(db, user.id)
    if latest is None or not lifecycle.renewal_open(latest):
        flash(request, _("There is nothing to renew at the moment."), "warning")
        return RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    settings = request.app.state.settings
    values = text_fields(form)
    details, errors = renewal.parse_form(values)
    if details is None:
        return _account_page(
            request, db, user, {}, status_code=422, renewal_values=values, renewal_errors=errors
        )
    typed = row_number(values.get("revision", ""))
    revision = -1 if typed is None else typed  # no revision matches: refused as changed meanwhile
    ip = client_ip(request)
    try:
        document = documents.checked(form.get("document"))
        result = renewal.renew(db, settings, latest, details, document=document, revision=revision, ip=ip)
    except lifecycle.AccessChangeRefused:
        db.rollback()
        flash(request, _("Your access changed meanwhile; please look at it again."), "warning")
        return RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    except (documents.DocumentRefused, renewal.EvidenceMissing, malware.Refused) as refused:
        db.rollback()
        message, status = _refusal(refused)
        errors = {"document": message}
        return _account_page(
            request, db, user, {}, status_code=status, renewal_values=values, renewal_errors=errors
        )
    db.commit()
    if result.id == latest.id and result.access_until:
        until = lifecycle.day(settings, result.access_until)
        message = _("Thank you. Your access now runs until %(day)s.") % {"day": until}
    else:
        message = _("Thank you. Your renewal is with the reviewers; we will email you.")
    flash(request, message, "success")
    return RedirectResponse(request.app.url_path_for("accounts.account"), 303)


def _refusal(refused: Exception) -> tuple[str, int]:
    """What to tell the person about a document that was not accepted, and the status to answer."""
    if isinstance(refused, malware.Refused):
        return refused.message, refused.status  # 503 while the virus scanner cannot answer
    return str(refused), 422
