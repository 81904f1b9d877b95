"""Turn articles into API answers for one viewer. Bodies pass through `visibility` only."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import Request
from markupsafe import escape

from app.api.schemas import (
    PUBLIC_LABEL,
    ArticleDetail,
    ArticleList,
    ArticleSummary,
    AudienceOut,
    Named,
    ReferenceOut,
    TocEntryOut,
)
from app.articles import visibility
from app.articles.markdown import CitedReference, LockedPart
from app.articles.models import Article
from app.core.pagination import Page
from app.core.policy import Viewer


def locked_marker(part: LockedPart) -> str:
    """What stands in a body where a gated block was cut out: who may read it, never the text."""
    return f'<div class="locked" data-audience="{escape(part.audience.label)}"></div>'


def _absolute(request: Request, path: str) -> str:
    return str(request.app.state.settings.base_url).rstrip("/") + path


def _utc(moment: datetime | None) -> datetime:
    assert moment is not None  # a published article always has its times
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def article_summary(request: Request, article: Article, viewer: Viewer) -> ArticleSummary:
    """The public fields of an article, and whether this viewer may read its body."""
    rule = article.audience_rule
    category = article.category
    return ArticleSummary(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=Named(slug=category.slug, name=category.name) if category else None,
        tags=[Named(slug=tag.slug, name=tag.name) for tag in article.tags],
        author=article.author_name or None,
        published_at=_utc(article.published_at),
        updated_at=_utc(article.updated_at),
        audience=AudienceOut(public=rule.is_public, label=rule.label or PUBLIC_LABEL),
        readable=visibility.may_read_article(viewer, article),
        url=_absolute(request, request.app.url_path_for("articles.detail", slug=article.slug)),
    )


def article_detail(request: Request, article: Article, viewer: Viewer) -> ArticleDetail:
    """The article with its body rendered for this viewer; body fields null when it is closed."""
    body = visibility.readable_body(article, viewer, panel=locked_marker)
    # `readable` follows the body itself, so the two can never disagree.
    public = article_summary(request, article, viewer).model_dump() | {"readable": body is not None}
    if body is None:
        return ArticleDetail(
            **public,
            locked=True,
            body_html=None,
            toc=None,
            references=None,
            reading_minutes=None,
            locked_blocks=None,
        )
    return ArticleDetail(
        **public,
        locked=False,
        body_html=str(body.html),
        toc=[TocEntryOut(anchor=e.anchor, text=e.text, level=e.level) for e in body.toc],
        references=[_reference(cited) for cited in body.references],
        reading_minutes=body.reading_minutes,
        locked_blocks=body.locked_blocks,
    )


def _reference(cited: CitedReference) -> ReferenceOut:
    ref = cited.reference
    return ReferenceOut(
        number=cited.number,
        anchor=cited.anchor,
        authors=ref.authors,
        title=ref.title,
        journal=ref.journal,
        year=ref.year,
        volume=ref.volume,
        issue=ref.issue,
        pages=ref.pages,
        doi=ref.doi,
        pmid=ref.pmid,
        url=ref.url,
    )


def article_list(request: Request, page: Page[Article], viewer: Viewer) -> ArticleList:
    """One page of articles, with links to its neighbours."""
    previous = min(page.number - 1, page.pages)
    return ArticleList(
        items=[article_summary(request, article, viewer) for article in page.items],
        page=page.number,
        page_size=page.size,
        total=page.total,
        pages=page.pages,
        next=_page_url(request, page.number + 1, page.size) if page.has_next else None,
        previous=_page_url(request, previous, page.size) if page.has_previous else None,
    )


def _page_url(request: Request, number: int, size: int) -> str:
    path = request.app.url_path_for("api.articles")
    return _absolute(request, f"{path}?{urlencode({'page': number, 'page_size': size})}")
