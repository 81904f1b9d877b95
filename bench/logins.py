"""The public article's p99 alone and while logins run beside it, with how the logins fared.

Starts `portal serve --workers 2` in production mode on a demo data set (`--database FILE` keeps
and reuses it), loads the article with wrk (`--seconds`, 32 connections) once alone and once while
logins start at `--rate` a second, and prints both p99s, the logins that succeeded, those asked to
try again (503) and the logins' own median and p99. `--portal` names another checkout's `portal`
command, so two versions can be measured in turns on the same machine (`--runs` rounds):

    python -m bench.logins --runs 3 --portal ../other/.venv/bin/portal
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from bench import login, one_language, servers, wrk
from bench.pages import ARTICLE, BROWSER, _free_port, _generate, _production


def main() -> None:
    """Measure each `portal` command in turns, `--runs` times."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", type=Path, help="a SQLite file to keep the data set in and reuse")
    parser.add_argument("--seconds", type=int, default=5, help="wrk seconds per run (default 5)")
    parser.add_argument("--rate", type=float, default=5, help="logins started per second (default 5)")
    parser.add_argument("--runs", type=int, default=1, help="rounds (default 1)")
    parser.add_argument(
        "--portal",
        type=Path,
        action="append",
        help="a `portal` command to measure (repeatable; default this checkout's)",
    )
    args = parser.parse_args()
    if not wrk.available():
        sys.exit(wrk.INSTALL_HINT)
    portals = args.portal or [servers.PORTAL]
    with tempfile.TemporaryDirectory(prefix="portal-logins-") as tmp:
        database = args.database or Path(tmp) / "bench.db"
        url = f"sqlite:///{database}"
        if not database.exists():
            _generate(url, 100)
        env = _production(url, tmp)
        for round_number in range(1, args.runs + 1):
            for portal in portals:
                print(f"round {round_number}, {portal}: {_one(portal, env, args)}", flush=True)


def _one(portal: Path, env: dict[str, str], args: argparse.Namespace) -> str:
    port = _free_port()
    command = [str(portal), *servers.portal(port)[1:]]
    article = f"http://127.0.0.1:{port}{ARTICLE}"
    with servers.serving(command, env, port):
        _log_in(port)  # the first login of each worker loads the hashing code
        _log_in(port)
        wrk.run(article, seconds=2, connections=32, headers=BROWSER)  # the page stored, the code warm
        quiet = wrk.run(article, seconds=args.seconds, connections=32, headers=BROWSER)
        stop = threading.Event()
        outcomes: list[tuple[int, float]] = []

        def schedule(pool: ThreadPoolExecutor) -> None:
            while not stop.wait(1 / args.rate):
                pool.submit(lambda: outcomes.append(_log_in(port)))

        with ThreadPoolExecutor(max_workers=64) as pool:
            ticker = threading.Thread(target=schedule, args=(pool,), daemon=True)
            ticker.start()
            busy = wrk.run(article, seconds=args.seconds, connections=32, headers=BROWSER)
            stop.set()
            ticker.join()
            pool.shutdown(wait=True)
    done = sorted(seconds for status, seconds in outcomes if status == 303)
    refused = sum(1 for status, _ in outcomes if status == 503)
    other = len(outcomes) - len(done) - refused
    p99 = done[max(0, int(len(done) * 0.99) - 1)] * 1000 if done else 0
    median = statistics.median(done) * 1000 if done else 0
    return (
        f"article p99 {quiet.p99_ms:.1f} ms alone ({quiet.requests_per_second:,.0f}/s), "
        f"{busy.p99_ms:.1f} ms beside logins ({busy.requests_per_second:,.0f}/s); "
        f"logins {len(done)} in, {refused} asked to retry, {other} other; "
        f"login median {median:.0f} ms, p99 {p99:.0f} ms"
    )


def _log_in(port: int) -> tuple[int, float]:
    """Open the login form and post it as the demo's applicant; return the answer's status and time."""
    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    started = time.monotonic()
    cookies: dict[str, str] = {}
    token = login.CSRF.search(login._request(port, "GET", "/login", cookies))
    if not token:
        return 0, time.monotonic() - started
    email = APPLICANTS[1][0]
    form = {"email": email, "password": APPLICANT_PASSWORD, "next": "", "csrf_token": token.group(1)}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    try:
        connection.request("POST", "/login", body=urlencode(form), headers=headers)
        status = connection.getresponse().status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.monotonic() - started


if __name__ == "__main__":
    one_language()
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    main()
