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
from app.core import i18n
from app.core.config import Settings
from app.core.i18n import gettext as _
from app.core.languages import is_neutral, localised
from app.feeds.links import Link, absolute, last_change, published, timestamp, utc

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_MEDIA_TYPE = "application/xml; charset=utf-8"
FEED_SIZE = 20
# A sitemap file holds at most 50,000 addresses; keep room for the list pages. Each language
# lists every article once, so a site in two languages lists half as many.
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
    # The language switch: crawlers find each language through the hreflang alternates instead.
    "/language/",
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


def atom_feed(
    articles: Sequence[Article], *, settings: Settings, link: Link, others: dict[str, str] | None = None
) -> bytes:
    """An Atom 1.0 feed of these articles in the current language, with `others` (code: address)."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, XML_LANG: i18n.current()})
    _add(feed, "title", settings.site_name)
    _add(feed, "subtitle", _("Health articles from the %(society)s") % {"society": settings.society_name})
    _add(feed, "id", link("feeds.atom"))
    _add(feed, "link", rel="self", type="application/atom+xml", href=link("feeds.atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=link("site.home"))
    # The same feed in the site's other languages (RFC 4287 4.2.7.4).
    for code, url in (others or {}).items():
        _add(feed, "link", rel="alternate", type="application/atom+xml", hreflang=code, href=url)
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
        scheme = absolute(settings, localised("/categories/"))
        _add(entry, "category", term=article.category.slug, label=article.category.label, scheme=scheme)
    for tag in article.tags:
        _add(
            entry, "category", term=tag.slug, label=tag.label, scheme=absolute(settings, localised("/tags/"))
        )
    # The summary is the author's public teaser (SPEC 3); the body never goes into a feed.
    _add(entry, "summary", article.summary, type="text")


def sitemap(articles: Sequence[Article], *, link: Link, base: str, languages: Sequence[str] = ()) -> bytes:
    """A sitemaps.org urlset: home, the article list, each article, and categories and tags in use.

    `link` gives a page's path without a language. On a site in several `languages` the pages of
    every language (home, lists, categories, tags) are listed once per language, each entry
    naming all of them and the address without a prefix (x-default, which opens in the reader's
    language) as `hreflang` alternates, as Google reads them: one sitemap for every language. An
    article is listed once, in its own language, with its translations as its alternates.
    """
    several = len(languages) > 1
    newest = max((last_change(a) for a in articles), default=None)
    pages: dict[str, datetime | None] = {link("site.home"): newest, link("articles.index"): newest}
    pages.update(sorted(_listings(articles, link).items()))
    base = base.rstrip("/")
    urlset = ET.Element("urlset", xmlns=SITEMAP_NS)
    if several:
        urlset.set("xmlns:xhtml", XHTML_NS)
    for path, changed in pages.items():
        for code in languages if several else [""]:
            entry = _url(urlset, f"{base}/{code}{path}" if code else base + path, changed)
            if code:
                for other in languages:
                    _add(entry, "xhtml:link", rel="alternate", hreflang=other, href=f"{base}/{other}{path}")
                _add(entry, "xhtml:link", rel="alternate", hreflang="x-default", href=base + path)
    versions: dict[int, dict[str, str]] = {}
    for article in articles:
        address = (
            base + (f"/{article.language}" if several else "") + link("articles.detail", slug=article.slug)
        )
        versions.setdefault(article.translation_group_id or article.id, {})[article.language] = address
    for article in articles:
        found = versions[article.translation_group_id or article.id]
        entry = _url(urlset, found[article.language], last_change(article))
        if several and len(found) > 1:
            for code, address in sorted(found.items()):
                _add(entry, "xhtml:link", rel="alternate", hreflang=code, href=address)
    return _serialise(urlset)


def _url(urlset: ET.Element, address: str, changed: datetime | None) -> ET.Element:
    entry = _add(urlset, "url")
    _add(entry, "loc", address)
    if changed:
        _add(entry, "lastmod", timestamp(changed))
    return entry


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


def robots_txt(*, sitemap_url: str, languages: Sequence[str] = ()) -> str:
    """The same rules in every environment: crawl the reading site, skip accounts and forms.

    Each rule holds in every language: a rule matches the start of a path, so "/admin" alone would
    leave "/de/admin" open to crawlers.
    """
    prefixes = [""] + ([f"/{code}" for code in languages] if len(languages) > 1 else [])
    rules = (
        f"Disallow: {prefix}{path}"
        for prefix in prefixes
        for path in ROBOTS_DISALLOW
        if not (prefix and is_neutral(path))  # the API and the switch have no language
    )
    lines = ["User-agent: *", *rules, "Allow: /", ""]
    return "\n".join([*lines, f"Sitemap: {sitemap_url}", ""])
