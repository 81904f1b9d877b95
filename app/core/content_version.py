"""The content version: one number that every change a visitor could see raises.

Shared pages are stored under the version current when they were built (`page_store`), so raising
it retires every stored page at once. It is a row in the database, not a Redis key, because it
must change in the same transaction as the change itself: a page built from the new text can never
be stored under the old number, nor the old text under the new one, and no crash between two
stores can leave them apart. Every process shares the database already; Redis is optional.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base, insert_or_update

ROW_ID = 1


class ContentVersion(Base):
    """One row (id 1): the number of the content visitors see now; no row reads as 0."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class CachedPage(Base):
    """A public page as it left the application for a visitor, stored under a content version."""

    __tablename__ = "cached_page"

    # A digest of the build, scheme, host, path and query string (page_store.key_for).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[int] = mapped_column(Integer)
    # Every header but the length, the encoding and the ETag, one `name: value` per line.
    headers: Mapped[bytes] = mapped_column(LargeBinary)
    # The body, gzip-compressed once; `plain_etag` names it uncompressed, `gzip_etag` as stored.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    plain_etag: Mapped[str] = mapped_column(String(40))
    gzip_etag: Mapped[str] = mapped_column(String(40))


def bump(db: Session) -> None:
    """Raise the content version in the caller's transaction: every stored page is stale at commit.

    Call it from each service that changes what a visitor may see (articles, categories, tags,
    media, publishing by the clock), never from a view.
    """
    db.execute(
        insert_or_update(
            db.get_bind().dialect.name,
            ContentVersion,
            {"id": ROW_ID, "version": 1},
            key="id",
            update={"version": ContentVersion.version + 1},
        )
    )
