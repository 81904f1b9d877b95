"""Reading HTML forms: parse once, check CSRF, turn pydantic errors into messages by field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from app.core import csrf

MAX_FIELDS = 60
M = TypeVar("M", bound=BaseModel)


async def form_data(request: Request) -> FormData:
    """Parse the posted form and check its CSRF token (a dependency of every POST view)."""
    return await read_form(request, max_fields=MAX_FIELDS)


# The parsed, CSRF-checked form of every POST view: `def submit(form: Form)`.
Form = Annotated[FormData, Depends(form_data)]


def form_data_up_to(max_fields: int) -> Callable[[Request], Awaitable[FormData]]:
    """`form_data` for a form with more fields than usual (rows of references, say)."""

    async def form_data_with_many_fields(request: Request) -> FormData:
        return await read_form(request, max_fields=max_fields)

    return form_data_with_many_fields


async def read_form(request: Request, *, max_fields: int) -> FormData:
    """Parse the posted form with at most `max_fields` fields and check its CSRF token."""
    try:
        form = await request.form(max_fields=max_fields, max_files=1, max_part_size=64 * 1024)
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
