"""The home page and the legal pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.articles import service as articles_service
from app.core import i18n, language_links
from app.core.db import Db
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.reader_cache import shared_per_variant
from app.core.web import render

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


@router.get("/", name="site.home", response_class=HTMLResponse)
def home(request: Request, db: Db) -> Response:
    """Show the featured and the latest articles."""
    language = i18n.current()
    featured = articles_service.featured(db, language=language)
    latest = articles_service.latest(db, exclude=[a.id for a in featured], language=language)
    categories = articles_service.categories_in_use(db, language=language)
    context = {"featured": featured, "latest": latest, "categories": categories}
    return render(request, "site/home.html", context)


@router.get("/language/{code}", name="site.language", response_class=RedirectResponse)
def choose_language(request: Request, code: str, next: str = "") -> Response:  # noqa: A002 (the query's name)
    """Remember the reader's language and show them the page they were on, in it."""
    settings = request.app.state.settings
    if code not in settings.language_codes:
        raise HTTPException(404, "The site does not speak this language.")
    response = RedirectResponse(language_links.safe_next(settings, code, next), 303)
    language_links.remember(response, settings, code)
    return response


def _legal_page(name: str, title: str):  # type: ignore[no-untyped-def]
    def view(request: Request) -> Response:
        return render(request, f"site/{name}.html", {"title": _(title)})

    view.__doc__ = f"Show the {title.lower()}."
    router.add_api_route(f"/{name}", view, name=f"site.{name}", methods=["GET"], response_class=HTMLResponse)


_legal_page("privacy", N_("Privacy notice"))
_legal_page("terms", N_("Terms of use"))
_legal_page("imprint", N_("Imprint"))
