"""The search index: rows of article text, each with the audience that may read it."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


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
    config: Mapped[str] = mapped_column(
        String(32).with_variant(REGCONFIG(), "postgresql"), default="simple", server_default="simple"
    )
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
