"""The logged-in readers' page cache: a reading page built once per variant, shared by its readers.

A reader's page depends on who they are only through their variant (`policy.reading_variant`: what
the access rule, the locked panels and the navigation learn about them) and on two things of their
own: the CSRF token of the logout form and the flash messages waiting for them. So a page is stored
under its address and the variant of the reader it was built for, with the places where that
reader's token stood recorded as offsets (nothing in the page's text marks them, so no content can
make a slot), and served to every reader of the same variant with their own token put back there.

Who is asking is read on every request, before the lookup (`ReadAs`, one statement): a suspension,
an expiry, a role change or new terms change the variant at once. Only paths whose route declares
`shared_per_variant` are looked up; and a page is stored only when the app built it for the variant
read here (read again inside, by the app), left the browser's flash cookie as it was, and set no
other cookie. A reader with messages waiting or an unreadable flash cookie gets a page built for
them. Answers stay `private, no-store` and uncompressed, as every logged-in page: the cache is on
the server, under the same content version and age as visitors' pages (`page_store`).
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import Request
from itsdangerous import TimestampSigner
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import clock, flash_cookie, page_store
from app.core.config import Settings
from app.core.page_cache import LONGEST_ADDRESS, PageCache
from app.core.page_store import Entry, Found
from app.core.policy import Viewer, reading_variant

MARK = "page_per_variant"
# A stored header with the offsets where the reader's CSRF token goes; never sent.
TOKEN_AT = b"x-portal-token-at"
# Set per answer when served; TOKEN_AT only as recorded here, never as a response sent it.
NOT_STORED = {
    b"content-length",
    b"content-encoding",
    b"etag",
    b"date",
    b"set-cookie",
    b"x-cache",
    b"age",
    TOKEN_AT,
}
MAX_BODY_BYTES = 1024 * 1024
# What a flash cookie may hold for its reader to share a page: the CSRF secret, nothing else.
SHAREABLE_FLASH = frozenset({"csrf"})
KNOWN_PATHS = 4096


@dataclass(frozen=True)
class Reader:
    """Who is asking, as the cache needs it: their variant, and their session's idle-limit write if due."""

    variant: str
    touch: Callable[[], object] | None


# Reads the session cookie among `cookies` on the given connection; may record in the request's
# state what it found. Set by create_app (app/access/readers.py): core knows no accounts.
ReadAs = Callable[[Connection, Mapping[str, str], dict[str, Any]], Reader]


async def shared_per_variant(request: Request) -> None:
    """Declare a router's pages the same for every reader of a variant (a router dependency)."""
    setattr(request.state, MARK, True)


class ReaderPages(PageCache):
    """Serve reading pages to logged-in readers from the pages stored for their variant."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        reader: Engine,
        settings: Settings,
        read_as: ReadAs,
    ) -> None:
        super().__init__(app, engine=engine, reader=reader, settings=settings)
        self.read_as = read_as
        self.flash_name = flash_cookie.cookie_name(production=settings.env == "production")
        self.signer = TimestampSigner(str(settings.secret_key))
        # Whether the route answering a path declares `shared_per_variant`, as the app showed.
        self.shared_paths: dict[tuple[str, str], bool] = {}
        self.learning: dict[tuple[str, str], asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookies = self._cookies(scope)
        flash = flash_cookie.contents(self.signer, cookies.get(self.flash_name)) if cookies else None
        # Messages to show, an emailed link's token, a cookie that does not verify: built for them.
        if flash is None or not flash.keys() <= SHAREABLE_FLASH:
            await self.app(scope, receive, send)
            return
        where = (scope.get("root_path", ""), scope["path"])
        shared = self.shared_paths.get(where)
        if shared is None:
            learning = self.learning.get(where)
            if learning is None:
                await self._learn(scope, receive, send, where)
                return
            # Shielded: a waiter that goes away must not cancel the learning for the others.
            await asyncio.shield(learning)
            shared = self.shared_paths.get(where, False)
        found = await self._read(scope, cookies) if shared else None
        if found is None:
            await self.app(scope, receive, send)
            return
        reader, key, stored = found
        if reader.touch is not None:
            await anyio.to_thread.run_sync(reader.touch)
        if stored.entry is None:
            await self._build_for(scope, receive, send, key, stored.version, reader.variant, flash)
        elif not await serve(scope, send, stored.entry, flash.get("csrf"), cache=b"hit"):
            await self.app(scope, receive, send)

    async def _learn(self, scope: Scope, receive: Receive, send: Send, where: tuple[str, str]) -> None:
        """Let the app answer a path not seen yet, and remember whether its route is shared per variant.

        Learnt from the app rather than worked out here, so it is always the route the app picked.
        The learning only decides whether a lookup is tried: what is stored is checked every time.
        """
        state = scope.setdefault("state", {})
        # Those asking for the same path meanwhile wait for the answer rather than each build a page
        # no one keeps (on a busy path, every request in flight would).
        self.learning[where] = done = asyncio.get_running_loop().create_future()
        try:
            await self.app(scope, receive, send)
        finally:
            if len(self.shared_paths) >= KNOWN_PATHS:
                self.shared_paths.clear()
            self.shared_paths[where] = state.get(MARK) is True
            del self.learning[where]
            done.set_result(None)

    def _cookies(self, scope: Scope) -> dict[str, str]:
        """The request's cookies when it may be answered from the cache at all; else nothing."""
        if not (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and self.max_age.total_seconds() > 0
            and len(scope["path"]) + len(scope["query_string"]) <= LONGEST_ADDRESS
            and time.monotonic() >= self.resume_at
        ):
            return {}
        cookie = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                return {}
            if name == b"cookie":
                cookie = cookie + b"; " + value if cookie else value
        return cookie_parser(cookie.decode("latin-1")) if cookie else {}

    async def _read(self, scope: Scope, cookies: dict[str, str]) -> tuple[Reader, str, Found] | None:
        if not self.build:
            await self._read_build()
        state = scope.setdefault("state", {})
        try:
            if self.inline_reads:
                return self._find_for(scope, cookies, state, self.reader)
            return await anyio.to_thread.run_sync(self._find_for, scope, cookies, state, self.engine)
        except SQLAlchemyError:
            self._pause("reader_lookup")
            return None

    def _find_for(
        self, scope: Scope, cookies: dict[str, str], state: dict[str, Any], engine: Engine
    ) -> tuple[Reader, str, Found]:
        with engine.connect() as connection:
            reader = self.read_as(connection, cookies, state)
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        # The variant and the mount point in the key, so no visitor's page nor another variant's
        # is ever found under it.
        build = f"{self.build}\nreader\n{reader.variant}\n{scope.get('root_path', '')}"
        key = page_store.key_for(build, scope["scheme"], host, scope["path"], scope["query_string"])
        return reader, key, page_store.lookup(engine, key, now=clock.now(), max_age=self.max_age)

    async def _build_for(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        version: int,
        variant: str,
        flash: dict[str, Any],
    ) -> None:
        """Build a missing page once in this process for everyone of its variant asking at once."""
        building = (key, version)
        pending = self._pending(building)
        if pending is not None:
            # Shielded: a waiter that goes away must not cancel the page for the others.
            entry = await asyncio.shield(pending)
            if entry is None or not await serve(scope, send, entry, flash.get("csrf"), cache=b"hit"):
                await self.app(scope, receive, send)
            return
        copy = Copy(send)
        self.building[building] = done = asyncio.get_running_loop().create_future()
        entry = None
        try:
            try:
                await self.app(scope, receive, copy.send)
                entry = self._entry(scope, copy, variant, flash)
            finally:
                done.set_result(entry)
            if entry is not None:
                await self.store(key, version, entry)  # once the reader has the page
        finally:
            self._keep_built(building, done)

    def _entry(self, scope: Scope, copy: Copy, variant: str, flash: dict[str, Any]) -> Entry | None:
        """The page to keep for the variant, its builder's token cut out; None if it may not be kept."""
        state = scope.get("state") or {}
        viewer = state.get("viewer")
        start = copy.start
        if (
            state.get(MARK) is not True
            # Read again by the app: access that changed in between must not be kept as the old variant.
            or not isinstance(viewer, Viewer)
            or reading_variant(viewer) != variant
            or start is None
            or start["status"] != 200
            or not copy.whole
        ):
            return None
        headers = [(name.lower(), value) for name, value in start.get("headers", [])]
        if any(name == b"content-encoding" for name, _ in headers) or not self._same_flash(headers, flash):
            return None
        token = flash.get("csrf")
        parts = [b"".join(copy.chunks)]
        if token:
            if not isinstance(token, str) or len(token) < 16:
                return None
            parts = parts[0].split(token.encode())
        kept = [(name, value) for name, value in headers if name not in NOT_STORED]
        if len(parts) > 1:
            offsets, at = [], 0
            for part in parts[:-1]:
                at += len(part)
                offsets.append(str(at).encode())
            kept.append((TOKEN_AT, b",".join(offsets)))
        return page_store.entry_for(200, kept, b"".join(parts), now=clock.now())

    def _same_flash(self, headers: list[tuple[bytes, bytes]], flash: dict[str, Any]) -> bool:
        """Whether the response set no cookie but the flash cookie, and that with what it held before.

        Read from the answer, not from the request's scope: a layer between may copy the scope.
        The flash cookie is only sent when the page changed it (a message added, a new secret).
        """
        name = f"{self.flash_name}=".encode()
        for header, value in headers:
            if header != b"set-cookie":
                continue
            if not value.startswith(name):
                return False
            sent = value[len(name) :].split(b";", 1)[0].decode("latin-1")
            if flash_cookie.contents(self.signer, sent) != flash:
                return False
        return True


class Copy:
    """Passes a response on as it goes, keeping a copy of it while it is small enough to store."""

    def __init__(self, send: Send) -> None:
        self.downstream = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.whole = False
        self.spoilt = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message
        elif kind == "http.response.body" and self.start is not None and not self.spoilt:
            self.chunks.append(message.get("body", b""))
            self.size += len(self.chunks[-1])
            self.spoilt = self.size > MAX_BODY_BYTES
            self.whole = not self.spoilt and not message.get("more_body", False)
        elif self.start is not None:  # pathsend, trailers: not a body to keep
            self.spoilt, self.whole = True, False
        await self.downstream(message)


async def serve(scope: Scope, send: Send, entry: Entry, token: object, *, cache: bytes) -> bool:
    """Answer with a stored page and this reader's token in its places; False if they have none."""
    headers = [(name, value) for name, value in entry.headers if name != TOKEN_AT]
    offsets = [int(at) for name, value in entry.headers if name == TOKEN_AT for at in value.split(b",")]
    body = zlib.decompress(entry.body, wbits=31)
    if offsets:
        if not isinstance(token, str) or not token:
            return False
        body = _fill(body, offsets, token.encode())
    headers += [(b"content-length", str(len(body)).encode()), (b"x-cache", cache)]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return True


def _fill(body: bytes, offsets: list[int], token: bytes) -> bytes:
    pieces, start = [], 0
    for at in offsets:
        pieces += [body[start:at], token]
        start = at
    pieces.append(body[start:])
    return b"".join(pieces)
