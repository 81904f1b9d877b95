"""Security headers on every response: pages, API, static files, errors and redirects alike.

The policy allows scripts and styles from this site's own files only, so an injected `<script>`,
`style=` or `onclick=` does nothing. JSON-LD blocks need no exception: browsers never execute a
script of type `application/ld+json`, and a per-request nonce in the page would make every public
page's ETag different. A response that set a header itself (a file's sandbox policy, a token
page's `no-referrer`) keeps its own.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # The stylesheet draws its icons from data: URLs.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
HSTS = "max-age=63072000; includeSubDomains"
DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# A file someone uploaded, opened in a browser tab, runs nothing, loads nothing and has no origin.
DOWNLOAD_POLICY = "sandbox; default-src 'none'"
NOT_PLAIN_ASCII = re.compile(r'[^\x20-\x7e]|["\\]')
# Nothing says which software or version answers.
HIDDEN = {b"server", b"x-powered-by"}


class SecurityHeaders:
    """Add the headers a response lacks; HSTS too when `hsts` (production, served over https)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.defaults = DEFAULTS + (((b"strict-transport-security", HSTS.encode()),) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.complete(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def complete(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        kept = [(name, value) for name, value in headers if name.lower() not in HIDDEN]
        present = {name.lower() for name, _ in kept}
        return kept + [(name, value) for name, value in self.defaults if name not in present]


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the file under its name, in any script (RFC 6266)."""
    fallback = NOT_PLAIN_ASCII.sub("_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
