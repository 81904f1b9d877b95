"""`?language=` for API lists: one of the site's languages, or every language when not given.

Read and checked here, like `paging`, so a wrong value answers 422 with a message naming the
languages the site speaks; `OPENAPI_PARAMETER` documents it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from app.core.config import Settings


def language_filter(request: Request) -> str | None:
    """Read `language` from the query string: a code of the site's languages, or None when absent."""
    if "language" not in request.query_params:
        return None
    settings: Settings = request.app.state.settings
    code = request.query_params["language"]
    if code not in settings.language_codes:
        spoken = ", ".join(settings.language_codes)
        raise HTTPException(422, f"language must be one of the site's languages: {spoken}")
    return code


OPENAPI_PARAMETER: dict[str, Any] = {
    "name": "language",
    "in": "query",
    "required": False,
    "description": "Only the articles written in this language: a code of the site's languages "
    '("en", "de"). Without it, every language\'s articles; a language the site does not speak '
    "gives 422.",
    "schema": {"type": "string", "examples": ["de"]},
}
LanguageQuery = Annotated[str | None, Depends(language_filter)]
