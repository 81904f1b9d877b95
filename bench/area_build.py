"""How long `/professional` takes to build, for a visitor and for an approved physician, on
data sets of different sizes (the page caches off, so every request builds the page).

A quick before-and-after check in process, no server: the median time of a request after a
warm-up, in this process's CPU time (so other work on a busy machine blurs it less) and on the
clock. Build the data sets first (`portal db upgrade` and `portal demo --articles N` with
`PORTAL_DATABASE_URL` set), then

    .venv/bin/python -m bench.area_build FILE [FILE ...] [--requests 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from bench import one_language
from bench.article_rps import login

PATH = "/professional"


def build_ms(client: TestClient, requests: int) -> tuple[float, float]:
    """The median CPU and clock time of `requests` fetches of the page, in milliseconds."""
    for _ in range(10):
        assert client.get(PATH).status_code == 200
    cpu, clock = [], []
    for _ in range(requests):
        start, started = time.process_time(), time.perf_counter()
        client.get(PATH)
        cpu.append(time.process_time() - start)
        clock.append(time.perf_counter() - started)
    return statistics.median(cpu) * 1000, statistics.median(clock) * 1000


def measure(database: Path, requests: int) -> tuple[tuple[float, float], tuple[float, float]]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            database_url=f"sqlite:///{database}",
            allowed_hosts="testserver",
            upload_dir=Path(folder) / "uploads",
            media_dir=Path(folder) / "media",
            page_cache_seconds=0,
            _env_file=None,
        )
        app = create_app(settings)
        with TestClient(app) as visitor:
            landing = build_ms(visitor, requests)
        with TestClient(app) as physician:
            login(physician)
            hub = build_ms(physician, requests)
    return landing, hub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs="+", type=Path)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    print("| data set | landing page, visitor: CPU / clock ms | hub, physician: CPU / clock ms |")
    print("|---|---:|---:|")
    for database in args.databases:
        (landing_cpu, landing), (hub_cpu, hub) = measure(database, args.requests)
        print(f"| {database.name} | {landing_cpu:.1f} / {landing:.1f} | {hub_cpu:.1f} / {hub:.1f} |")


if __name__ == "__main__":
    one_language()
    main()
