"""Latency and errors of a mixed workload while PostgreSQL, Redis or SMTP is cut (not a test).

Starts `portal serve --workers 2` and `portal send-mail --loop` against PostgreSQL, Redis and a
local SMTP server, each reached through a small TCP proxy of this script that can cut its
connections and refuse new ones. Reads, failed logins and contact-form posts run from a few
threads; each phase reports requests, p95, and answers that are neither 2xx/3xx/4xx nor 503.

    make bench-faults    # PORTAL_BENCH_DATABASE_URL and PORTAL_BENCH_REDIS_URL override the defaults
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core import migrations
from bench import one_language
from tests.live import Browser, free_port, portal_env, portal_serve

DATABASE_URL = os.environ.get(
    "PORTAL_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PORTAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PHASE_SECONDS = 8
CLIENTS = 4


class CuttableProxy:
    """A TCP relay to `target`; `cut()` drops every connection and refuses new ones until `mend()`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.down = False
        self.writers: set[asyncio.StreamWriter] = set()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result()

    async def _listen(self) -> None:
        await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
            self.writers.discard(writer)

    def cut(self) -> None:
        self.down = True
        for writer in list(self.writers):
            self.loop.call_soon_threadsafe(writer.transport.abort)

    def mend(self) -> None:
        self.down = False


class Inbox:
    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        return "250 OK"


def one_request(browser: Browser, number: int) -> int:
    """One step of the mix: mostly reads, some failed logins and contact messages."""
    kind = number % 5
    if kind == 3:
        token = browser.form_token("/login")
        return browser.post(
            "/login", {"csrf_token": token, "email": "nobody@example.org", "password": "wrong" * 3}
        )
    if kind == 4:
        token = browser.form_token("/contact")
        fields = {"name": "Bench", "email": "bench@example.org", "subject": "Load", "message": "Hello"}
        return browser.post("/contact", {"csrf_token": token, **fields, "consent": "on"})
    return browser.fetch("GET", "/articles" if kind else "/")[0]


def run_phase(port: int, seconds: float) -> tuple[list[float], Counter[str]]:
    timings: list[float] = []
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds

    def client() -> None:
        browser, number = Browser(port), 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = one_request(browser, number)
                outcomes["503" if status == 503 else ("error" if status >= 500 else "ok")] += 1
            except Exception:  # a dropped connection is what this script counts
                outcomes["error"] += 1
            timings.append(time.monotonic() - started)
            number += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, outcomes


def bench_database() -> str:
    name = f"portal_bench_{os.getpid()}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(DATABASE_URL).set(database=name)
    migrations.upgrade(url.render_as_string(hide_password=False))
    return url.render_as_string(hide_password=False)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    database_url = bench_database()
    database = make_url(database_url)
    redis = urlsplit(REDIS_URL)
    smtp_port = free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    # The database last: a fault that the app does not recover from would spoil the phases after it.
    proxies = {
        "redis": CuttableProxy(redis.hostname or "127.0.0.1", redis.port or 6379),
        "smtp": CuttableProxy("127.0.0.1", smtp_port),
        "database": CuttableProxy(database.host or "127.0.0.1", database.port or 5432),
    }
    port = free_port()
    env = portal_env(
        tmp,
        database.set(host="127.0.0.1", port=proxies["database"].port).render_as_string(hide_password=False),
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        PORTAL_REDIS_URL=f"redis://127.0.0.1:{proxies['redis'].port}{redis.path}",
        PORTAL_SMTP_URL=f"smtp://127.0.0.1:{proxies['smtp'].port}",
        PORTAL_CONTACT_RATE_LIMIT="100000/hour",
        PORTAL_LOGIN_RATE_LIMIT="100000/minute",
    )
    print(f"{'phase':<16}{'requests':>10}{'p95 ms':>10}{'503':>8}{'errors':>8}")
    with portal_serve(env, port=port, cwd=tmp):
        report("steady", port)
        for name, proxy in proxies.items():
            proxy.cut()
            report(f"{name} cut", port)
            proxy.mend()
            report(f"after {name}", port)
    smtp.stop()
    drop(database_url)


def report(phase: str, port: int) -> None:
    timings, outcomes = run_phase(port, PHASE_SECONDS)
    p95 = statistics.quantiles(timings, n=20)[-1] * 1000 if len(timings) > 1 else 0.0
    print(f"{phase:<16}{len(timings):>10}{p95:>10.0f}{outcomes['503']:>8}{outcomes['error']:>8}", flush=True)


def drop(database_url: str) -> None:
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))


if __name__ == "__main__":
    one_language()
    main()
