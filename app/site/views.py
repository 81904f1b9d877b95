"""The home page and the legal pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.articles import service as articles_service
from app.core.db import Db
from app.core.reader_cache import shared_per_variant
from app.core.web import render

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


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
        return render(request, f"site/{name}.html", {"title": title})

    view.__doc__ = f"Show the {title.lower()}."
    router.add_api_route(f"/{name}", view, name=f"site.{name}", methods=["GET"], response_class=HTMLResponse)


_legal_page("privacy", "Privacy notice")
_legal_page("terms", "Terms of use")
_legal_page("imprint", "Imprint")
