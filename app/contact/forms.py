"""The contact form and the staff reply: their fields, limits and the messages people read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core import i18n
from app.core.forms import Email
from app.core.i18n import N_
from app.core.i18n import gettext as _

# Bots fill every field they find; people never see this one (see templates/contact/form.html).
HONEYPOT = "website"
MAX_MESSAGE = 5000
MAX_REPLY = 10000


def _consented(value: str) -> str:
    if value not in ("on", "yes", "true", "1"):
        raise ValueError(_("please agree that we store your message so that we can answer it"))
    return value


class ContactForm(BaseModel):
    """Only these fields are read from the form; anything else posted is ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: Email
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    message: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE)]
    # validate_default: an unticked box is not sent at all, and must still be refused.
    consent: Annotated[str, AfterValidator(_consented), Field(validate_default=True)] = ""


class ReplyForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    body: Annotated[str, Field(min_length=1, max_length=MAX_REPLY)]


# Our wording for pydantic's, by field; the limits are filled in as the language writes numbers.
FIELD_MESSAGES = {
    "name": (N_("Enter your name (up to %(count)s characters)"), 200),
    "subject": (N_("Enter a subject (up to %(count)s characters)"), 200),
    "message": (N_("Write your message (up to %(count)s characters)"), MAX_MESSAGE),
    "body": (N_("Write the reply (up to %(count)s characters)"), MAX_REPLY),
}
FORM_ORDER = ["name", "email", "subject", "message", "consent", "body"]


def friendly(errors: dict[str, str]) -> dict[str, str]:
    """Replace pydantic's wording with ours, in the order of the form's fields."""
    out = {field: _field_message(field) or message for field, message in errors.items()}
    return {field: out[field] for field in sorted(out, key=_position)}


def _field_message(field: str) -> str:
    if field not in FIELD_MESSAGES:
        return ""
    text, limit = FIELD_MESSAGES[field]
    return _(text) % {"count": i18n.format_number(limit)}


def _position(field: str) -> int:
    return FORM_ORDER.index(field) if field in FORM_ORDER else len(FORM_ORDER)
