"""An article's saved versions: list them, compare two field by field, restore one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.articles import service as articles_service
from app.articles.models import Article, ArticleRevision, Category
from app.core import i18n
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.pagination import Page, paginate
from app.publishing import editing, forms, service
from app.publishing.forms import REFERENCE_FIELDS

# (attribute, label) in the order a person reads the editor form; labels translated when compared.
FIELDS = [
    ("title", N_("Title")),
    ("slug", N_("Address (slug)")),
    ("summary", N_("Summary")),
    ("category_name", N_("Category")),
    ("tags", N_("Tags")),
    ("audience", N_("Audience")),
    ("author_name", N_("Author byline")),
    ("hero_image", N_("Hero image")),
    ("hero_alt", N_("Hero image alt text")),
    ("status", N_("Status")),
    ("published_at", N_("Publish time")),
    ("references", N_("References")),
    ("body", N_("Body")),
]


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same" or "gap"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    label: str
    lines: list[DiffLine]


def page_of(db: Session, article: Article, *, number: int, size: int) -> Page[ArticleRevision]:
    """Return one page of the article's revisions, newest first."""
    query = select(ArticleRevision).where(ArticleRevision.article_id == article.id)
    return paginate(db, query.order_by(ArticleRevision.number.desc()), number=number, size=size)


def find(db: Session, article: Article, number: int) -> ArticleRevision | None:
    """Return the article's revision with this number."""
    query = select(ArticleRevision).where(
        ArticleRevision.article_id == article.id, ArticleRevision.number == number
    )
    return db.scalar(query)


def _text(revision: ArticleRevision, name: str, zone: tzinfo) -> str:
    if name == "tags":
        return ", ".join(json.loads(revision.tags_json))
    if name == "references":
        return "\n".join(_reference_line(r) for r in json.loads(revision.references_json))
    if name == "published_at":
        value = forms.aware(revision.published_at)
        if value is None:
            return ""
        return f"{value.astimezone(zone):%Y-%m-%d %H:%M} {i18n.format_zone_name(value, zone=zone)}"
    if name == "audience":
        return revision.audience or "public"
    return str(getattr(revision, name) or "")


def _reference_line(fields: dict[str, object]) -> str:
    return " | ".join(f"{name}: {fields[name]}" for name in REFERENCE_FIELDS if fields.get(name))


def diff(old: ArticleRevision, new: ArticleRevision, *, zone: tzinfo) -> list[FieldDiff]:
    """Compare two revisions: each changed field, its text line by line (three lines of context);
    publish times in the society's `zone`."""
    changes = []
    for name, label in FIELDS:
        before, after = _text(old, name, zone).splitlines(), _text(new, name, zone).splitlines()
        if before != after:
            changes.append(FieldDiff(_(label), _lines(before, after)))
    return changes


def _lines(before: Sequence[str], after: Sequence[str]) -> list[DiffLine]:
    import difflib  # imported by the revisions page, not by every worker

    kinds = {"+": "added", "-": "removed", " ": "same"}
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("gap", line))
        else:
            lines.append(DiffLine(kinds[line[:1]], line[1:]))
    return lines


def content_of(db: Session, revision: ArticleRevision) -> service.Content:
    """The content a revision holds, as a save takes it."""
    category = None
    if revision.category_name:
        found = db.scalar(select(Category).where(Category.name == revision.category_name))
        category = found or articles_service.category_named(db, revision.category_name)
    return service.Content(
        title=revision.title,
        slug=revision.slug,
        summary=revision.summary,
        body=revision.body,
        audience=revision.audience,
        category=category,
        tag_names=tuple(json.loads(revision.tags_json)),
        author_name=revision.author_name,
        hero_image=revision.hero_image,
        hero_alt=revision.hero_alt,
        references=tuple(json.loads(revision.references_json)),
    )


def restore(
    db: Session,
    *,
    article: Article,
    revision: ArticleRevision,
    actor: User,
    version: int | None,
    ip: str = "",
) -> bool:
    """Save the revision's content again as a new version; return False if its address was taken."""
    content = content_of(db, revision)
    address_free = not editing.slug_problem(db, content.slug, article)
    if not address_free:
        # The old address now belongs to another article: keep today's.
        content = replace(content, slug=article.slug)
    editing.claim(db, article, version)
    editing.follow_rename(db, article, content.slug)
    before = article.status
    service.apply_content(
        db, article, content, status=article.status, published_at=article.published_at, saved_by=actor
    )
    editing.audit_save(db, article, before=before, actor=actor, ip=ip, action="article.restored")
    return address_free
