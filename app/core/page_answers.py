"""The page cache's answers: a stored page served as the client asks, and a built page recorded.

`Recorder` holds back a response that may be stored until its body is whole; one that may not
(a form, a cookie set, a private page, a body too large or not plain) passes through untouched.
"""

from __future__ import annotations

import zlib

from starlette.types import Message, Scope, Send

from app.core import clock, page_store
from app.core.csrf import FIELD as CSRF_FIELD
from app.core.etag import KEPT_ON_304, matches
from app.core.page_store import Entry

MAX_BODY_BYTES = 1024 * 1024
VARY = b"Cookie, Accept-Encoding"
# Set per representation when served; Vary is written once, the same for both.
NOT_STORED = {b"content-length", b"content-encoding", b"etag", b"vary", b"date", b"x-cache", b"age"}
NOT_PUBLIC = ("private", "no-store", "no-cache")
FORM_TOKEN = f'name="{CSRF_FIELD}"'.encode()


class Recorder:
    """Holds back a response that may be stored until its body is whole; `entry` is the page kept."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        self.downstream = send
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
        await serve(self.scope, self.downstream, self.entry, cache=b"miss")


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


async def serve(scope: Scope, send: Send, entry: Entry, *, cache: bytes) -> None:
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
