"""What the staff editor lists: every article whatever its status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.articles.models import Article, ArticleStatus, Category
from app.core.i18n import N_, Labels
from app.core.pagination import Page, paginate
from app.core.text import query_text, row_number

# The labels are marked for the catalog; translate them where they are shown.
SORTS: dict[str, tuple[ColumnElement[Any], str]] = {
    "updated": (Article.updated_at.desc(), N_("Last changed")),
    "published": (Article.published_at.desc(), N_("Publish time")),
    "title": (func.lower(Article.title).asc(), N_("Title")),
}
AUDIENCES = Labels(
    {
        "public": N_("Public, no gated part"),
        "professional": N_("Whole article for professionals"),
        "gated": N_("Public, with gated parts"),
    }
)


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    category: int | None = None
    audience: str = ""
    author: int | None = None
    sort: str = "updated"

    @classmethod
    def read(cls, params: dict[str, str]) -> Filters:
        """Keep the filters that make sense; anything else means "any"."""

        def number(name: str) -> int | None:
            return row_number(params.get(name, ""))

        status = params.get("status", "")
        return cls(
            q=query_text(params.get("q", "")),
            status=status if status in ArticleStatus.__members__.values() else "",
            category=number("category"),
            audience=params.get("audience", "") if params.get("audience") in AUDIENCES else "",
            author=number("author"),
            sort=params.get("sort", "") if params.get("sort") in SORTS else "updated",
        )

    def params(self) -> dict[str, str]:
        """The filters as query parameters, to keep them across pages."""
        values = {
            "q": self.q,
            "status": self.status,
            "category": str(self.category or ""),
            "audience": self.audience,
            "author": str(self.author or ""),
            "sort": "" if self.sort == "updated" else self.sort,
        }
        return {name: value for name, value in values.items() if value}


def _query(filters: Filters) -> Select[Article]:
    query = select(Article).options(selectinload(Article.tags), selectinload(Article.author))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        columns = (Article.title, Article.summary, Article.slug)
        query = query.where(or_(*(func.lower(column).like(pattern) for column in columns)))
    if filters.status:
        query = query.where(Article.status == ArticleStatus(filters.status))
    if filters.category:
        query = query.where(Article.category_id == filters.category)
    if filters.author:
        query = query.where(Article.author_id == filters.author)
    # Stored at every save (app/articles/gating.py), as the parser reads the body's blocks.
    gated = Article.gated_professions != ""
    if filters.audience == "professional":
        query = query.where(Article.audience != "")
    elif filters.audience == "gated":
        query = query.where(Article.audience == "", gated)
    elif filters.audience == "public":
        query = query.where(Article.audience == "", ~gated)
    return query.order_by(SORTS[filters.sort][0], Article.id.desc())


def search(db: Session, filters: Filters, *, number: int, size: int) -> Page[Article]:
    """Return one page of the articles matching the filters, whatever their status."""
    return paginate(db, _query(filters), number=number, size=size)


def categories(db: Session) -> Sequence[Category]:
    """Return every category, by name."""
    return db.scalars(select(Category).order_by(Category.name)).all()


def authors(db: Session) -> Sequence[User]:
    """Return the staff members who created at least one article, by name."""
    ids = select(Article.author_id).where(Article.author_id.is_not(None))
    return db.scalars(select(User).where(User.id.in_(ids)).order_by(User.full_name)).all()
