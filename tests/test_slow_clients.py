"""A request body that never finishes is answered 408 in time; a whole body passes untouched."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from app.core.slow_clients import BodyTimeout

# Far beyond the 0.2 s body timeout under test: only a request that would never end reaches it.
GIVE_UP_SECONDS = 30
SCOPE: Scope = {"type": "http", "method": "POST", "path": "/contact", "headers": []}


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await PlainTextResponse(f"got {len(body)} bytes")(scope, receive, send)


async def failing_on_error(scope: Scope, receive: Receive, send: Send) -> None:
    """Like Starlette's error layer: a 500 page for any exception, then raise it again."""
    try:
        await echo(scope, receive, send)
    except Exception:
        await PlainTextResponse("server error", status_code=500)(scope, receive, send)
        raise


def serve(app: object, chunks: list[Message], *, then_hang: bool) -> list[Message]:
    """Run one request through `BodyTimeout(app)` and return what it sent."""
    sent: list[Message] = []

    async def receive() -> Message:
        if chunks:
            return chunks.pop(0)
        if then_hang:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def guarded() -> None:
        # Without the body timeout the request would wait for ever: fail the test instead of hanging.
        await asyncio.wait_for(BodyTimeout(app, 0.2)(SCOPE, receive, send), GIVE_UP_SECONDS)  # type: ignore[arg-type]

    # A thread of its own: a worker that ran the browser tests already has a loop running here.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, guarded()).result()
    return sent


def test_a_body_that_never_finishes_is_answered_408() -> None:
    sent = serve(
        failing_on_error, [{"type": "http.request", "body": b"name=A", "more_body": True}], then_hang=True
    )
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    assert b"took too long" in sent[1]["body"]


def test_a_whole_body_reaches_the_app_and_later_waits_are_not_cut() -> None:
    chunks: list[Message] = [
        {"type": "http.request", "body": b"name=", "more_body": True},
        {"type": "http.request", "body": b"Ada", "more_body": False},
    ]
    sent = serve(echo, chunks, then_hang=False)
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"got 8 bytes"
