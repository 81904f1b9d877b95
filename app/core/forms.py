"""Reading HTML forms: parse once, check CSRF, turn pydantic errors into messages by field."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException

from app.core import csrf

MAX_FIELDS = 60
MAX_PART_SIZE = 64 * 1024
M = TypeVar("M", bound=BaseModel)


async def form_data(request: Request) -> FormData:
    """Parse the posted form and check its CSRF token (a dependency of every POST view)."""
    return await read_form(request, max_fields=MAX_FIELDS)


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


def without_nul(form: FormData) -> FormData:
    """The form with NUL characters dropped from its text: no one types them, PostgreSQL refuses them."""
    if not any(isinstance(value, str) and "\x00" in value for _key, value in form.multi_items()):
        return form
    return FormData(
        [
            (key, value.replace("\x00", "") if isinstance(value, str) else value)
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


def validate(model: type[M], values: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    """Validate `values` with `model`; return the model, or the first message for each field."""
    try:
        return model.model_validate(values), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "__all__"
            message = str(item["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, message[:1].upper() + message[1:])
        return None, errors
