"""The baseline: a bare ASGI app that answers every request with one page held in memory.

Run as `uvicorn bench.raw_asgi:app --workers 2` with BENCH_PAGE naming a file with the HTML.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.types import Receive, Scope, Send

BODY = Path(os.environ.get("BENCH_PAGE", "/dev/null")).read_bytes()
HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer any HTTP request with the page."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
