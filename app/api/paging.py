"""`?page=&page_size=` for API lists: bounded, and a bad value answers 422 with a clear message.

The values are read and checked here rather than by FastAPI's own query validation, whose errors the
application turns into one generic message; `OPENAPI_PARAMETERS` documents them instead.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.core.web import MAX_PAGE

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        default=DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Items per page, at most {MAX_PAGE_SIZE}.",
    )


def paging(request: Request) -> Paging:
    """Read `page` and `page_size` from the query string; 422 names the value that is wrong."""
    given = {name: request.query_params[name] for name in Paging.model_fields if name in request.query_params}
    try:
        return Paging.model_validate(given)
    except ValidationError as error:
        names = sorted({str(e["loc"][0]) for e in error.errors()})
        raise HTTPException(422, "; ".join(_rule(name) for name in names)) from None


def _rule(name: str) -> str:
    schema = Paging.model_json_schema()["properties"][name]
    return f"{name} must be a whole number from {schema['minimum']} to {schema['maximum']}"


def _openapi_parameters() -> list[dict[str, Any]]:
    parameters = []
    for name, schema in Paging.model_json_schema()["properties"].items():
        description = schema.pop("description")
        schema.pop("title", None)
        parameters.append(
            {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
        )
    return parameters


OPENAPI_PARAMETERS = _openapi_parameters()
PagingQuery = Annotated[Paging, Depends(paging)]
