"""The public reading site: article lists, article pages, categories and tags."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.access.dependencies import CurrentViewer
from app.articles import service, taxonomy_queries, translations, visibility
from app.articles.markdown import LockedPart
from app.articles.models import Article
from app.articles.panels import locked_panel
from app.core import i18n
from app.core.db import Db
from app.core.reader_cache import shared_per_variant
from app.core.text import is_slug
from app.core.web import page_number, page_or_404, render

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


@router.get("/articles", name="articles.index", response_class=HTMLResponse)
def index(request: Request, db: Db, page: str | None = None) -> Response:
    """List every published article, newest first."""
    size = request.app.state.settings.page_size
    articles = page_or_404(
        service.list_published(db, number=page_number(page), size=size, language=i18n.current())
    )
    return render(request, "articles/index.html", {"page": articles})


@router.get("/articles/{slug}", name="articles.detail", response_class=HTMLResponse)
def detail(request: Request, slug: str, db: Db, viewer: CurrentViewer) -> Response:
    """Show an article, with each part the viewer may not read replaced by a panel."""
    article = service.find_published(db, slug) if is_slug(slug) else None
    if article is None:
        new_slug = service.find_redirect(db, slug) if is_slug(slug) else None
        if new_slug:
            return RedirectResponse(request.app.url_path_for("articles.detail", slug=new_slug), 301)
        raise HTTPException(404, "There is no article at this address.")
    here = i18n.current()
    if article.language != here:
        # The address of another language's version: its version in the page's language if it
        # has one, else the article as it is, saying so (never a 404 for a missing translation).
        version = translations.version_in(db, article, here, published_only=True)
        if version is not None:
            return RedirectResponse(request.app.url_path_for("articles.detail", slug=version.slug), 302)

    def panel(part: LockedPart) -> str:
        return locked_panel(request, part, viewer)

    body = visibility.readable_body(article, viewer, panel=panel)
    context = {
        "article": article,
        "body": body,
        "locked_panel": None if body else Markup(panel(visibility.closed_part(article))),  # noqa: S704
        "related": service.related(db, article),
        "article_versions": _versions(request, db, article),
        "untranslated": _untranslated(request, article) if article.language != here else None,
        "canonical": _canonical(request, article),
    }
    return render(request, "articles/detail.html", context)


def _versions(request: Request, db: Db, article: Article) -> list[tuple[str, str]]:
    """(language, absolute address) of each published version in a language the site speaks."""
    settings = request.app.state.settings
    spoken = settings.language_codes
    return [
        (language, settings.base_url.rstrip("/") + translations.address_in(language, _path(request, slug)))
        for language, slug in translations.published_slugs(db, article)
        if language in spoken
    ]


def _path(request: Request, slug: str) -> str:
    # Built by the router without the page's prefix: address_in puts the version's own.
    return str(request.app.router.url_path_for("articles.detail", slug=slug))


def _canonical(request: Request, article: Article) -> str:
    """The article's address in its own language (where the site speaks it): one page, one address."""
    if article.language in request.app.state.settings.language_codes:
        return translations.address_in(article.language, _path(request, article.slug))
    return str(request.app.url_path_for("articles.detail", slug=article.slug))


def _untranslated(request: Request, article: Article) -> dict[str, str]:
    """What the notice on an article shown outside its own language names."""
    spoken = request.app.state.settings.language_codes
    return {
        "language": translations.language_name(i18n.current()),
        "original": translations.language_name(article.language),
        "url": _canonical(request, article) if article.language in spoken else "",
        "list": str(request.app.url_path_for("articles.index")),
    }


def _moved(request: Request, route: str, slug: str) -> Response:
    """A permanent redirect to a renamed or merged category or tag, keeping `?page=`."""
    target = request.app.url_path_for(route, slug=slug)
    page = request.query_params.get("page", "")
    return RedirectResponse(f"{target}?page={page_number(page)}" if page else target, 301)


@router.get("/categories/{slug}", name="categories.detail", response_class=HTMLResponse)
def category(request: Request, slug: str, db: Db, page: str | None = None) -> Response:
    """List the published articles of one category."""
    found = service.find_category(db, slug) if is_slug(slug) else None
    if found is None:
        new_slug = taxonomy_queries.category_redirect(db, slug) if is_slug(slug) else None
        if new_slug:
            return _moved(request, "categories.detail", new_slug)
        raise HTTPException(404, "There is no such category.")
    size = request.app.state.settings.page_size
    listed = service.list_in_category(db, found, number=page_number(page), size=size, language=i18n.current())
    articles = page_or_404(listed)
    return render(request, "articles/category.html", {"category": found, "page": articles})


@router.get("/tags/{slug}", name="tags.detail", response_class=HTMLResponse)
def tag(request: Request, slug: str, db: Db, page: str | None = None) -> Response:
    """List the published articles carrying one tag."""
    found = service.find_tag(db, slug) if is_slug(slug) else None
    if found is None:
        new_slug = taxonomy_queries.tag_redirect(db, slug) if is_slug(slug) else None
        if new_slug:
            return _moved(request, "tags.detail", new_slug)
        raise HTTPException(404, "There is no such tag.")
    size = request.app.state.settings.page_size
    listed = service.list_tagged(db, found, number=page_number(page), size=size, language=i18n.current())
    articles = page_or_404(listed)
    return render(request, "articles/tag.html", {"tag": found, "page": articles})
