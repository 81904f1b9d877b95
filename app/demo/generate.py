"""Many generated articles for measuring: copies of the demo articles under new titles and slugs,
with extra tags, their references and two revisions each, written with bulk inserts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from app.articles.models import Article, ArticleRevision, ArticleStatus, Reference, Tag, article_tag
from app.audit import service as audit_service
from app.core import content_version
from app.core.db import utcnow
from app.core.policy import stored_professions
from app.publishing.forms import REFERENCE_FIELDS
from app.search import service as search_service
from app.search.models import SearchSource
from app.search.sections import sections
from app.search.stemming import text_config

BATCH = 2_000
EXTRA_TAGS = 200
REVISIONS = 2


def fill_to(db: Session, total: int) -> int:
    """Add published articles modelled on the stored ones until there are `total`; return how many."""
    models = db.scalars(
        select(Article)
        .options(selectinload(Article.tags), selectinload(Article.references))
        .order_by(Article.id)
    ).all()
    if not models:
        raise ValueError("Load the demo articles first: generated articles copy them.")
    start = len(models)
    count = max(0, total - start)
    if not count:
        return 0
    tag_ids = _extra_tags(db)  # the first write: what follows is inside the transaction
    index = {model.id: _search_rows(model) for model in models}
    for first in range(0, count, BATCH):
        numbers = range(start + first + 1, start + min(first + BATCH, count) + 1)
        _insert_batch(db, models, numbers, tag_ids, index)
    content_version.bump(db)
    return count


def _extra_tags(db: Session) -> list[int]:
    rows = [{"slug": f"topic-{n}", "name": f"Topic {n}"} for n in range(1, EXTRA_TAGS + 1)]
    return list(db.scalars(insert(Tag).returning(Tag.id, sort_by_parameter_order=True), rows))


def _search_rows(model: Article) -> list[dict[str, Any]]:
    parts = sections(title=model.title, summary=model.summary, body=model.body, audience=model.audience)
    return [
        {
            "public": part.readers is None,
            "audience": stored_professions(part.readers or frozenset()),
            "config": text_config(model.language),
            "title": part.title,
            "body": part.body,
        }
        for part in parts
    ]


def _insert_batch(
    db: Session,
    models: Sequence[Article],
    numbers: range,
    tag_ids: list[int],
    index: dict[int, list[dict[str, Any]]],
) -> None:
    now = utcnow()
    chosen = [models[number % len(models)] for number in numbers]
    rows = [
        _article_row(model, n, now - timedelta(hours=n)) for model, n in zip(chosen, numbers, strict=True)
    ]
    # Ids from the database, not counted here, so PostgreSQL's sequence stays right.
    ids = db.scalars(insert(Article).returning(Article.id, sort_by_parameter_order=True), rows).all()
    db.execute(update(Article).where(Article.id.in_(ids)).values(translation_group_id=Article.id))
    children: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (article_tag, Reference.__table__, ArticleRevision.__table__)
    }
    entries, sources = [], []
    for article_id, model, row, number in zip(ids, chosen, rows, numbers, strict=True):
        extra_tag = tag_ids[number % EXTRA_TAGS]
        children[article_tag] += [
            {"article_id": article_id, "tag_id": t} for t in [*_ids(model.tags), extra_tag]
        ]
        fields = [{name: getattr(r, name) for name in REFERENCE_FIELDS} for r in model.references]
        children[Reference.__table__] += [{"article_id": article_id, **f} for f in fields]
        tag_names = [t.name for t in model.tags] + [f"Topic {number % EXTRA_TAGS + 1}"]
        children[ArticleRevision.__table__] += _revision_rows(article_id, row, model, tag_names, fields)
        entries += [
            {
                **e,
                "article_id": article_id,
                "title": row["title"] if e["title"] == model.title else e["title"],
            }
            for e in index[model.id]
        ]
        sources.append({"article_id": article_id, "body": row["body"], "audience": row["audience"]})
    children[SearchSource.__table__] = sources
    for table, child_rows in children.items():
        if child_rows:
            db.execute(insert(table), child_rows)
    search_service.add_entries(db, entries)


def _ids(tags: Sequence[Tag]) -> list[int]:
    return [tag.id for tag in tags]


def _article_row(model: Article, number: int, published_at: datetime) -> dict[str, Any]:
    return {
        "slug": f"{model.slug}-{number}",
        "title": f"{model.title} ({number})",
        "summary": model.summary,
        "body": model.body,
        "audience": model.audience,
        "gated_sections": model.gated_sections,
        "gated_professions": model.gated_professions,
        "author_name": model.author_name,
        "hero_image": model.hero_image,
        "hero_alt": model.hero_alt,
        "featured": False,
        # In its model's language, each copy the original of its own translation group (set below).
        "language": model.language,
        "version": REVISIONS,
        "status": ArticleStatus.PUBLISHED,
        "category_id": model.category_id,
        "published_at": published_at,
        "created_at": published_at,
        "updated_at": published_at,
    }


def _revision_rows(
    article_id: int,
    row: dict[str, Any],
    model: Article,
    tag_names: list[str],
    references: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "number": number,
            "title": row["title"],
            "slug": row["slug"],
            "summary": row["summary"],
            "body": row["body"] if number == REVISIONS else row["body"][: len(row["body"]) // 2],
            "audience": row["audience"],
            "category_name": model.category.name if model.category else "",
            "tags_json": json.dumps(tag_names),
            "author_name": row["author_name"],
            "hero_image": row["hero_image"],
            "hero_alt": row["hero_alt"],
            "references_json": json.dumps(references),
            "status": row["status"].value,
            "published_at": row["published_at"],
            "saved_by_id": None,
            "saved_by_label": audit_service.SYSTEM,
            "saved_at": row["published_at"],
        }
        for number in range(1, REVISIONS + 1)
    ]
