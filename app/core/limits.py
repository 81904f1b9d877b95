"""Cap request bodies while they stream, before anything is parsed or spooled to disk."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.forms import BodyTooLarge


class BodySizeLimit:
    """Refuse bodies over `max_bytes`: at once by Content-Length, or as soon as they pass it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").decode() or "0"
        if declared.isdigit() and int(declared) > self.max_bytes:
            scope.setdefault("state", {})["body_too_large"] = True
        received = 0

        async def limited() -> Message:
            nonlocal received
            if scope.get("state", {}).get("body_too_large"):
                raise BodyTooLarge(f"larger than {self.max_bytes // (1024 * 1024)} MB")
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge(f"larger than {self.max_bytes // (1024 * 1024)} MB")
            return message

        await self.app(scope, limited, send)
