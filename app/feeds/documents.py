"""The Atom feed, the sitemap and robots.txt, built from public article fields only.

XML is written with ElementTree, which escapes every text and attribute; characters that XML 1.0
cannot carry at all (most control characters) are dropped first, so a stray one in a title cannot
make the whole feed unreadable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from app.articles.models import Article
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.feeds.links import Link, absolute, last_change, published, timestamp, utc

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_MEDIA_TYPE = "application/xml; charset=utf-8"
FEED_SIZE = 20
# A sitemap file holds at most 50,000 addresses; keep room for the list pages.
SITEMAP_ARTICLES = 40_000
# Pages for a logged-in person, forms, and searches (endless, and private by nature).
ROBOTS_DISALLOW = (
    "/admin",
    "/account",
    "/api/",
    "/login",
    "/request-access",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
    "/professional",
    "/search",
)
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# An empty feed still needs an `updated`; a fixed one keeps its validator stable.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _clean(text: str) -> str:
    return NOT_XML.sub("", text)


def _add(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attributes.items()})
    if text:
        element.text = _clean(text)
    return element


def _serialise(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def entry_id(article: Article, settings: Settings) -> str:
    """A tag: URI (RFC 4151) that survives a change of slug, so readers never see a duplicate."""
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"tag:{host},{utc(article.created_at):%Y-%m-%d}:article:{article.id}"


def atom_feed(articles: Sequence[Article], *, settings: Settings, link: Link) -> bytes:
    """An Atom 1.0 feed of these articles: titles, summaries and metadata, never body text."""
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _add(feed, "title", settings.site_name)
    _add(feed, "subtitle", _("Health articles from the %(society)s") % {"society": settings.society_name})
    _add(feed, "id", link("feeds.atom"))
    _add(feed, "link", rel="self", type="application/atom+xml", href=link("feeds.atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=link("site.home"))
    _add(feed, "updated", timestamp(max((last_change(a) for a in articles), default=NEVER)))
    _add(_add(feed, "author"), "name", settings.society_name)
    for article in articles:
        _atom_entry(feed, article, settings=settings, link=link)
    return _serialise(feed)


def _atom_entry(feed: ET.Element, article: Article, *, settings: Settings, link: Link) -> None:
    entry = _add(feed, "entry")
    _add(entry, "id", entry_id(article, settings))
    _add(entry, "title", article.title, type="text")
    _add(entry, "link", rel="alternate", type="text/html", href=link("articles.detail", slug=article.slug))
    _add(entry, "published", timestamp(published(article)))
    _add(entry, "updated", timestamp(last_change(article)))
    _add(_add(entry, "author"), "name", article.author_name or settings.society_name)
    if article.category:
        scheme = absolute(settings, "/categories/")
        _add(entry, "category", term=article.category.slug, label=article.category.name, scheme=scheme)
    for tag in article.tags:
        _add(entry, "category", term=tag.slug, label=tag.name, scheme=absolute(settings, "/tags/"))
    # The summary is the author's public teaser (SPEC 3); the body never goes into a feed.
    _add(entry, "summary", article.summary, type="text")


def sitemap(articles: Sequence[Article], *, link: Link) -> bytes:
    """A sitemaps.org urlset: home, the article list, each article, and categories and tags in use."""
    newest = max((last_change(a) for a in articles), default=None)
    pages: dict[str, datetime | None] = {link("site.home"): newest, link("articles.index"): newest}
    pages.update((link("articles.detail", slug=a.slug), last_change(a)) for a in articles)
    pages.update(sorted(_listings(articles, link).items()))
    urlset = ET.Element("urlset", xmlns=SITEMAP_NS)
    for url, changed in pages.items():
        entry = _add(urlset, "url")
        _add(entry, "loc", url)
        if changed:
            _add(entry, "lastmod", timestamp(changed))
    return _serialise(urlset)


def _listings(articles: Sequence[Article], link: Link) -> dict[str, datetime]:
    """The category and tag pages these articles appear on, each with its newest change."""
    found: dict[str, datetime] = {}
    for article in articles:
        changed = last_change(article)
        urls = [link("categories.detail", slug=article.category.slug)] if article.category else []
        urls += [link("tags.detail", slug=tag.slug) for tag in article.tags]
        for url in urls:
            found[url] = max(found.get(url, changed), changed)
    return found


def robots_txt(*, sitemap_url: str) -> str:
    """The same rules in every environment: crawl the reading site, skip accounts and forms."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /", ""]
    return "\n".join([*lines, f"Sitemap: {sitemap_url}", ""])
