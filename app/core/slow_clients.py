"""Answer 408 to a request whose body does not arrive in time, so a slow client cannot hold a worker.

uvicorn bounds idle keep-alive connections (`timeout_keep_alive`) but not the time a client takes
to send a body once its headers are in. Slow headers are the reverse proxy's to cut
(nginx's `client_header_timeout`, deploy/nginx/portal-proxy.conf): the app never sees them.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTimedOut(Exception):
    """The request body did not finish within the allowed time."""


class BodyTimeout:
    """Bound the time from a request's start to the last chunk of its body, then answer 408."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_done = False
        timed_out = False
        started = False

        async def bounded() -> Message:
            nonlocal body_done, timed_out
            # Once the body is in, receive() only waits for a disconnect: that wait is not bounded.
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise BodyTimedOut from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            # After the timeout the inner layers may try a 500 page: the 408 below replaces it.
            if timed_out:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, bounded, guarded)
        except Exception:
            if not timed_out:
                raise
        if timed_out and not started:
            await _request_timeout(send)


async def _request_timeout(send: Send) -> None:
    body = b"The request took too long to arrive. Please try again.\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": body})
