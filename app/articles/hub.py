"""The professional area's hub: the gated articles a logged-in professional may read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access.dependencies import CurrentViewer
from app.accounts.dependencies import LoggedIn
from app.articles import service
from app.core import i18n
from app.core.db import Db
from app.core.i18n import gettext as _
from app.core.pagination import Page
from app.core.policy import may_read_gated
from app.core.web import flash, page_number, render

router = APIRouter()


@router.get("/professional", name="articles.professional", response_class=HTMLResponse)
def hub(request: Request, db: Db, user: LoggedIn, viewer: CurrentViewer, page: str | None = None) -> Response:
    """List, newest first, the gated articles and gated parts this professional may read."""
    if not may_read_gated(viewer):
        flash(request, _("The professional area opens once your access request has been approved."), "info")
        return RedirectResponse(request.app.url_path_for("accounts.account"), 303)
    readable = service.professional_articles(db, viewer, language=i18n.current())
    size = request.app.state.settings.page_size
    number = page_number(page)
    items = readable[(number - 1) * size : number * size]
    return render(request, "articles/professional.html", {"page": Page(items, number, size, len(readable))})
