"""The professional area: its articles for those who may read them, and for everyone else a page
that says what it holds (counts and public titles, never gated text) and how to join."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.access import stats as access_stats
from app.access.dependencies import CurrentViewer
from app.articles import area, service
from app.core import i18n
from app.core.db import Db, utcnow
from app.core.policy import PROFESSION_LABELS, Viewer, may_read_gated
from app.core.reader_cache import shared_per_variant
from app.core.web import page_number, render

# Both pages learn nothing of their reader but the viewer: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


@router.get("/professional", name="articles.professional", response_class=HTMLResponse)
def hub(request: Request, db: Db, viewer: CurrentViewer, page: str | None = None) -> Response:
    """List the gated articles this professional may read; show anyone else what the area holds."""
    if not may_read_gated(viewer):
        return _landing(request, db, viewer)
    size = request.app.state.settings.page_size
    readable = service.professional_articles(
        db, viewer, number=page_number(page), size=size, language=i18n.current()
    )
    return render(request, "articles/professional.html", {"page": readable})


def _landing(request: Request, db: Db, viewer: Viewer) -> Response:
    """What the area holds, who may join, what a request needs and how long review usually takes."""
    context = {
        "viewer": viewer,
        "holdings": area.holdings(db, language=i18n.current()),
        "review_days": access_stats.usual_review_days(db, now=utcnow()),
        "professions": [PROFESSION_LABELS[profession] for profession in PROFESSION_LABELS],
    }
    return render(request, "articles/professional_landing.html", context)
