"""Routes of this package; see the package docstring."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from app.articles import service as articles_service
from app.core import i18n
from app.core.db import Db
from app.feeds import documents
from app.feeds.links import linker

router = APIRouter()


@router.get("/feed.xml", name="feeds.atom", response_class=Response)
def atom(request: Request, db: Db) -> Response:
    """Offer the newest published articles as an Atom feed: titles and summaries, never bodies."""
    articles = articles_service.latest(db, limit=documents.FEED_SIZE, with_tags=True, language=i18n.current())
    feed = documents.atom_feed(articles, settings=request.app.state.settings, link=linker(request))
    return Response(feed, media_type=documents.ATOM_MEDIA_TYPE)


@router.get("/sitemap.xml", name="feeds.sitemap", response_class=Response)
def sitemap(request: Request, db: Db) -> Response:
    """List the public pages for search engines, with when each last changed."""
    articles = articles_service.latest(db, limit=documents.SITEMAP_ARTICLES, with_tags=True)
    return Response(documents.sitemap(articles, link=linker(request)), media_type=documents.XML_MEDIA_TYPE)


@router.get("/robots.txt", name="feeds.robots", response_class=PlainTextResponse)
def robots(request: Request) -> PlainTextResponse:
    """Tell crawlers which pages to skip and where the sitemap is."""
    return PlainTextResponse(documents.robots_txt(sitemap_url=linker(request)("feeds.sitemap")))
