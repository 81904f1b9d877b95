"""What the JSON API answers, as pydantic models: the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonDict  # type: ignore[attr-defined]  # public, not re-exported

PUBLIC_LABEL = "Everyone"
SUMMARY_EXAMPLE: JsonDict = {
    "slug": "sleep-and-immunity",
    "title": "Sleep and immunity",
    "summary": "How a night's sleep shapes the immune response.",
    "category": {
        "slug": "healthy-lifestyle",
        "name": "Healthy lifestyle",
        "names": {"en": "Healthy lifestyle", "de": "Gesunde Lebensweise"},
    },
    "tags": [{"slug": "sleep", "name": "Sleep", "names": {"en": "Sleep", "de": "Schlaf"}}],
    "author": "Dr. Jane Example",
    "published_at": "2026-03-01T09:00:00Z",
    "updated_at": "2026-03-04T12:30:00Z",
    "audience": {"public": True, "label": PUBLIC_LABEL},
    "readable": True,
    "url": "https://portico.example/en/articles/sleep-and-immunity",
    "language": "en",
    "translations": [
        {
            "language": "de",
            "slug": "schlaf-und-immunabwehr",
            "url": "https://portico.example/de/articles/schlaf-und-immunabwehr",
        }
    ],
}


class Named(BaseModel):
    """A category or tag."""

    slug: str = Field(description="URL slug.", examples=["healthy-lifestyle"])
    name: str = Field(
        description="Display name, in the site's default language.", examples=["Healthy lifestyle"]
    )
    names: dict[str, str] = Field(
        description="The name in each of the site's languages, by language code; the default "
        "language's name where no translation was given.",
        examples=[{"en": "Healthy lifestyle", "de": "Gesunde Lebensweise"}],
    )


class Translation(BaseModel):
    """A published version of the article in another language."""

    language: str = Field(description="Its language code.", examples=["de"])
    slug: str = Field(
        description="Its slug, for `/api/v1/articles/{slug}`.", examples=["schlaf-und-immunabwehr"]
    )
    url: str = Field(
        description="Its page on the website, in its language.",
        examples=["https://portico.example/de/articles/schlaf-und-immunabwehr"],
    )


class AudienceOut(BaseModel):
    """Who may read the article's body as a whole. Title and summary are always public."""

    public: bool = Field(description="True when anyone may read the body (its gated blocks aside).")
    label: str = Field(
        description=f'Who may read it: "{PUBLIC_LABEL}", a named circle or a list of professions.',
        examples=["Prescribers"],
    )


class ArticleSummary(BaseModel):
    """A published article as listed: everything public about it, never its body."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    slug: str = Field(description="The article's current slug; old slugs redirect to it.")
    title: str
    summary: str = Field(description="The author's teaser; public even when the body is not.")
    category: Named | None = None
    tags: list[Named] = Field(default_factory=list)
    author: str | None = Field(default=None, description="The author's name, when given.")
    published_at: datetime = Field(description="When it was published (UTC).")
    updated_at: datetime = Field(description="When it was last changed (UTC).")
    audience: AudienceOut
    readable: bool = Field(description="Whether the viewer making this request may read the body.")
    url: str = Field(description="The article's page on the website, in the article's language.")
    language: str = Field(description="The language the article is written in (a code).", examples=["en"])
    translations: list[Translation] = Field(
        default_factory=list,
        description="Its published versions in the site's other languages, by language code; "
        "empty when it has none. Drafts and scheduled versions are never named.",
    )


class TocEntryOut(BaseModel):
    anchor: str = Field(description="The heading's id inside `body_html`.", examples=["findings"])
    text: str = Field(examples=["Findings"])
    level: int = Field(description="2 or 3.", examples=[2])


class ReferenceOut(BaseModel):
    """A numbered reference, in order of first citation in the text this viewer may read."""

    number: int = Field(examples=[1])
    anchor: str = Field(description="The reference's id in the rendered list.", examples=["ref-1"])
    authors: str = Field(examples=["Smith A, Jones B"])
    title: str = Field(examples=["Sleep deprivation and the immune response"])
    journal: str = Field(examples=["J Example Med"])
    year: int | None = Field(default=None, examples=[2020])
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = Field(default="", examples=["10.1000/xyz123"])
    pmid: str = ""
    url: str = ""
    language: str = Field(
        default="",
        description="The language of its title and journal when not the article's (an English paper "
        "cited in German); empty when it is the article's.",
        examples=["", "en"],
    )


class ArticleDetail(ArticleSummary):
    """An article with its body as the viewer may read it, gated blocks they may not read removed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "locked": False,
                    "body_html": '<p>Open text.</p>\n<div class="locked" data-audience="Prescribers"></div>',
                    "toc": [],
                    "references": [],
                    "reading_minutes": 4,
                    "locked_blocks": 1,
                },
                {
                    **SUMMARY_EXAMPLE,
                    "audience": {"public": False, "label": "Health professionals"},
                    "readable": False,
                    "locked": True,
                    "body_html": None,
                    "toc": None,
                    "references": None,
                    "reading_minutes": None,
                    "locked_blocks": None,
                },
            ]
        }
    )

    locked: bool = Field(description="True when the viewer may not read the body: the fields below are null.")
    body_html: str | None = Field(
        description=(
            "Sanitised HTML for this viewer. Each gated block they may not read is replaced by an empty "
            '`<div class="locked" data-audience="...">` naming who may read it; its text is never sent.'
        )
    )
    toc: list[TocEntryOut] | None = Field(description="Table of contents (empty for short articles).")
    references: list[ReferenceOut] | None = Field(
        description="Only the references cited in the text this viewer may read."
    )
    reading_minutes: int | None = Field(description="Reading time of the text this viewer may read.")
    locked_blocks: int | None = Field(description="How many gated blocks were removed for this viewer.")


class ArticleList(BaseModel):
    """One page of published articles, newest first."""

    items: list[ArticleSummary]
    page: int = Field(description="This page's number, from 1.", examples=[1])
    page_size: int = Field(description="Items per page.", examples=[20])
    total: int = Field(description="Published articles in all pages.", examples=[42])
    pages: int = Field(description="Number of pages (at least 1).", examples=[3])
    next: str | None = Field(description="The next page, or null on the last.")
    previous: str | None = Field(description="The previous page, or null on the first.")


class ApiError(BaseModel):
    """An error, for people: what went wrong."""

    detail: str = Field(examples=["There is no article at this address."])
