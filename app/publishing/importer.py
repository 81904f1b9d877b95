"""`portal import`: Markdown files with a YAML front matter become articles.

A file either imports whole or not at all; every problem names the file and the line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles import body_limits, translations
from app.articles.markdown import check_body
from app.articles.models import Article, ArticleStatus
from app.core import i18n
from app.core.db import utcnow
from app.core.policy import AudienceError, parse_audience
from app.core.text import SLUG_PATTERN, slugify
from app.media import service as media_service
from app.publishing import service

if TYPE_CHECKING:
    import yaml


class ImportProblem(Exception):
    """A file that cannot be imported, with the place to fix."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)

    key: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,60}$")
    authors: str = Field(min_length=1, max_length=1000)
    title: str = Field(min_length=1, max_length=1000)
    journal: str = ""
    year: int | None = Field(default=None, ge=1500, le=2200)
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = Field(default="", pattern=r"^(10\.\S+/\S+)?$")
    pmid: str = Field(default="", pattern=r"^\d{0,10}$")
    url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    # The language its title is in, when not the article's: `language: en` for an English paper.
    language: str = Field(default="", pattern=r"^([a-z]{2,3})?$")


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    slug: str | None = Field(default=None, pattern=SLUG_PATTERN, max_length=200)
    summary: str = Field(min_length=1, max_length=1000)
    category: str = Field(min_length=1, max_length=120)
    tags: list[str] = []
    audience: str | list[str] | None = None
    references: list[ReferenceIn] = []
    published: datetime | None = None
    status: Literal["draft", "published"] = "published"
    featured: bool = False
    author: str = ""
    hero_image: str | None = None
    hero_alt: str = ""
    # The article's language (else the site's default), and the slug of the article it translates.
    language: str | None = None
    translation_of: str | None = Field(default=None, pattern=SLUG_PATTERN, max_length=200)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        # Any language the site could speak: a translation may be loaded before its language is on.
        if value is not None and value not in i18n.catalog_languages():
            raise ValueError(f"unknown language {value!r}; one of: {', '.join(i18n.catalog_languages())}")
        return value

    @field_validator("audience")
    @classmethod
    def _known_audience(cls, value: str | list[str] | None) -> str | list[str] | None:
        try:
            parse_audience(value)
        except AudienceError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("published")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def split_front_matter(path: Path, text: str) -> tuple[str, str, int]:
    """Return the YAML text, the body and the line on which the body starts."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ImportProblem(path, 1, "the file must start with a '---' line opening the front matter")
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:number]), "".join(lines[number + 1 :]), number + 1
    raise ImportProblem(path, 1, "the front matter is never closed with a '---' line")


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int:
    """Find the front-matter line of a pydantic error location by walking the YAML nodes."""
    import yaml

    line = node.start_mark.line + 1 if node else 0
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            key, node = match[0]
            # A list or mapping is best pointed at by its key's line.
            if isinstance(node, yaml.CollectionNode):
                line = key.start_mark.line + 1
                continue
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_file(path: Path) -> tuple[FrontMatter, str]:
    """Read and check one file; raise ImportProblem for the first thing that is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportProblem(path, 0, f"cannot read the file: {error}") from None
    front, body, body_line = split_front_matter(path, text)
    if too_large := body_limits.before_parsing(body):
        raise ImportProblem(path, 0, too_large)
    # The editor's forms share this module's rules; only an import reads YAML, so only it loads yaml.
    import yaml

    try:
        raw: Any = yaml.safe_load(front) or {}
        node = yaml.compose(front)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise ImportProblem(path, line, f"front matter is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ImportProblem(path, 2, "front matter must be a mapping of fields")
    try:
        meta = FrontMatter.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        line = _line_of(node, first["loc"]) + 1
        raise ImportProblem(path, line, f"{where}: {first['msg']}") from None
    keys = [r.key for r in meta.references]
    if len(keys) != len(set(keys)):
        raise ImportProblem(path, _line_of(node, ("references",)) + 1, "reference keys must be unique")
    for problem in check_body(body, set(keys)):
        line = body_line + problem.line if problem.line else _line_of(node, ("references",)) + 1
        raise ImportProblem(path, line, problem.message)
    return meta, body


def import_file(
    db: Session, path: Path, *, media_dir: Path, default_language: str = i18n.SOURCE_LANGUAGE
) -> Article:
    """Create or update the article a file describes; nothing is flushed if the file is bad.

    Images given by a path relative to the file are copied into the media library, so they are
    served through the access rule like the text around them. A file with `translation_of` becomes
    that article's version in its `language`; the original must be imported first.
    """
    meta, body = parse_file(path)
    original = _original(db, path, meta)
    body = _import_images(db, path, body, media_dir)
    audience = " ".join(meta.audience) if isinstance(meta.audience, list) else (meta.audience or "")
    try:
        return _save(db, meta, body, audience, language=meta.language or default_language, original=original)
    except translations.TranslationRefused as refused:
        raise ImportProblem(path, _key_line(path, "translation_of"), f"translation_of: {refused}") from None


def _original(db: Session, path: Path, meta: FrontMatter) -> Article | None:
    if meta.translation_of is None:
        return None
    original = db.scalar(select(Article).where(Article.slug == meta.translation_of))
    if original is None:
        line = _key_line(path, "translation_of")
        message = f"translation_of: there is no article {meta.translation_of!r}; import the original first"
        raise ImportProblem(path, line, message)
    return original


def _key_line(path: Path, key: str) -> int:
    """The line of a top-level front-matter key, for a problem found after parsing."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((number for number, line in enumerate(lines, start=1) if line.startswith(f"{key}:")), 0)


def _save(
    db: Session, meta: FrontMatter, body: str, audience: str, *, language: str, original: Article | None
) -> Article:
    return service.save_article(
        db,
        slug=meta.slug or slugify(meta.title),
        title=meta.title,
        summary=meta.summary,
        body=body,
        audience=audience,
        category_name=meta.category,
        tag_names=meta.tags,
        references=[r.model_dump() for r in meta.references],
        status=_status(meta),
        published_at=meta.published or utcnow(),
        featured=meta.featured,
        author_name=meta.author,
        hero_image=meta.hero_image,
        hero_alt=meta.hero_alt,
        language=language,
        translation_of=original,
    )


def _status(meta: FrontMatter) -> ArticleStatus:
    if meta.status == "draft":
        return ArticleStatus.DRAFT
    if meta.published and meta.published > utcnow():
        return ArticleStatus.SCHEDULED
    return ArticleStatus.PUBLISHED


LOCAL_IMAGE = re.compile(r"(!\[[^\]]*\]\()([^)\s]+)")


def _import_images(db: Session, path: Path, body: str, media_dir: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        src = match.group(2)
        if src.startswith(("/", "http://", "https://", "data:")):
            return match.group(0)
        source = (path.parent / src).resolve()
        if not source.is_file():
            raise ImportProblem(path, 0, f"image {src!r} not found next to the file")
        try:
            media = media_service.store_file(db, source, media_dir)
        except media_service.MediaRefused as refused:
            raise ImportProblem(path, 0, str(refused)) from None
        return match.group(1) + media_service.url_of(media)

    return LOCAL_IMAGE.sub(replace, body)
