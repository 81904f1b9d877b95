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
import zlib
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import anyio.to_thread
import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import clock, page_store
from app.core.anonymous import is_anonymous
from app.core.config import PROJECT_ROOT, Settings
from app.core.csrf import FIELD as CSRF_FIELD
from app.core.etag import KEPT_ON_304, matches
from app.core.page_store import Entry, Found

log = structlog.get_logger(__name__)

LONGEST_ADDRESS = 1024
MAX_BODY_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 5.0
SKIPPED_PREFIXES = ("/static/",)
VARY = b"Cookie, Accept-Encoding"
# Set per representation when served; Vary is written once, the same for both.
NOT_STORED = {b"content-length", b"content-encoding", b"etag", b"vary", b"date", b"x-cache", b"age"}
NOT_PUBLIC = ("private", "no-store", "no-cache")
FORM_TOKEN = f'name="{CSRF_FIELD}"'.encode()
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        found = await self._lookup(scope)
        if found is None:
            await self.app(scope, receive, send)
        elif found.entry is not None:
            await _serve(scope, send, found.entry, cache=b"hit")
        else:
            await self._build(scope, receive, send, found.version)

    async def _build(self, scope: Scope, receive: Receive, send: Send, version: int) -> None:
        """Build a missing page once in this process, however many visitors ask for it at once.

        Those who come while it is built wait for it and get the same page, as they would from
        the store a moment later; without this, every request that misses renders it anew, and
        a popular page that expires costs as many renderings as there are requests in flight.
        """
        building = (scope["page_cache.key"], version)
        pending = self.building.get(building)
        if pending is not None:
            # Shielded: a waiter that goes away must not cancel the page for the others.
            entry = await asyncio.shield(pending)
            if entry is not None:
                await _serve(scope, send, entry, cache=b"hit")
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await self.app(scope, receive, send)  # no body to keep; the next GET stores it
            return
        recorder = _Recorder(self, scope, send, version)
        self.building[building] = done = asyncio.get_running_loop().create_future()
        try:
            await self.app(scope, receive, recorder.send)
        finally:
            del self.building[building]
            done.set_result(recorder.entry)
        await recorder.keep()

    def _eligible(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and self.max_age > timedelta(0)
            and is_anonymous(scope)
            and not scope["path"].startswith(SKIPPED_PREFIXES)
            and len(scope["path"]) + len(scope["query_string"]) <= LONGEST_ADDRESS
            and time.monotonic() >= self.resume_at
        )

    async def _lookup(self, scope: Scope) -> Found | None:
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        if not self.build:
            self.build = self.settings_digest + await anyio.to_thread.run_sync(_build_digest)
        try:
            if self.inline_reads:
                return self._find(scope["scheme"], host, scope)
            return await anyio.to_thread.run_sync(self._find, scope["scheme"], host, scope)
        except SQLAlchemyError:
            self._pause("lookup")
            return None

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


class _Recorder:
    """Holds back a response that may be stored until its body is whole; passes the rest through."""

    def __init__(self, cache: PageCache, scope: Scope, send: Send, version: int) -> None:
        self.cache = cache
        self.scope = scope
        self.downstream = send
        self.version = version
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False
        self.entry: Entry | None = None

    async def send(self, message: Message) -> None:
        if self.passing:
            await self.downstream(message)
        elif message["type"] == "http.response.start":
            if _storable(message):
                self.start = message
            else:
                self.passing = True
                await self.downstream(message)
        elif message["type"] == "http.response.body" and self.start is not None:
            await self._collect(message)
        elif self.start is None:  # e.g. the test client's `http.response.debug`
            await self.downstream(message)
        else:  # pathsend, trailers: not a body to keep
            await self._give_up(more_body=True)
            await self.downstream(message)

    async def _collect(self, message: Message) -> None:
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        more = message.get("more_body", False)
        if self.size > MAX_BODY_BYTES:
            await self._give_up(more_body=more)
        elif not more:
            await self._finish(b"".join(self.chunks))

    async def _give_up(self, *, more_body: bool) -> None:
        assert self.start is not None
        self.passing = True
        await self.downstream(self.start)
        if self.chunks or not more_body:
            body = b"".join(self.chunks)
            await self.downstream({"type": "http.response.body", "body": body, "more_body": more_body})

    async def _finish(self, body: bytes) -> None:
        assert self.start is not None
        headers = self.start.get("headers", [])
        compressed = any(name == b"content-encoding" for name, _ in headers)
        plain = zlib.decompress(body, wbits=31) if compressed else body
        if FORM_TOKEN in plain:
            await self._give_up(more_body=False)
            return
        kept = [(name, value) for name, value in headers if name not in NOT_STORED] + [(b"vary", VARY)]
        self.entry = page_store.entry_for(self.start["status"], kept, plain, now=clock.now())
        self.passing = True
        await _serve(self.scope, self.downstream, self.entry, cache=b"miss")

    async def keep(self) -> None:
        """Store the page once the client has it."""
        key = self.scope.get("page_cache.key")
        if self.entry is not None and key:
            await self.cache.store(key, self.version, self.entry)


def _storable(message: Message) -> bool:
    """A 200 the application marked public, that sets no cookie and varies only by what the key holds."""
    headers: dict[bytes, list[bytes]] = {}
    for name, value in message.get("headers", []):
        headers.setdefault(name.lower(), []).append(value.lower())
    cache_control = b",".join(headers.get(b"cache-control", [])).decode("latin-1")
    vary = {v.strip() for value in headers.get(b"vary", []) for v in value.split(b",") if v.strip()}
    return (
        message["status"] == 200
        and b"set-cookie" not in headers
        and "public" in cache_control
        and not any(word in cache_control for word in NOT_PUBLIC)
        and headers.get(b"content-encoding", [b"gzip"]) == [b"gzip"]
        and vary <= {b"cookie", b"accept-encoding"}
    )


async def _serve(scope: Scope, send: Send, entry: Entry, *, cache: bytes) -> None:
    """Answer from a stored page: gzip or plain as the client accepts, 304 to a matching ETag, HEAD bare."""
    accepts_gzip = any(name == b"accept-encoding" and b"gzip" in value for name, value in scope["headers"])
    etag = entry.gzip_etag if accepts_gzip else entry.plain_etag
    headers = [*entry.headers, (b"etag", etag.encode()), (b"x-cache", cache)]
    if cache == b"hit":
        age = max(0, int((clock.now() - entry.stored_at).total_seconds()))
        headers.append((b"age", str(age).encode()))
    wanted = b",".join(value for name, value in scope["headers"] if name == b"if-none-match")
    if wanted and matches(wanted, etag):
        kept = [(name, value) for name, value in headers if name in KEPT_ON_304 or name == b"x-cache"]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    body = entry.body if accepts_gzip else zlib.decompress(entry.body, wbits=31)
    if accepts_gzip:
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _settings_digest(settings: Settings) -> str:
    shown = {k: v for k, v in settings.model_dump(mode="json").items() if k not in UNSEEN_SETTINGS}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:16]


@functools.cache
def _build_digest() -> str:
    """The code, templates and static files, the same on every machine of a release.

    Read once per process, in a thread at the first lookup, never on the event loop.
    """
    digest = hashlib.blake2b(digest_size=16)
    for path in _build_files((PROJECT_ROOT / "app", PROJECT_ROOT / "templates")):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _build_files(roots: Iterable[Path]) -> list[Path]:
    files = (path for root in roots for path in root.rglob("*") if path.is_file())
    return sorted(path for path in files if "__pycache__" not in path.parts)
