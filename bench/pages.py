"""`make bench`: how fast the portal serves each kind of page, beside a bare ASGI app on the same uvicorn.

Builds a data set (`portal demo --articles N`) in a temporary SQLite database, serves it with
`portal serve --workers 2` in production mode, and runs wrk on each page as a visitor and as an
approved physician. Prints a Markdown table: requests per second, the ratio to the bare app, p99,
SQL statements per request, then memory per worker, time to the first answer, and the visitors'
p99 while five logins a second run beside them.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import login, one_language, servers, wrk

ARTICLE = "/articles/addressing-immunity-in-depression"
PAGES = [
    ("home", "/"),
    ("article list", "/articles"),
    ("article", ARTICLE),
    ("category", "/categories/mental-health"),
    ("search", "/search?q=immunity"),
    ("feed", "/feed.xml"),
    ("API list", "/api/v1/articles"),
]
# What browsers send; compressed answers are what a visitor really gets.
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
LOGINS_PER_SECOND = 5
QUIET_SECONDS = 3


def main() -> None:
    """Build the data set, serve it, load each page and print the results."""
    args = _arguments()
    if not wrk.available():
        sys.exit(wrk.INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        database = args.database or Path(tmp) / "bench.db"
        url = f"sqlite:///{database}"
        if not args.database or not database.exists():
            _generate(url, args.articles)
        env = _production(url, tmp)
        measured = _measure(env, Path(tmp), args)
        os.environ.update(env, PORTAL_LOG_LEVEL="WARNING")
        from app.core.config import Settings
        from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS
        from bench import statements

        counts = statements.per_page(
            Settings(), [path for _, path in PAGES], email=APPLICANTS[0][0], password=APPLICANT_PASSWORD
        )
    _print(args, measured, counts)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=100, help="articles in the data set (default 100)")
    parser.add_argument("--database", type=Path, help="a SQLite file to keep the data set in and reuse")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    return parser.parse_args()


def _generate(url: str, articles: int) -> None:
    env = servers.environment(PORTAL_DATABASE_URL=url, PORTAL_ENV="development", PORTAL_LOG_LEVEL="WARNING")
    started = time.monotonic()
    for command in (["db", "upgrade"], ["demo", "--articles", str(articles)]):
        subprocess.run([str(servers.PORTAL), *command], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    print(f"Data set of {articles} articles built in {time.monotonic() - started:.0f} s.", file=sys.stderr)


def _production(url: str, tmp: str) -> dict[str, str]:
    return servers.environment(
        PORTAL_ENV="production",
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=secrets.token_urlsafe(48),
        PORTAL_BASE_URL="https://portal.bench.example",
        PORTAL_ALLOWED_HOSTS="127.0.0.1",
        PORTAL_UPLOAD_DIR=f"{tmp}/uploads",
        PORTAL_MEDIA_DIR=f"{tmp}/media",
        # The bench logs in five times a second from one address; the real limit would refuse that.
        PORTAL_LOGIN_RATE_LIMIT="100000/minute",
    )


def _measure(env: dict[str, str], tmp: Path, args: argparse.Namespace) -> dict[str, object]:
    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    port, raw_port = _free_port(), _free_port()
    with servers.serving(servers.portal(port), env, port) as (portal, first_answer):
        page = tmp / "page.html"
        page.write_bytes(_fetch(port, ARTICLE))
        cookie = login.session_cookie(port, APPLICANTS[0][0], APPLICANT_PASSWORD)
        viewers = {"visitor": BROWSER, "physician": {**BROWSER, "Cookie": cookie}}
        raw_env = servers.environment(BENCH_PAGE=str(page))
        with servers.serving(servers.raw_asgi(raw_port), raw_env, raw_port):
            load = _loader(args)
            baseline = load(f"http://127.0.0.1:{raw_port}/", BROWSER)
            runs = {
                (name, viewer): load(f"http://127.0.0.1:{port}{path}", headers)
                for name, path in PAGES
                for viewer, headers in viewers.items()
            }
        rss = servers.worker_rss_mb(portal)
        pss = servers.worker_pss_mb(portal)
        time.sleep(QUIET_SECONDS)  # a worker hands freed memory back once a burst is over
        quiet_rss = servers.worker_rss_mb(portal)
        quiet = load(f"http://127.0.0.1:{port}{ARTICLE}", BROWSER)
        busy, logins = _with_logins(
            port, lambda: load(f"http://127.0.0.1:{port}{ARTICLE}", BROWSER), args.seconds
        )
    # Once the portal has stopped: the portal's memory is read right after its own run, and the
    # floor has the machine to itself, as the portal had.
    floor, floor_rss = _stack_floor(env, load)
    return {
        "baseline": baseline,
        "floor": floor,
        "floor_rss": floor_rss,
        "runs": runs,
        "rss": rss,
        "quiet_rss": quiet_rss,
        "pss": pss,
        "first": first_answer,
        "quiet": quiet,
        "busy": busy,
        "logins": logins,
    }


def _stack_floor(env: dict[str, str], load) -> tuple[wrk.Run, list[float]]:  # type: ignore[no-untyped-def]
    """Serve the stack's floor on the same data set, load its article page, and read its workers' RSS.
    Its workers get the same malloc arena limit as the portal's (`portal serve` sets it)."""
    port = _free_port()
    floor_env = servers.environment(
        BENCH_DATABASE_URL=env["PORTAL_DATABASE_URL"],
        MALLOC_ARENA_MAX=os.environ.get("MALLOC_ARENA_MAX", "2"),
    )
    with servers.serving(servers.stack_floor(port), floor_env, port) as (floor, _):
        run = load(f"http://127.0.0.1:{port}{ARTICLE}", BROWSER)
        return run, servers.worker_rss_mb(floor)


def _loader(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    def load(url: str, headers: dict[str, str]) -> wrk.Run:
        return wrk.run(url, seconds=args.seconds, connections=args.connections, headers=headers)

    return load


def _with_logins(port: int, load, seconds: int):  # type: ignore[no-untyped-def]
    """Run `load` while logins start at a steady rate beside it; return its result and the logins done."""
    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    stop = threading.Event()
    done: list[float] = []

    def log_in() -> None:
        started = time.monotonic()
        login.session_cookie(port, APPLICANTS[1][0], APPLICANT_PASSWORD)
        done.append(time.monotonic() - started)

    def schedule(pool: ThreadPoolExecutor) -> None:
        while not stop.wait(1 / LOGINS_PER_SECOND):
            pool.submit(log_in)

    with ThreadPoolExecutor(max_workers=16) as pool:
        ticker = threading.Thread(target=schedule, args=(pool,), daemon=True)
        ticker.start()
        result = load()
        stop.set()
        ticker.join()
    return result, done


def _fetch(port: int, path: str) -> bytes:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return response.read()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _print(args: argparse.Namespace, measured: dict, counts: dict[str, tuple[int, int]]) -> None:  # type: ignore[type-arg]
    baseline: wrk.Run = measured["baseline"]
    print(
        f"\n{args.articles} articles, wrk {args.seconds} s x {args.connections} connections, "
        f"{servers.WORKERS} workers each, {os.cpu_count()} CPUs\n"
    )
    print("| page | viewer | req/s | vs raw ASGI | p99 ms | errors | SQL statements |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print(_row("raw ASGI, page from memory", "-", baseline, 1.0, 0))
    floor: wrk.Run = measured["floor"]
    print(
        _row(
            "stack's floor: FastAPI, one ORM query, one template",
            "-",
            floor,
            floor.requests_per_second / baseline.requests_per_second,
            1,
        )
    )
    for (name, viewer), run in measured["runs"].items():
        sql = counts[dict(PAGES)[name]][0 if viewer == "visitor" else 1]
        print(_row(name, viewer, run, run.requests_per_second / baseline.requests_per_second, sql))
    rss = _megabytes(measured["rss"])
    logins = sorted(measured["logins"])
    login_p99 = logins[max(0, int(len(logins) * 0.99) - 1)] * 1000 if logins else 0
    pss = _megabytes(measured["pss"])
    quiet = _megabytes(measured["quiet_rss"])
    print(
        f"\nRSS per worker after the run: {rss} MB (PSS, sharing counted once: {pss} MB); "
        f"{QUIET_SECONDS} s later: {quiet} MB"
    )
    floor_rss = _megabytes(measured["floor_rss"])
    print(f"The stack's floor (bench/stack_floor.py), RSS per worker after its run: {floor_rss} MB")
    print(f"First answer {measured['first']:.2f} s after `portal serve` started")
    print(
        f"Public article p99: {measured['quiet'].p99_ms:.1f} ms alone, {measured['busy'].p99_ms:.1f} ms "
        f"with {len(logins)} logins in {args.seconds} s beside it (login p99 {login_p99:.0f} ms)"
    )


def _megabytes(sizes: list[float]) -> str:
    return ", ".join(f"{size:.0f}" for size in sizes)


def _row(name: str, viewer: str, run: wrk.Run, ratio: float, sql: int) -> str:
    return (
        f"| {name} | {viewer} | {run.requests_per_second:,.0f} | {ratio:.3f} | {run.p99_ms:.1f} "
        f"| {run.errors} | {sql} |"
    )


if __name__ == "__main__":
    one_language()
    main()
