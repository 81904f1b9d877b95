"""CPU per request of rendered pages, in process, through the whole ASGI stack: no server, no wrk.

A before-and-after check for the work a worker does per page (middleware, who is asking, the
view, the template), with production settings and the demo data. The rate is per second of this
process's CPU time, so a busy machine blurs it less than wall-clock figures. Run it from a
checkout: `.venv/bin/python -m bench.hotpath [--seconds S] [--profile FILE] [PATH ...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import one_language
from bench.pages import PAGES

HOST = "portal.bench.example"
Call = Callable[[str, bytes], Awaitable[tuple[int, dict[bytes, bytes], bytes]]]


def main() -> None:
    args = _arguments()
    if args.profile:
        _inline_threadpool()
    with tempfile.TemporaryDirectory(prefix="portal-hotpath-") as tmp:
        app = _app(Path(tmp))
        call = _caller(app)
        loop = asyncio.new_event_loop()
        cookie = loop.run_until_complete(_log_in(call))
        paths = args.paths or [path for _, path in PAGES]
        sink = open(os.devnull, "w")  # noqa: SIM115  (the request log of every request)
        with contextlib.redirect_stdout(sink):
            results = {
                (path, viewer): loop.run_until_complete(
                    _rate(call, path, headers, args.seconds, args.profile)
                )
                for path in paths
                for viewer, headers in (("visitor", b""), ("physician", cookie))
            }
        for (path, viewer), rate in results.items():
            print(f"{path:48} {viewer:10} {rate:7.1f} req/CPU-s  {1000 / rate:5.2f} ms")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", help="pages to load (default: those of make bench)")
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per page and viewer")
    parser.add_argument("--profile", help="write a cProfile of the measured requests to FILE.<n>")
    return parser.parse_args()


def _inline_threadpool() -> None:
    """Run `def` views and dependencies on the event loop's thread, so the profile sees them."""
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def _app(tmp: Path) -> Any:
    url = f"sqlite:///{tmp / 'portal.db'}"
    os.environ.update(
        PORTAL_ENV="production",
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_BASE_URL=f"https://{HOST}",
        PORTAL_UPLOAD_DIR=str(tmp / "uploads"),
        PORTAL_MEDIA_DIR=str(tmp / "media"),
        PORTAL_LOGIN_RATE_LIMIT="100000/minute",
    )
    from app.core import migrations
    from app.core.config import Settings
    from app.demo import seed
    from app.main import create_app

    migrations.upgrade(url)
    demo = Settings(env="development", _env_file=None)  # type: ignore[call-arg]
    with contextlib.redirect_stdout(io.StringIO()):
        seed.load_into_empty(demo)
    return create_app(Settings(_env_file=None))  # type: ignore[call-arg]


def _caller(app: Any) -> Call:
    async def call(
        path: str, cookie: bytes, method: str = "GET", body: bytes = b"", *, plain: bool = False
    ) -> Any:
        raw_path, _, query = path.partition("?")
        headers = [(b"host", HOST.encode())]
        if not plain:  # what browsers send; compressed answers are what a visitor gets
            headers.append((b"accept-encoding", b"gzip, deflate, br"))
        if cookie:
            headers.append((b"cookie", cookie))
        if body:
            headers += [(b"content-type", b"application/x-www-form-urlencoded")]
            headers += [(b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "https",
            "path": raw_path,
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 443),
            "state": {},
        }
        sent = False
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        return started["status"], started["headers"], b"".join(chunks)

    return call  # type: ignore[return-value]


async def _log_in(call: Any) -> bytes:
    """Log in as the demo's approved physician; return the Cookie header a browser would send."""
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode

    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    cookies: dict[str, str] = {}

    def keep(headers: list[tuple[bytes, bytes]]) -> None:
        for name, value in headers:
            if name == b"set-cookie":
                for key, morsel in SimpleCookie(value.decode()).items():
                    cookies[key] = morsel.value

    def header() -> bytes:
        return "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()

    _, headers, page = await call("/login", b"", "GET", b"", plain=True)
    keep(headers)
    token = page.decode().split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"email": APPLICANTS[0][0], "password": APPLICANT_PASSWORD, "next": "", "csrf_token": token}
    status, headers, _ = await call("/login", header(), "POST", urlencode(form).encode())
    keep(headers)
    if status != 303 or not any("session" in name for name in cookies):
        raise RuntimeError(f"logging in failed ({status})")
    return header()


async def _rate(call: Any, path: str, cookie: bytes, seconds: float, profile: str | None) -> float:
    for _ in range(20):
        status, _, _ = await call(path, cookie)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    profiler = cProfile.Profile() if profile else None
    done, start = 0, time.process_time()
    if profiler:
        profiler.enable()
    while time.process_time() - start < seconds:
        await call(path, cookie)
        done += 1
    if profiler:
        profiler.disable()
        page = path.strip("/").replace("/", "_").replace("?", "_") or "home"
        name = f"{profile}.{page}.{'member' if cookie else 'visitor'}"
        profiler.dump_stats(name)
        print(name, file=sys.stderr)
    return done / (time.process_time() - start)


if __name__ == "__main__":
    one_language()
    main()
