"""Routes of this package; see the package docstring."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, Response

from app.articles import service as articles_service
from app.core import i18n
from app.core.db import Db
from app.core.reader_cache import shared_per_variant
from app.feeds import documents
from app.feeds.links import linker, other_languages, paths

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(dependencies=[Depends(shared_per_variant)])


@router.get("/feed.xml", name="feeds.atom", response_class=Response)
def atom(request: Request, db: Db) -> Response:
    """Offer the newest published articles as an Atom feed: titles and summaries, never bodies."""
    articles = articles_service.latest(db, limit=documents.FEED_SIZE, with_tags=True, language=i18n.current())
    settings = request.app.state.settings
    others = other_languages(request, "feeds.atom")
    feed = documents.atom_feed(articles, settings=settings, link=linker(request), others=others)
    return Response(feed, media_type=documents.ATOM_MEDIA_TYPE)


@router.get("/sitemap.xml", name="feeds.sitemap", response_class=Response)
def sitemap(request: Request, db: Db) -> Response:
    """List the public pages for search engines, with when each last changed."""
    settings = request.app.state.settings
    languages = settings.language_codes
    limit = documents.SITEMAP_ARTICLES // len(languages)
    articles = articles_service.latest(db, limit=limit, with_tags=True)
    document = documents.sitemap(articles, link=paths(request), base=settings.base_url, languages=languages)
    return Response(document, media_type=documents.XML_MEDIA_TYPE)


@router.get("/robots.txt", name="feeds.robots", response_class=PlainTextResponse)
def robots(request: Request) -> PlainTextResponse:
    """Tell crawlers which pages to skip and where the sitemap is."""
    languages = request.app.state.settings.language_codes
    return PlainTextResponse(
        documents.robots_txt(sitemap_url=linker(request)("feeds.sitemap"), languages=languages)
    )
