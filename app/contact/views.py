"""The public contact form: a message to the society, stored and emailed to its staff."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import CurrentUser
from app.contact import service as contact_service
from app.contact.forms import HONEYPOT, MAX_MESSAGE, ContactForm, friendly
from app.core import unavailable
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.web import render

router = APIRouter()
TOO_MANY = N_(
    "You have sent several messages in a short time. Please try again in an hour, or write to us by email."
)


def _form_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    context = {"values": values, "errors": errors, "honeypot": HONEYPOT, "max_message": MAX_MESSAGE}
    return render(request, "contact/form.html", context, status_code=status)


@router.get("/contact", name="contact.form", response_class=HTMLResponse)
def contact_form(request: Request, user: CurrentUser) -> Response:
    """Show the contact form, with the name and address of whoever is logged in filled in."""
    values = {"name": user.full_name, "email": user.email} if user else {}
    return _form_page(request, values, {})


@router.post("/contact", name="contact.submit", response_class=HTMLResponse)
def submit(request: Request, db: Db, form: Form) -> Response:
    """Store the message and queue it to the society's addresses."""
    settings = request.app.state.settings
    sent = RedirectResponse(request.app.url_path_for("contact.sent"), 303)
    values = text_fields(form)
    if values.pop(HONEYPOT, ""):
        return sent  # a bot: thanked like anyone else, and nothing is kept or sent
    parsed, errors = validate(ContactForm, values)
    if parsed is None:
        return _form_page(request, values, friendly(errors), 422)
    if not request.app.state.rate_limiter.allow(settings.contact_rate_limit, "contact", client_ip(request)):
        return _form_page(request, values, {"message": _(TOO_MANY)}, 429)
    unavailable.keep_typed(request, lambda message: _form_page(request, values, {"message": message}, 503))
    submission = contact_service.Submission(
        name=parsed.name, email=parsed.email, subject=parsed.subject, message=parsed.message
    )
    contact_service.send(db, settings, submission=submission)
    db.commit()
    return sent


@router.get("/contact/sent", name="contact.sent", response_class=HTMLResponse)
def sent(request: Request) -> Response:
    """Thank the sender."""
    return render(request, "contact/sent.html")
