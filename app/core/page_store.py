"""Where shared pages live: one table, read in one statement joined with the content version.

A page is found only under the content version current now and while it is younger than the
page cache's maximum age; whatever else is in the table is dead and pruned now and then (every
`PRUNE_EVERY` stores in a process, and by `portal tick`), down to `page_cache_max_entries` rows.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Select, and_, bindparam, delete, func, literal, or_, select
from sqlalchemy.orm import Session

from app.core.content_version import ROW_ID, CachedPage, ContentVersion
from app.core.db import changed_rows, insert_or_update
from app.core.etag import strong_etag

COMPRESS_LEVEL = 6
PRUNE_EVERY = 100

# No row (a database emptied by hand) reads as version 0, so the cache keeps working.
_current = func.coalesce(
    select(ContentVersion.version).where(ContentVersion.id == ROW_ID).scalar_subquery(), 0
)


@dataclass(frozen=True)
class Entry:
    """A stored page: its status, headers without length, encoding or ETag, and the gzip body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    plain_etag: str
    gzip_etag: str
    stored_at: datetime


@dataclass(frozen=True)
class Found:
    """What one lookup learnt: the content version now, and the page stored under it if any."""

    version: int
    entry: Entry | None


def key_for(build: str, scheme: str, host: bytes, path: str, query: bytes) -> str:
    """The page's key: the same address on the same build of the site, and nothing else."""
    address = b"\n".join((build.encode(), scheme.encode(), host.lower(), path.encode(), query))
    return hashlib.sha256(address).hexdigest()


def _lookup_statement() -> Select[Any, int, bytes, bytes, str, str, datetime]:
    fresh = and_(
        CachedPage.key == bindparam("key"),
        CachedPage.version == _current,
        CachedPage.stored_at > bindparam("oldest", type_=CachedPage.stored_at.type),
    )
    columns = (
        CachedPage.status,
        CachedPage.headers,
        CachedPage.body,
        CachedPage.plain_etag,
        CachedPage.gzip_etag,
        CachedPage.stored_at,
    )
    one_row = select(literal(1)).subquery()
    return select(_current.label("current"), *columns).select_from(one_row.outerjoin(CachedPage, fresh))


# Built once: composing it is most of the cost of a lookup.
_LOOKUP = _lookup_statement()


def lookup(engine: Engine, key: str, *, now: datetime, max_age: timedelta) -> Found:
    """Read the current version and the page stored under it, fresh enough, in one statement."""
    with engine.connect() as connection:
        row = connection.execute(_LOOKUP, {"key": key, "oldest": now - max_age}).one()
    if row.body is None:
        return Found(row.current, None)
    stored_at = row.stored_at if row.stored_at.tzinfo else row.stored_at.replace(tzinfo=UTC)
    entry = Entry(row.status, _split(row.headers), row.body, row.plain_etag, row.gzip_etag, stored_at)
    return Found(row.current, entry)


def entry_for(status: int, headers: list[tuple[bytes, bytes]], plain: bytes, *, now: datetime) -> Entry:
    """Compress a page once; the gzip bytes are the same for the same page (no time in them)."""
    body = gzip.compress(plain, COMPRESS_LEVEL, mtime=0)
    return Entry(status, headers, body, strong_etag(plain), strong_etag(body), now)


def store(engine: Engine, key: str, version: int, entry: Entry) -> None:
    """Keep the page under the version read before it was built (never a later one)."""
    values = {
        "key": key,
        "version": version,
        "stored_at": entry.stored_at,
        "status": entry.status,
        "headers": b"\n".join(name + b": " + value for name, value in entry.headers),
        "body": entry.body,
        "plain_etag": entry.plain_etag,
        "gzip_etag": entry.gzip_etag,
    }
    changes = {name: value for name, value in values.items() if name != "key"}
    statement = insert_or_update(engine.dialect.name, CachedPage, values, key="key", update=changes)
    with engine.begin() as connection:
        connection.execute(statement)


def prune(db: Session, *, now: datetime, max_age: timedelta, max_entries: int) -> int:
    """Delete pages of an older version or past their age, then the oldest past `max_entries`."""
    dead = or_(CachedPage.version != _current, CachedPage.stored_at <= now - max_age)
    removed = changed_rows(db, delete(CachedPage).where(dead))
    newest = select(CachedPage.key).order_by(CachedPage.stored_at.desc()).limit(max_entries)
    return removed + changed_rows(db, delete(CachedPage).where(CachedPage.key.not_in(newest)))


def _split(headers: bytes) -> list[tuple[bytes, bytes]]:
    pairs = (line.partition(b": ") for line in headers.split(b"\n") if line)
    return [(name, value) for name, _, value in pairs]
