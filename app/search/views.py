"""The search page: `/search?q=`, over the text the viewer may read."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.access.dependencies import CurrentViewer
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
    """Show the search form and, for a query, the matching articles this viewer may read."""
    query = q[: service.MAX_QUERY_CHARS].strip()
    found = None
    if query:
        size = request.app.state.settings.page_size
        found = service.search(db, query, viewer, page=page_number(page), size=size, language=i18n.current())
    return render(request, "search/results.html", {"query": query, "page": found})
