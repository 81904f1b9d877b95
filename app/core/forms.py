"""Reading HTML forms: parse once, check CSRF, turn pydantic errors into messages by field; and the
fields and rules that forms of every domain share."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from app.core import csrf, email_address, passwords
from app.core.countries import COUNTRIES

MAX_FIELDS = 60
MAX_PART_SIZE = 64 * 1024
M = TypeVar("M", bound=BaseModel)


async def form_data(request: Request) -> FormData:
    """Parse the posted form and check its CSRF token (a dependency of every POST view)."""
    return await read_form(request, max_fields=MAX_FIELDS)


# The parsed, CSRF-checked form of every POST view: `def submit(form: Form)`.
Form = Annotated[FormData, Depends(form_data)]


def form_data_up_to(
    max_fields: int, *, max_part_size: int | None = MAX_PART_SIZE
) -> Callable[[Request], Awaitable[FormData]]:
    """`form_data` for a form with more fields than usual (rows of references, say); a
    `max_part_size` of None lets one field be as large as the whole request may be."""

    async def form_data_with_many_fields(request: Request) -> FormData:
        return await read_form(request, max_fields=max_fields, max_part_size=max_part_size)

    return form_data_with_many_fields


async def read_form(
    request: Request, *, max_fields: int, max_part_size: int | None = MAX_PART_SIZE
) -> FormData:
    """Parse the posted form with at most `max_fields` fields and check its CSRF token."""
    # Without a cap of its own, a field is still held to the request's limit (core/limits.py).
    part_size = sys.maxsize if max_part_size is None else max_part_size
    try:
        form = await request.form(max_fields=max_fields, max_files=1, max_part_size=part_size)
    except (MultiPartException, BodyTooLarge) as error:
        raise HTTPException(413 if isinstance(error, BodyTooLarge) else 400, str(error)) from None
    csrf.check(request, form)
    return without_nul(form)


# No one types NUL and PostgreSQL refuses it. Dropping it would let "physician\0" pass as a choice,
# so it becomes the replacement character: no choice matches it, and free text shows where it was.
NUL_MARK = "\ufffd"


def without_nul(form: FormData) -> FormData:
    """The form with each NUL in its text replaced by NUL_MARK."""
    if not any(isinstance(value, str) and "\x00" in value for _key, value in form.multi_items()):
        return form
    return FormData(
        [
            (key, value.replace("\x00", NUL_MARK) if isinstance(value, str) else value)
            for key, value in form.multi_items()
        ]
    )


class BodyTooLarge(Exception):
    """The request body went past the size this route accepts."""


def text_fields(form: FormData) -> dict[str, str]:
    """The form's text fields, first value of each, stripped; files and the CSRF token left out."""
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key != csrf.FIELD and not isinstance(value, UploadFile) and key not in values:
            values[key] = value.strip()
    return values


def validate(
    model: type[M], values: dict[str, Any], *, context: dict[str, Any] | None = None
) -> tuple[M | None, dict[str, str]]:
    """Validate `values` with `model` (and what its validators need to know, as `context`);
    return the model, or the first message for each field."""
    try:
        return model.model_validate(values, context=context), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "__all__"
            message = str(item["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, message[:1].upper() + message[1:])
        return None, errors


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError("choose a country from the list")
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


PASSWORDS_DIFFER = "The two passwords are not the same"  # noqa: S105 (a message)


def password_messages(errors: dict[str, str]) -> dict[str, str]:
    """Return the messages of a form with a `PasswordPair`, a mismatch shown beside the second one."""
    out = {}
    for field, message in errors.items():
        if field == "__all__" or (field == "password" and "same" in message):
            out["password_confirm"] = PASSWORDS_DIFFER
        else:
            out[field] = message
    return out
