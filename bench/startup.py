"""How fast `portal serve --workers 2` answers after it starts, and how much memory each worker holds.

Builds (or reuses, `--database FILE`) a demo data set, starts the portal in production mode, and
prints the seconds to the first answer and the CPU seconds the server's processes had spent by
then (on a busy machine the CPU time says more than the wall clock), then each worker's RSS and
PSS (its share of pages held with other processes) once started, and again after wrk has loaded
each page for `--seconds` as a visitor and as an approved physician, and once more after
QUIET_SECONDS without requests (a worker hands memory back once a burst is over). A shorter
companion to `make bench` for start-up work: `python -m bench.startup --runs 3`; `--portal`
names another checkout's `portal` command (repeatable), measured in turns with this one's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import login, one_language, servers, wrk
from bench.pages import BROWSER, PAGES, _fetch, _free_port, _generate, _production

TICKS = os.sysconf("SC_CLK_TCK")
QUIET_SECONDS = 3


def main() -> None:
    """Start the portal `--runs` times and print what each start and warm run measured."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", type=Path, help="a SQLite file to keep the data set in and reuse")
    parser.add_argument("--articles", type=int, default=100, help="articles in the data set (default 100)")
    parser.add_argument("--seconds", type=int, default=1, help="wrk seconds per page and viewer (default 1)")
    parser.add_argument("--runs", type=int, default=1, help="starts to measure (default 1)")
    parser.add_argument("--portal", type=Path, action="append", help="a `portal` command to start")
    args = parser.parse_args()
    if not wrk.available():
        sys.exit(wrk.INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="portal-startup-") as tmp:
        database = args.database or Path(tmp) / "bench.db"
        url = f"sqlite:///{database}"
        if not database.exists():
            _generate(url, args.articles)
        env = _production(url, tmp)
        for _ in range(args.runs):
            for command in args.portal or [servers.PORTAL]:
                _one_start(command, env, args.seconds, named=bool(args.portal))


def _one_start(command: Path, env: dict[str, str], seconds: int, *, named: bool) -> None:
    from app.demo.seed import APPLICANT_PASSWORD, APPLICANTS

    port = _free_port()
    serve = [str(command), *servers.portal(port)[1:]]
    with servers.serving(serve, env, port) as (portal, first_answer):
        cpu = _cpu_seconds(portal)
        time.sleep(1)  # both workers up, not only the first
        for _ in range(20):  # each worker has answered, so has done what a first request does
            _fetch(port, "/healthz")
        split = _cpu_split(portal)
        started = _memory(portal)
        cookie = login.session_cookie(port, APPLICANTS[0][0], APPLICANT_PASSWORD)
        for _, path in PAGES:
            for headers in (BROWSER, {**BROWSER, "Cookie": cookie}):
                url = f"http://127.0.0.1:{port}{path}"
                wrk.run(url, seconds=seconds, connections=8, headers=headers)
        warm = _memory(portal)
        time.sleep(QUIET_SECONDS)
        quiet = _memory(portal)
    print(
        f"{f'{command}: ' if named else ''}first answer {first_answer:.2f} s ({cpu:.2f} CPU s); "
        f"once each worker answered: {split}; per worker after start {started}, "
        f"after the warm run {warm}, {QUIET_SECONDS} s later {quiet}",
        flush=True,
    )


def _cpu_split(server: subprocess.Popen[bytes]) -> str:
    """The CPU seconds of the server process (imports, then forks) and of each worker on its own."""
    workers = ", ".join(f"{_cpu_of(pid):.2f}" for pid in servers.worker_pids(server))
    return f"server {_cpu_of(server.pid):.2f} CPU s, workers {workers}"


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time of the server and every process under it (workers, and a supervisor's helpers)."""
    return sum(_cpu_of(pid) for pid in [server.pid, *_descendants(server.pid)])


def _memory(server: subprocess.Popen[bytes]) -> str:
    sizes = []
    for pid in servers.worker_pids(server):
        rollup = dict(
            (line.split()[0].rstrip(":"), int(line.split()[1]))
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
        )
        sizes.append((rollup["Rss"] / 1024, rollup["Pss"] / 1024))
    return ", ".join(f"RSS {rss:.0f} MB (PSS {pss:.0f})" for rss, pss in sorted(sizes))


def _descendants(pid: int) -> list[int]:
    found = []
    for child in servers.children(pid):
        found += [child, *_descendants(child)]
    return found


if __name__ == "__main__":
    one_language()
    os.environ.setdefault("PORTAL_LOG_LEVEL", "WARNING")
    main()
