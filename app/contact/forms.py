"""The contact form and the staff reply: their fields, limits and the messages people read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.core.forms import Email

# Bots fill every field they find; people never see this one (see templates/contact/form.html).
HONEYPOT = "website"
MAX_MESSAGE = 5000
MAX_REPLY = 10000


def _consented(value: str) -> str:
    if value not in ("on", "yes", "true", "1"):
        raise ValueError("please agree that we store your message so that we can answer it")
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


FIELD_MESSAGES = {
    "name": "Enter your name (up to 200 characters)",
    "subject": "Enter a subject (up to 200 characters)",
    "message": f"Write your message (up to {MAX_MESSAGE:,} characters)",
    "body": f"Write the reply (up to {MAX_REPLY:,} characters)",
}
FORM_ORDER = ["name", "email", "subject", "message", "consent", "body"]


def friendly(errors: dict[str, str]) -> dict[str, str]:
    """Replace pydantic's wording with ours, in the order of the form's fields."""
    out = {field: FIELD_MESSAGES.get(field, message) for field, message in errors.items()}
    return {field: out[field] for field in sorted(out, key=_position)}


def _position(field: str) -> int:
    return FORM_ORDER.index(field) if field in FORM_ORDER else len(FORM_ORDER)
