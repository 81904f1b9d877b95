"""The declarative base, engine construction and the request-scoped session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple, cast

import anyio
import structlog
from fastapi import Depends, Request
from sqlalchemy import ColumnElement, CursorResult, Delete, MetaData, Update, create_engine, event
from sqlalchemy import inspect as inspect_model
from sqlalchemy import update as update_rows
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool

from app.core import clock
from app.core.config import Settings

log = structlog.get_logger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Database integers stop here: a number past it names nothing, rather than overflowing PostgreSQL.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Now, in UTC, from the application's clock (which tests can move)."""
    return clock.now()


# Kibibytes of page cache per SQLite connection.
SQLITE_CACHE_KIB = 512


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """Build an engine; SQLite gets foreign keys, WAL and a created parent folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        limits = settings or Settings.model_construct()
        # pre_ping replaces a pooled connection the server has dropped (a restart, a terminated
        # backend) before a request uses it, so the request after a cut succeeds.
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=limits.db_pool_size,
            max_overflow=limits.db_max_overflow,
            pool_timeout=limits.db_pool_timeout_seconds,
            connect_args={"connect_timeout": limits.db_connect_timeout_seconds},
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def make_reader(engine: Engine) -> Engine:
    """An engine for short reads on the event loop itself: on SQLite, one connection of its own per thread.

    A read of a local SQLite file is quicker than handing it to a thread, but a read on the event
    loop must never wait for a pooled connection that a request in a thread holds (that request
    needs the loop to finish, and would never give it back). Other databases are read in a thread
    with the app's own engine, which is returned as it is.
    """
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(
        engine.url, poolclass=SingletonThreadPool, connect_args={"check_same_thread": False}
    )
    event.listen(reader, "connect", _configure_sqlite)
    event.listen(reader, "connect", _wait_briefly)
    return reader


class Engines(NamedTuple):
    """An app's engine and the one its page cache reads with on the event loop."""

    main: Engine
    reader: Engine


def make_engines(url: str, settings: Settings | None = None) -> Engines:
    engine = make_engine(url, settings)
    return Engines(engine, make_reader(engine))


def _wait_briefly(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # A read that would wait longer for a lock fails instead, and the page is built as usual.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=250")
    cursor.close()


def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Each pooled connection keeps a page cache of its own (2 MB by default: up to 30 MB a worker
    # for the pool's 15). The file's pages stay in the system's cache, shared by every connection.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """Open a session for one request; roll back whatever the view did not commit."""
    # Made on the event loop, not a thread: a session touches no connection before its first
    # statement, and a thread hand-off costs more than the rest of a small page's dependencies.
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        # Closing rolls back and returns the connection, which may wait on the database: on a
        # thread, shielded so that a request cancelled meanwhile still gives its connection back.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close_quietly, session)


def close_quietly(session: Session) -> None:
    """Close a session; a connection that died under it is logged, never raised into the response."""
    try:
        # close() rolls back what was not committed without expiring loaded objects, so an error
        # page rendered after this still knows who is logged in.
        session.close()
    except SQLAlchemyError:
        # The rollback on a dead connection fails; the pool has already discarded it.
        log.warning("db.close_failed", exc_info=True)


# The session parameter of every view: `def page(db: Db)`.
Db = Annotated[Session, Depends(get_db)]


def insert_or_update(
    dialect_name: str, model: type[Any], values: Mapping[str, Any], *, key: str, update: Mapping[str, Any]
) -> Any:
    """INSERT `values`, or UPDATE the row with the same `key` with `update` (SQLite and PostgreSQL)."""
    # Only the dialect in use: importing PostgreSQL's costs a SQLite worker 2 MB, and the other way round.
    if dialect_name == "sqlite":
        from sqlalchemy.dialects import sqlite as dialect
    else:
        from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]
    return dialect.insert(model).values(dict(values)).on_conflict_do_update(index_elements=[key], set_=update)


def changed_rows(db: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE (loaded objects are left as they are) and return how many rows it changed."""
    result = db.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


def claim(
    db: Session,
    model: type[Base],
    row_id: int,
    *,
    expected: Mapping[str, object] | None = None,
    where: Iterable[ColumnElement[bool]] = (),
    values: Mapping[str, object],
) -> bool:
    """Write `values` to one row only while it still holds `expected` (and `where`); True if this caller won.

    This is the compare-and-set every state change uses: `SELECT ... FOR UPDATE` does nothing on
    SQLite, while a conditional UPDATE changes the row once however many processes try at once.
    Loaded objects are not refreshed; a caller that keeps one reloads it.
    """
    primary_key = inspect_model(model).primary_key[0]
    conditions = [primary_key == row_id, *where]
    for name, value in (expected or {}).items():
        column = getattr(model, name)
        conditions.append(column.is_(None) if value is None else column == value)
    return changed_rows(db, update_rows(model).where(*conditions).values(dict(values))) == 1
