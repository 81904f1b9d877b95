"""What a viewer may see of an article: every surface (pages, API, feeds) asks here.

The decision itself is `policy.may_read`; this module applies it to an article's parts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from app.articles import body_cache, service
from app.articles.markdown import LockedPart, RenderedBody
from app.articles.models import Article
from app.core.policy import VISITOR, Viewer, may_read


def may_read_article(viewer: Viewer, article: Article) -> bool:
    """Whether the viewer may read the article's body at all (title and summary are public)."""
    return may_read(viewer, article.audience_rule)


def readable_body(
    article: Article, viewer: Viewer, *, panel: Callable[[LockedPart], str] = lambda _part: ""
) -> RenderedBody | None:
    """The body as this viewer may read it, gated blocks replaced by `panel`; None if closed."""
    if not may_read_article(viewer, article):
        return None
    # References are loaded only when a variant is first rendered.
    references = partial(service.reference_data, article)
    return body_cache.body_for(article, viewer, references=references, panel=panel)


def public_body(article: Article) -> RenderedBody | None:
    """The body as an anonymous visitor reads it: for feeds, metadata and anything cached."""
    return readable_body(article, VISITOR)


def closed_part(article: Article) -> LockedPart:
    """What a closed article's panel says of it: for whom, and about how long (never the text)."""
    return body_cache.whole_locked(article)
