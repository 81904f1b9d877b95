"""The home page, the legal pages and the health checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.articles import service as articles_service
from app.core import health
from app.core.db import Db
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
        return render(request, f"site/{name}.html", {"title": title})

    view.__doc__ = f"Show the {title.lower()}."
    router.add_api_route(f"/{name}", view, name=f"site.{name}", methods=["GET"], response_class=HTMLResponse)


_legal_page("privacy", "Privacy notice")
_legal_page("terms", "Terms of use")
_legal_page("imprint", "Imprint")


@router.get("/healthz", name="site.healthz")
def healthz() -> dict[str, str]:
    """Answer while the process is alive."""
    return {"status": "ok"}


@router.get("/readyz", name="site.readyz")
def readyz(request: Request) -> Response:
    """Answer 200 when the database is reachable and its schema is at the newest migration."""
    problem = health.readiness_problem(request.app.state.engine)
    if problem:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready"})
