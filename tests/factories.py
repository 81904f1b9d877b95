"""Plain functions that store test data with sensible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from app.articles import service
from app.articles.models import Article, ArticleStatus
from app.core.db import utcnow

_numbers = count(1)


def reference(key: str = "smith2020", **fields: Any) -> dict[str, Any]:
    defaults = {
        "key": key,
        "authors": "Smith A, Jones B",
        "title": "A study of something",
        "journal": "J Example Med",
        "year": 2020,
        "volume": "12",
        "issue": "3",
        "pages": "45-67",
        "doi": "",
        "pmid": "",
        "url": "",
    }
    return {**defaults, **fields}


def article(
    db: Session,
    *,
    title: str | None = None,
    slug: str | None = None,
    body: str = "Some public text.",
    summary: str = "A short summary.",
    category: str = "Mental health",
    tags: list[str] | None = None,
    audience: str = "",
    references: list[dict[str, Any]] | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISHED,
    published_at: datetime | None = None,
    featured: bool = False,
    author: str = "Dr. Example",
) -> Article:
    number = next(_numbers)
    title = title or f"Article {number}"
    saved = service.save_article(
        db,
        slug=slug or f"article-{number}",
        title=title,
        summary=summary,
        body=body,
        audience=audience,
        category_name=category,
        tag_names=tags or [],
        references=references or [],
        status=status,
        published_at=published_at or utcnow() - timedelta(days=1, minutes=number),
        featured=featured,
        author_name=author,
    )
    db.commit()
    return saved
