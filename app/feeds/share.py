"""Share metadata of an article: OpenGraph, Twitter card and schema.org JSON-LD.

Link previews and search engines fetch pages as visitors, and the page template renders this for
every viewer alike, so it holds only what everyone may read: never a word of the body. Whether
the article is open to all is decided by rendering it for an anonymous visitor (the one rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import jinja2

from app.articles import visibility
from app.articles.models import Article
from app.core.config import Settings
from app.feeds.links import absolute, last_change, published, timestamp

# Where the page shows a visitor what is reserved: the panel in place of each gated part.
LOCKED_SELECTOR = ".locked-panel"


@dataclass(frozen=True)
class ShareMetadata:
    url: str
    title: str
    description: str
    site_name: str
    published: str
    modified: str
    section: str
    tags: list[str]
    structured_data: dict[str, Any] = field(default_factory=dict)


def open_to_everyone(article: Article) -> bool:
    """Whether an anonymous visitor may read the whole article, gated blocks included."""
    body = visibility.public_body(article)
    return body is not None and body.locked_blocks == 0


def article_share(article: Article, settings: Settings, path: str) -> ShareMetadata:
    """What previews and search engines may know of the article at `path`: summary, never body."""
    url = absolute(settings, path)
    meta = ShareMetadata(
        url=url,
        title=article.title,
        description=article.summary,
        site_name=settings.site_name,
        published=timestamp(published(article)),
        modified=timestamp(last_change(article)),
        section=article.category.label if article.category else "",
        tags=[tag.label for tag in article.tags],
    )
    return replace(meta, structured_data=_json_ld(article, settings, meta))


def _json_ld(article: Article, settings: Settings, meta: ShareMetadata) -> dict[str, Any]:
    publisher = {"@type": "Organization", "name": settings.society_name, "url": absolute(settings, "/")}
    author = {"@type": "Person", "name": article.author_name} if article.author_name else publisher
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "mainEntityOfPage": {"@type": "MedicalWebPage", "@id": meta.url},
        "url": meta.url,
        "headline": meta.title,
        "description": meta.description,
        "datePublished": meta.published,
        "dateModified": meta.modified,
        "author": author,
        "publisher": publisher,
        "isAccessibleForFree": open_to_everyone(article),
    }
    if meta.section:
        data["articleSection"] = meta.section
    if meta.tags:
        data["keywords"] = meta.tags
    if not data["isAccessibleForFree"]:
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": LOCKED_SELECTOR,
        }
    return data


def register(env: jinja2.Environment) -> None:
    """Make `article_share(article, settings, path)` available to page templates."""
    env.globals["article_share"] = article_share
