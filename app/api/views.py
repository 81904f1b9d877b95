"""Routes of this package; see the package docstring."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response

from app.access.dependencies import CurrentViewer
from app.api import filters, present
from app.api.paging import OPENAPI_PARAMETERS, PagingQuery
from app.api.schemas import ApiError, ArticleDetail, ArticleList
from app.articles import service, translations
from app.core.db import Db
from app.core.reader_cache import shared_per_variant
from app.core.text import is_slug

# Every page here is the same for all readers of a variant: stored per variant for logged-in readers.
router = APIRouter(prefix="/api/v1", tags=["articles"], dependencies=[Depends(shared_per_variant)])

ACCESS_RULE = """
The same access rule as the website, for the viewer of the site's session cookie:

* **visitor** (no session) and **applicant** (logged in, request not approved): public articles,
  with every gated block removed; articles whose whole body is for professionals show only their
  public fields, with `readable: false`.
* **professional** (approved): also the gated blocks and articles whose audience includes their
  profession (`::: professional prescribers` only for physicians, dentists, veterinarians and
  pharmacists).
* **staff**: everything.

Titles, summaries and the other listed fields are public. Answers to a logged-in viewer are sent
`Cache-Control: private, no-store`.
"""
NOT_FOUND = "There is no article at this address."
Slug = Annotated[
    str, Path(description="The article's slug, as in its page's address.", examples=["sleep-and-immunity"])
]


@router.get(
    "/articles",
    name="api.articles",
    response_model=ArticleList,
    summary="List published articles",
    description="Published articles, newest first, one page at a time; never the body. `readable` "
    "says whether this viewer may read an article's body.\n\nEvery language's articles, each with "
    "its `language` and its published `translations`; `language` keeps the list to one of them.\n\n"
    "A `page` past the end gives an empty `items`; a `page` or `page_size` out of range, or a "
    "`language` the site does not speak, gives 422.\n" + ACCESS_RULE,
    responses={
        422: {
            "model": ApiError,
            "description": "`page` or `page_size` out of range, or an unknown `language`",
        }
    },
    openapi_extra={"parameters": [*OPENAPI_PARAMETERS, filters.OPENAPI_PARAMETER]},
)
def articles(
    request: Request, db: Db, viewer: CurrentViewer, paging: PagingQuery, language: filters.LanguageQuery
) -> ArticleList:
    """List published articles, newest first, with whether this viewer may read each."""
    page = service.list_published(
        db, number=paging.page, size=paging.page_size, with_tags=True, count_all=True, language=language
    )
    versions = translations.published_versions(db, page.items)
    return present.article_list(request, page, viewer, versions, language=language)


@router.get(
    "/articles/{slug}",
    name="api.article",
    response_model=ArticleDetail,
    summary="Read one article",
    description="One published article with its body rendered for this viewer. Each gated block the "
    'viewer may not read is replaced by an empty `<div class="locked" data-audience="...">`; the '
    "table of contents, references and reading time count only what they may read. When they may "
    "not read the body at all, `locked` is true and the body fields are null.\n\nAn old slug "
    "answers 301 to the current one; unknown, draft and scheduled articles all answer 404.\n" + ACCESS_RULE,
    responses={
        301: {"description": "The article has moved to a new slug (see `Location`)"},
        404: {"model": ApiError, "description": "No published article at this slug"},
    },
)
def article(request: Request, slug: Slug, db: Db, viewer: CurrentViewer) -> ArticleDetail | Response:
    """Show one published article as this viewer may read it."""
    if not is_slug(slug):
        raise HTTPException(404, NOT_FOUND)
    found = service.find_published(db, slug)
    if found is None:
        new_slug = service.find_redirect(db, slug)
        # Only to a published article: a redirect must not name an unpublished one's new slug.
        if new_slug and service.find_published(db, new_slug):
            return RedirectResponse(request.app.url_path_for("api.article", slug=new_slug), 301)
        raise HTTPException(404, NOT_FOUND)
    return present.article_detail(request, found, viewer, translations.published_versions(db, [found]))
