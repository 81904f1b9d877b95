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
    Translation,
)
from app.articles import visibility
from app.articles.markdown import CitedReference, LockedPart
from app.articles.models import Article, Category, Tag
from app.articles.translations import group_id
from app.core import languages
from app.core.config import Settings
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


# (language, slug) of each published version of an article's translation group, by group
# (`translations.published_versions`).
Versions = dict[int, list[tuple[str, str]]]


def article_summary(request: Request, article: Article, viewer: Viewer, versions: Versions) -> ArticleSummary:
    """The public fields of an article, and whether this viewer may read its body."""
    settings: Settings = request.app.state.settings
    rule = article.audience_rule
    category = article.category
    group = versions.get(group_id(article) or article.id, [])
    others = [(code, slug) for code, slug in group if code != article.language]
    return ArticleSummary(
        slug=article.slug,
        title=article.title,
        summary=article.summary,
        category=_named(settings, category) if category else None,
        tags=[_named(settings, tag) for tag in article.tags],
        author=article.author_name or None,
        published_at=_utc(article.published_at),
        updated_at=_utc(article.updated_at),
        audience=AudienceOut(public=rule.is_public, label=rule.label or PUBLIC_LABEL),
        readable=visibility.may_read_article(viewer, article),
        url=_page(request, article.slug, article.language),
        language=article.language,
        translations=[
            Translation(language=code, slug=slug, url=_page(request, slug, code)) for code, slug in others
        ],
    )


def _page(request: Request, slug: str, code: str) -> str:
    """The article's page on the website, in language `code`."""
    path = request.app.url_path_for("articles.detail", slug=slug)
    return languages.address(request.app.state.settings, path, code)


def _named(settings: Settings, item: Category | Tag) -> Named:
    # `name` is the default language's, and stands in for a name not translated.
    default = settings.default_language
    names = {
        code: item.name if code == default else item.translated("name", code) or item.name
        for code in settings.language_codes
    }
    return Named(slug=item.slug, name=item.name, names=names)


def article_detail(request: Request, article: Article, viewer: Viewer, versions: Versions) -> ArticleDetail:
    """The article with its body rendered for this viewer; body fields null when it is closed."""
    body = visibility.readable_body(article, viewer, panel=locked_marker)
    # `readable` follows the body itself, so the two can never disagree.
    summary = article_summary(request, article, viewer, versions)
    public = summary.model_dump() | {"readable": body is not None}
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
        language=ref.language,
    )


def article_list(
    request: Request, page: Page[Article], viewer: Viewer, versions: Versions, *, language: str | None
) -> ArticleList:
    """One page of articles, with links to its neighbours (in the same language, when kept to one)."""
    previous = min(page.number - 1, page.pages)
    return ArticleList(
        items=[article_summary(request, article, viewer, versions) for article in page.items],
        page=page.number,
        page_size=page.size,
        total=page.total,
        pages=page.pages,
        next=_page_url(request, page.number + 1, page.size, language) if page.has_next else None,
        previous=_page_url(request, previous, page.size, language) if page.has_previous else None,
    )


def _page_url(request: Request, number: int, size: int, language: str | None) -> str:
    path = request.app.url_path_for("api.articles")
    query: dict[str, object] = {"page": number, "page_size": size}
    if language is not None:
        query["language"] = language
    return _absolute(request, f"{path}?{urlencode(query)}")
