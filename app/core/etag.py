"""Validators and a short shared-cache life for the pages everyone sees alike.

Only a request without cookies or credentials can be answered with a page that is the same for
every visitor; a response that sets a cookie or is marked private is someone's own. Exactly those
public responses get a strong ETag from their body, `Cache-Control: public, max-age=60` unless
the view chose its own, and `Vary: Cookie` so no cache hands the visitor's copy to a logged-in
browser. A matching `If-None-Match` is answered with 304 and no body. Add this middleware last,
so it wraps `PrivatePages` and sees the headers as they leave the application.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.anonymous import is_anonymous

MAX_BODY_BYTES = 2 * 1024 * 1024
PUBLIC = "public, max-age=60"
PERSONAL = ("private", "no-store")
# What a 304 carries (RFC 9110, 15.4.5): the validators and caching headers, no representation.
KEPT_ON_304 = {b"cache-control", b"content-location", b"date", b"etag", b"expires", b"last-modified", b"vary"}


class ETags:
    """Give public 200 responses to GET and HEAD an ETag and answer revalidations with 304."""

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not is_anonymous(scope):
            await self.app(scope, receive, send)
            return
        wanted = b",".join(value for name, value in scope["headers"] if name == b"if-none-match")
        await self.app(scope, receive, _PublicResponse(send, wanted, self.max_body).send)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: bytes, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match."""
    if if_none_match.strip() == b"*":
        return True
    tag = etag.removeprefix("W/").encode("latin-1")
    return any(c.strip().removeprefix(b"W/") == tag for c in if_none_match.split(b","))


def _is_public(message: Message) -> bool:
    headers = MutableHeaders(raw=list(message.get("headers", [])))
    cache_control = headers.get("cache-control", "").lower()
    return (
        message["status"] == 200
        and "set-cookie" not in headers
        and not any(word in cache_control for word in PERSONAL)
    )


class _PublicResponse:
    """Holds back a public response until its whole body is known, then validates it."""

    def __init__(self, send: Send, wanted: bytes, max_body: int) -> None:
        self.downstream = send
        self.wanted = wanted
        self.max_body = max_body
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passing = False

    async def send(self, message: Message) -> None:
        if self.passing:
            await self.downstream(message)
        elif message["type"] == "http.response.start":
            await self._begin(message)
        elif message["type"] == "http.response.body":
            await self._collect(message)
        elif self.start is None:  # e.g. the test client's `http.response.debug`
            await self.downstream(message)
        else:  # pathsend, trailers: nothing to hash, so let the rest through as it comes
            await self._give_up()
            await self.downstream(message)

    async def _begin(self, message: Message) -> None:
        if not _is_public(message):
            self.passing = True
            await self.downstream(message)
            return
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        headers.setdefault("cache-control", PUBLIC)
        if "cookie" not in headers.get("vary", "").lower():
            headers.add_vary_header("Cookie")
        self.start = {**message, "headers": headers.raw}

    async def _collect(self, message: Message) -> None:
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        if self.size > self.max_body:
            await self._give_up(more_body=message.get("more_body", False))
        elif not message.get("more_body", False):
            await self._finish(b"".join(self.chunks))

    async def _give_up(self, *, more_body: bool = True) -> None:
        """Send what was held back unvalidated (too large, or not a plain body)."""
        assert self.start is not None
        self.passing = True
        await self.downstream(self.start)
        if self.chunks:
            await self.downstream(
                {"type": "http.response.body", "body": b"".join(self.chunks), "more_body": more_body}
            )

    async def _finish(self, body: bytes) -> None:
        assert self.start is not None
        headers = MutableHeaders(raw=self.start["headers"])
        header_only = not body and headers.get("content-length", "0") != "0"  # HEAD of a file
        if "etag" not in headers and not header_only:
            headers["etag"] = strong_etag(body)
        etag = headers.get("etag")
        if etag and self.wanted and matches(self.wanted, etag):
            kept = [(k, v) for k, v in headers.raw if k in KEPT_ON_304]
            await self.downstream({"type": "http.response.start", "status": 304, "headers": kept})
            await self.downstream({"type": "http.response.body", "body": b""})
            return
        await self.downstream({**self.start, "headers": headers.raw})
        await self.downstream({"type": "http.response.body", "body": body})
