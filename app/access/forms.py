"""The access-request form: its fields, their rules and the messages people read."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.core import email_address, passwords
from app.core.countries import COUNTRIES
from app.core.policy import Profession


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError("choose a country from the list")
    return value


def _accepted(value: str) -> str:
    if value not in ("on", "yes", "true", "1"):
        raise ValueError("please accept the terms of use and the privacy notice to continue")
    return value


# Every form that takes an address keeps it in its one form, or says why it is refused.
Email = Annotated[str, AfterValidator(email_address.checked)]
Country = Annotated[str, AfterValidator(_country)]
Required = Annotated[str, Field(min_length=1, max_length=200)]


def password_owner(*, email: str, name: str) -> dict[str, str]:
    """The validation context of a `PasswordPair`: whose password it is, for the rules about it."""
    return {"email": email, "name": name}


class PasswordPair(BaseModel):
    """A new password typed twice; validate it with `context=password_owner(...)`."""

    password: Annotated[str, Field(validate_default=True)] = ""
    password_confirm: str = ""

    @field_validator("password")
    @classmethod
    def _meets_the_rules(cls, value: str, info: ValidationInfo) -> str:
        owner = info.context
        if not isinstance(owner, dict) or not {"email", "name"} <= owner.keys():
            # A TypeError is not a validation message: forgetting whose password it is fails loudly.
            raise TypeError("validate a new password with context=password_owner(email=..., name=...)")
        if message := passwords.problem(value, email=owner["email"], name=owner["name"]):
            raise ValueError(message)
        return value

    @model_validator(mode="after")
    def _matching(self) -> PasswordPair:
        if self.password != self.password_confirm:
            raise ValueError("the two passwords are not the same")
        return self


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


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class ResetForm(PasswordPair):
    model_config = ConfigDict(extra="ignore")


FIELD_MESSAGES = {
    "profession": "Choose your profession from the list",
    "full_name": "Enter your full name",
    "institution": "Enter your institution or practice",
    "licence_number": "Enter your licence or registration number",
}


COUNTRY_MESSAGES = {
    "licence_country": "Choose the country that issued the licence",
    "country": "Choose the country where you practise",
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
    for field, message in errors.items():
        if field == "__all__" or (field == "password" and "same" in message):
            out["password_confirm"] = "The two passwords are not the same"  # noqa: S105 (a message)
        elif field in FIELD_MESSAGES and not message.startswith(("Please", "Choose a country", "Enter an")):
            out[field] = FIELD_MESSAGES[field]
        elif field in COUNTRY_MESSAGES:
            out[field] = COUNTRY_MESSAGES[field]
        else:
            out[field] = message
    order = {name: index for index, name in enumerate(FORM_ORDER)}
    return dict(sorted(out.items(), key=lambda item: order.get(item[0], len(order))))
