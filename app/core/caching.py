"""Never let a shared cache keep a page that belongs to one browser."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.anonymous import is_anonymous

PRIVATE = b"private, no-store"


class PrivatePages:
    """Mark responses `private, no-store` when the request is not anonymous or the response sets a cookie.

    Such a page may show a logged-in person's view or a form with their CSRF token. Static files
    are the same for everyone, so they keep their own caching whoever asks.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        identified = not is_anonymous(scope)

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                sets_cookie = any(k == b"set-cookie" for k, _ in headers)
                if identified or sets_cookie:
                    headers = [(k, v) for k, v in headers if k != b"cache-control"]
                    headers += [(b"cache-control", PRIVATE), (b"vary", b"Cookie")]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_private)
