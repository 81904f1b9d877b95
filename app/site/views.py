"""The home page and the legal pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.articles import service as articles_service
from app.core.db import Db
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.web import render

router = APIRouter()


@router.get("/", name="site.home", response_class=HTMLResponse)
def home(request: Request, db: Db) -> Response:
    """Show the featured and the latest articles."""
    featured = articles_service.featured(db)
    latest = articles_service.latest(db, exclude=[a.id for a in featured])
    categories = articles_service.categories_in_use(db)
    context = {"featured": featured, "latest": latest, "categories": categories}
    return render(request, "site/home.html", context)


def _legal_page(name: str, title: str):  # type: ignore[no-untyped-def]
    def view(request: Request) -> Response:
        return render(request, f"site/{name}.html", {"title": _(title)})

    view.__doc__ = f"Show the {title.lower()}."
    router.add_api_route(f"/{name}", view, name=f"site.{name}", methods=["GET"], response_class=HTMLResponse)


_legal_page("privacy", N_("Privacy notice"))
_legal_page("terms", N_("Terms of use"))
_legal_page("imprint", N_("Imprint"))
