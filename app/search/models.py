"""The search index: rows of article text, each with the audience that may read it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Dialect, ForeignKey, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from app.core.db import Base


class TextSearchConfig(TypeDecorator[str]):
    """A text search configuration's name: a `regconfig` on PostgreSQL, a short string elsewhere.

    Chosen per dialect when a statement is compiled, so a process on SQLite never loads the
    PostgreSQL dialect (2.2 MB) just to name this column's type there.
    """

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """PostgreSQL's `regconfig`, or the 32-character string."""
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import REGCONFIG

            return dialect.type_descriptor(REGCONFIG())
        return dialect.type_descriptor(String(32))


class SearchEntry(Base):
    """Text of one article that one audience may read; SQLite and PostgreSQL index it apart.

    `public` rows are for everyone. Other rows are for the professions listed, space-separated,
    in `audience`; an empty list there means staff only (never everyone). `config` is the text
    search configuration of the article's language (`stemming.text_config`) the row is indexed in.
    """

    __tablename__ = "search_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(String(300), default="")
    # A `regconfig` on PostgreSQL, which its generated `document` column is built with.
    config: Mapped[str] = mapped_column(TextSearchConfig(), default="simple", server_default="simple")
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


class SearchSource(Base):
    """The body and audience an article's rows were built from.

    A query uses an article's rows only while these still equal the article's own, so a change
    made without re-indexing hides the article from search instead of serving stale gating.
    """

    __tablename__ = "search_source"

    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(300))
