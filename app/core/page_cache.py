"""The shared page cache: a visitor's page, built once, served to every visitor from the database.

It stands just inside the trusted-proxy layer, before the security headers, routing, sessions and
templates, so a stored page already carries every header it left with, and serving it costs one
statement. Only anonymous requests (`anonymous.is_anonymous`: no cookie, no credentials) are
looked up or stored; a page is stored only when the application marked it public: a 200 to GET
with `Cache-Control: public`, no cookie set, varying by nothing but Cookie and Accept-Encoding,
and no form token in it. A visitor's form sets the flash cookie for its CSRF secret, so it is
never stored either way.

The key is the scheme, host, path and query string, under a digest of the build (code, templates,
settings), so a deploy or a changed setting never meets pages of the last one. Pages are kept
gzip-compressed (`page_store`) and sent as stored to clients that accept gzip. If the database does
not answer, requests are rendered as if there were no cache, and it is not asked again for a few
seconds, so an outage costs no more time than before.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import anyio.to_thread
import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import clock, page_answers, page_store
from app.core.anonymous import is_anonymous
from app.core.config import PROJECT_ROOT, Settings
from app.core.page_store import Entry, Found

log = structlog.get_logger(__name__)

LONGEST_ADDRESS = 1024
RETRY_AFTER_SECONDS = 5.0
KEEP_BUILT_SECONDS = 2.0
SKIPPED_PREFIXES = ("/static/",)
# Health checks answer without the database (/healthz) or within their own deadline (/readyz):
# a lookup would make them wait on a database that hangs.
SKIPPED_PATHS = frozenset({"/healthz", "/readyz"})
# Settings that never change a page, or are secret.
UNSEEN_SETTINGS = {"secret_key", "database_url", "redis_url", "smtp_url"}


class PageCache:
    """Serve anonymous GET and HEAD requests from the shared store; store the public pages built."""

    def __init__(self, app: ASGIApp, *, engine: Engine, reader: Engine, settings: Settings) -> None:
        self.app = app
        self.engine = engine
        self.reader = reader
        self.max_age = timedelta(seconds=settings.page_cache_seconds)
        self.max_entries = settings.page_cache_max_entries
        self.settings_digest = _settings_digest(settings)
        self.build = ""  # the settings and the build digest, read at the first lookup
        self.resume_at = 0.0
        # A read of a local SQLite file (WAL: readers never wait for writers) takes less time than
        # handing it to a thread, on a connection of its own (`db.make_reader`); a database across
        # the network may hang, so it is read in a thread.
        self.inline_reads = reader.dialect.name == "sqlite" and reader is not engine
        self.stores = 0
        self.building: dict[tuple[str, int], asyncio.Future[Entry | None]] = {}
        self.built_at: dict[tuple[str, int], datetime] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        found = await self._lookup(scope)
        if found is None:
            await self.app(scope, receive, send)
        elif found.entry is not None:
            await page_answers.serve(scope, send, found.entry, cache=b"hit")
        else:
            await self._build(scope, receive, send, found.version)

    async def _build(self, scope: Scope, receive: Receive, send: Send, version: int) -> None:
        """Build a missing page once in this process, however many visitors ask for it at once.

        Those who come while it is built wait for it and get the same page, as they would from
        the store a moment later; without this, every request that misses renders it anew, and
        a popular page that expires costs as many renderings as there are requests in flight.
        """
        building = (scope["page_cache.key"], version)
        pending = self._pending(building)
        if pending is not None:
            # Shielded: a waiter that goes away must not cancel the page for the others.
            entry = await asyncio.shield(pending)
            if entry is not None:
                await page_answers.serve(scope, send, entry, cache=b"hit")
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await self.app(scope, receive, send)  # no body to keep; the next GET stores it
            return
        recorder = page_answers.Recorder(scope, send)
        self.building[building] = done = asyncio.get_running_loop().create_future()
        try:
            try:
                await self.app(scope, receive, recorder.send)
            finally:
                done.set_result(recorder.entry)
            if recorder.entry is not None:
                await self.store(building[0], version, recorder.entry)  # once the client has the page
        finally:
            self._keep_built(building, done)

    def _pending(self, building: tuple[str, int]) -> asyncio.Future[Entry | None] | None:
        """The page being built, or just built, under this key and content version, if any."""
        pending = self.building.get(building)
        if pending is not None and pending.done() and self._expired(building):
            return None  # kept past the pages' maximum age: build it anew
        return pending

    def _keep_built(self, building: tuple[str, int], done: asyncio.Future[Entry | None]) -> None:
        """Keep a page just built a moment longer.

        Someone whose lookup missed while the page was being built or stored (a slow connection, a
        busy database, a thread that ran late) takes it from here instead of building it a second
        time. The key holds the content version, so it is the same page.
        """
        self.built_at[building] = clock.now()
        asyncio.get_running_loop().call_later(KEEP_BUILT_SECONDS, self._forget, building, done)

    def _expired(self, building: tuple[str, int]) -> bool:
        built = self.built_at.get(building)
        return built is not None and clock.now() - built >= self.max_age

    def _forget(self, building: tuple[str, int], done: asyncio.Future[Entry | None]) -> None:
        if self.building.get(building) is done:  # not a later build of the same page
            del self.building[building]
            self.built_at.pop(building, None)

    def _eligible(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and self.max_age > timedelta(0)
            and is_anonymous(scope)
            and not scope["path"].startswith(SKIPPED_PREFIXES)
            and scope["path"] not in SKIPPED_PATHS
            and len(scope["path"]) + len(scope["query_string"]) <= LONGEST_ADDRESS
            and time.monotonic() >= self.resume_at
        )

    async def _lookup(self, scope: Scope) -> Found | None:
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        if not self.build:
            await self._read_build()
        try:
            if self.inline_reads:
                return self._find(scope["scheme"], host, scope)
            return await anyio.to_thread.run_sync(self._find, scope["scheme"], host, scope)
        except SQLAlchemyError:
            self._pause("lookup")
            return None

    async def _read_build(self) -> None:
        self.build = self.settings_digest + await anyio.to_thread.run_sync(build_digest)

    def _find(self, scheme: str, host: bytes, scope: Scope) -> Found:
        scope["page_cache.key"] = key = page_store.key_for(
            self.build, scheme, host, scope["path"], scope["query_string"]
        )
        return page_store.lookup(self.reader, key, now=clock.now(), max_age=self.max_age)

    async def store(self, key: str, version: int, entry: Entry) -> None:
        try:
            await anyio.to_thread.run_sync(self._store, key, version, entry)
        except SQLAlchemyError:
            self._pause("store")

    def _store(self, key: str, version: int, entry: Entry) -> None:
        page_store.store(self.engine, key, version, entry)
        self.stores += 1
        if self.stores % page_store.PRUNE_EVERY == 0:
            with Session(self.engine) as db:
                page_store.prune(db, now=clock.now(), max_age=self.max_age, max_entries=self.max_entries)
                db.commit()

    def _pause(self, step: str) -> None:
        log.warning("page_cache.unavailable", step=step, exc_info=True)
        self.resume_at = time.monotonic() + RETRY_AFTER_SECONDS


def _settings_digest(settings: Settings) -> str:
    shown = {k: v for k, v in settings.model_dump(mode="json").items() if k not in UNSEEN_SETTINGS}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:16]


@functools.cache
def build_digest() -> str:
    """The code, templates and static files, the same on every machine of a release.

    Read once per process, in a thread at the first lookup, never on the event loop; `portal
    serve` reads it before it forks its workers. Read by each worker instead, every request of
    the first burst read all the files at once in a thread of its own (`functools.cache` does not
    make the others wait): a worker kept about 1 MB more after a warm run.
    """
    digest = hashlib.blake2b(digest_size=16)
    for path in _build_files((PROJECT_ROOT / "app", PROJECT_ROOT / "templates")):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build_files(roots: Iterable[Path]) -> list[Path]:
    files = (path for root in roots for path in root.rglob("*") if path.is_file())
    return sorted(path for path in files if "__pycache__" not in path.parts)
