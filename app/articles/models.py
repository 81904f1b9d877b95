"""Articles and what hangs off them: categories, tags, references, revisions, old slugs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import i18n
from app.core.db import Base, utcnow
from app.core.policy import Audience, parse_audience

if TYPE_CHECKING:
    from app.accounts.models import User


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    ARCHIVED = "archived"


article_tag = Table(
    "article_tag",
    Base.metadata,
    Column("article_id", ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    # A tag's page finds its articles without reading every article's tags.
    Index("ix_article_tag_tag_id_article_id", "tag_id", "article_id"),
)


class TranslatedName:
    """A category's or tag's name in the page's language; `name` is the default language's."""

    name: str
    # {"de": {"name": "Psychische Gesundheit", "description": "..."}}: each other language's
    # fields, read with the row, so a listing costs no extra statement.
    translations: dict[str, dict[str, str]]

    def translated(self, field: str, code: str = "") -> str:
        """`field` in language `code` (the page's by default), or "" when none was given."""
        return (self.translations or {}).get(code or i18n.current(), {}).get(field, "")

    @property
    def label(self) -> str:
        return self.translated("name") or self.name


class Category(TranslatedName, Base):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict, server_default="{}")

    @property
    def about(self) -> str:
        """The description in the page's language, else the default language's."""
        return self.translated("description") or self.description


class Tag(TranslatedName, Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict, server_default="{}")


class Article(Base):
    __tablename__ = "article"
    # Listings read published articles newest first, in all, in one category or the featured: these
    # indexes give them in that order, so a page reads its rows and no more however many there are.
    __table_args__ = (
        Index("ix_article_status_published_at_id", "status", "published_at", "id"),
        Index("ix_article_category_id_status_published_at_id", "category_id", "status", "published_at", "id"),
        Index("ix_article_featured_status_published_at_id", "featured", "status", "published_at", "id"),
        # The professional area's figures by topic are read from this index alone, never from the
        # rows, whose long bodies SQLite would step through to reach the columns stored after them.
        Index(
            "ix_article_gated_holdings",
            "status",
            "language",
            "published_at",
            "category_id",
            "gated_professions",
            "gated_sections",
            "audience",
        ),
        # A translation group holds at most one article per language.
        UniqueConstraint("translation_group_id", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(300), default="")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    hero_image: Mapped[str | None] = mapped_column(String(500))
    hero_alt: Mapped[str] = mapped_column(String(500), default="")
    # What the body and audience hold for professionals, set with them at every save
    # (app/articles/gating.py): the professional area counts and lists from these, not from bodies.
    gated_sections: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gated_professions: Mapped[str] = mapped_column(String(200), default="", server_default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # One of the site's languages; listings under /de/ show the articles whose language is "de".
    language: Mapped[str] = mapped_column(String(8), default=i18n.SOURCE_LANGUAGE)
    # The versions of one article in several languages share a group: the id of the original (the
    # version the others were translated from), which is its own group. Null only while a new
    # article has no id yet, or when the original was deleted.
    translation_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("article.id", ondelete="SET NULL"), index=True
    )
    # The staff member who created it (for the editor's author filter); the byline is author_name.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Raised by one on every save; an editor form carries it so a stale save is refused.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[ArticleStatus] = mapped_column(
        Enum(
            ArticleStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ArticleStatus.DRAFT,
    )
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    category: Mapped[Category | None] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=article_tag, order_by="Tag.name")
    references: Mapped[list[Reference]] = relationship(cascade="all, delete-orphan", order_by="Reference.id")
    author: Mapped[User | None] = relationship()

    @property
    def audience_rule(self) -> Audience:
        return parse_audience(self.audience)


class Reference(Base):
    """A bibliographic entry an article cites as `[^key]`; numbered by first citation."""

    __tablename__ = "reference"
    __table_args__ = (UniqueConstraint("article_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    authors: Mapped[str] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(1000))
    journal: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int | None] = mapped_column(Integer)
    volume: Mapped[str] = mapped_column(String(40), default="")
    issue: Mapped[str] = mapped_column(String(40), default="")
    pages: Mapped[str] = mapped_column(String(40), default="")
    doi: Mapped[str] = mapped_column(String(200), default="")
    pmid: Mapped[str] = mapped_column(String(20), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    # The language of its title, when not the article's (an English paper cited in German).
    language: Mapped[str] = mapped_column(String(8), default="", server_default="")


class ArticleRevision(Base):
    """The whole state of an article as one save left it; `number` is the article's version then."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(300))
    category_name: Mapped[str] = mapped_column(String(120), default="")
    tags_json: Mapped[str] = mapped_column(Text, default="[]")
    author_name: Mapped[str] = mapped_column(String(200), default="")
    hero_image: Mapped[str | None] = mapped_column(String(500))
    hero_alt: Mapped[str] = mapped_column(String(500), default="")
    references_json: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(20), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Kept as text too: the account may be deleted, and imports are saved by nobody.
    saved_by_label: Mapped[str] = mapped_column(String(320), default="")
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SlugRedirect(Base):
    """An article's former slug, kept so old links keep working."""

    __tablename__ = "slug_redirect"

    old_slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))


class CategoryRedirect(Base):
    """A category's former slug; `/categories/{old_slug}` leads to where the category is now."""

    __tablename__ = "category_redirect"

    old_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id", ondelete="CASCADE"), index=True)


class TagRedirect(Base):
    """A tag's former slug, or the slug of a tag merged into it; `/tags/{old_slug}` leads here."""

    __tablename__ = "tag_redirect"

    old_slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
