"""The access-request form: its fields, their rules and the messages people read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from app.core.forms import Country, Email, PasswordPair, Required, password_messages
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.policy import Profession


def _accepted(value: str) -> str:
    if value not in ("on", "yes", "true", "1"):
        raise ValueError(_("Please accept the terms of use and the privacy notice to continue"))
    return value


class RequestForm(PasswordPair):
    """Only these fields are read from the form; anything else posted is ignored."""

    model_config = ConfigDict(extra="ignore")

    full_name: Required
    email: Email
    profession: Profession
    specialty: str = Field(default="", max_length=200)
    licence_number: Annotated[str, Field(min_length=3, max_length=60)]
    licence_country: Country
    institution: Required
    country: Country
    group_membership: str = Field(default="", max_length=300)
    # validate_default: an unticked box is not sent at all, and must still be refused.
    accept_terms: Annotated[str, AfterValidator(_accepted), Field(validate_default=True)] = ""


# Pydantic's own wording for these fields ("String should have at least 1 character") is replaced.
FIELD_MESSAGES = {
    "profession": N_("Choose your profession from the list"),
    "full_name": N_("Enter your full name"),
    "institution": N_("Enter your institution or practice"),
    "licence_number": N_("Enter your licence or registration number"),
}


COUNTRY_MESSAGES = {
    "licence_country": N_("Choose the country that issued the licence"),
    "country": N_("Choose the country where you practise"),
}
FORM_ORDER = [
    "full_name",
    "email",
    "password",
    "password_confirm",
    "profession",
    "specialty",
    "licence_number",
    "licence_country",
    "institution",
    "country",
    "group_membership",
    "document",
    "accept_terms",
]


def friendly(errors: dict[str, str]) -> dict[str, str]:
    """Replace pydantic's wording with ours where we have a better sentence, in the form's order."""
    out = {}
    for field, message in password_messages(errors).items():
        # These fields have no validator of their own: every message about them is pydantic's.
        if field in FIELD_MESSAGES:
            out[field] = _(FIELD_MESSAGES[field])
        elif field in COUNTRY_MESSAGES:
            out[field] = _(COUNTRY_MESSAGES[field])
        else:
            out[field] = message
    order = {name: index for index, name in enumerate(FORM_ORDER)}
    return dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))
