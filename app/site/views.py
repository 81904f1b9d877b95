"""The home page and the legal pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.articles import service as articles_service
from app.core import i18n
from app.core.db import Db
from app.core.web import render

router = APIRouter()


@router.get("/", name="site.home", response_class=HTMLResponse)
def home(request: Request, db: Db) -> Response:
    """Show the featured and the latest articles."""
    language = i18n.current()
    featured = articles_service.featured(db, language=language)
    latest = articles_service.latest(db, exclude=[a.id for a in featured], language=language)
    categories = articles_service.categories_in_use(db, language=language)
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
