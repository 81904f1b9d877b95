"""Requests per second of an article page served in-process, as a visitor and as a physician.

A quick before-and-after check, not the benchmark: no server, no network, one thread. The rate is
per second of this process's CPU time, so other work on a busy machine does not blur it. Run it
from a checkout with `.venv/bin/python bench/article_rps.py [seconds]`.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from app.core import migrations
from app.core.config import Settings
from app.demo import seed
from app.main import create_app
from bench import one_language

ARTICLE = "/articles/addressing-immunity-in-depression"
PHYSICIAN = ("physician@portico.example", seed.APPLICANT_PASSWORD)


def rate(client: TestClient, path: str, seconds: float) -> float:
    """Fetch `path` for about `seconds` of CPU after a warm-up; return requests per CPU second."""
    for _ in range(20):
        assert client.get(path).status_code == 200
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        client.get(path)
        done += 1
    return done / (time.process_time() - start)


def login(client: TestClient) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    email, password = PHYSICIAN
    data = {"csrf_token": token, "email": email, "password": password, "next": ""}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303


def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'portal.db'}"
        settings = Settings(  # type: ignore[call-arg]
            env="test",
            database_url=url,
            allowed_hosts="testserver",
            upload_dir=Path(folder) / "uploads",
            media_dir=Path(folder) / "media",
            _env_file=None,
        )
        migrations.upgrade(url)
        with contextlib.redirect_stdout(io.StringIO()):
            seed.load_into_empty(settings)
        app = create_app(settings)
        with TestClient(app) as visitor:
            print(f"visitor   {rate(visitor, ARTICLE, seconds):7.1f} req/s")
        with TestClient(app) as physician:
            login(physician)
            print(f"physician {rate(physician, ARTICLE, seconds):7.1f} req/s")


if __name__ == "__main__":
    one_language()
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
