"""The search page: `/search?q=`, over the text the viewer may read."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.access.dependencies import CurrentViewer
from app.articles import translations
from app.core import i18n
from app.core.db import Db
from app.core.reader_cache import shared_per_variant
from app.core.web import page_number, render
from app.search import service

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


@router.get("/search", name="search.results", response_class=HTMLResponse)
def results(
    request: Request, db: Db, viewer: CurrentViewer, q: str = "", page: str | None = None
) -> Response:
    """Show the search form and, for a query, the matching articles this viewer may read.

    The articles in the page's language; where none match, those of the first other language that has.
    """
    query = q[: service.MAX_QUERY_CHARS].strip()
    context: dict[str, object] = {"query": query, "page": None}
    if query:
        settings = request.app.state.settings
        here = i18n.current()
        languages = [here, *(code for code in settings.language_codes if code != here)]
        found = service.search(
            db, query, viewer, page=page_number(page), size=settings.page_size, languages=languages
        )
        context |= {
            "page": found.page,
            "found_language": found.language if found.language != here else None,
            "found_language_name": translations.language_name(found.language),
            "here_language_name": translations.language_name(here),
        }
    return render(request, "search/results.html", context)
