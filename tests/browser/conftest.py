"""Chromium tests: the demo site served by uvicorn on a free loopback port, driven by Playwright.

They use Debian's chromium (`apt-get install chromium`); Playwright's own browser download is
never used. Without chromium they skip with the reason, except in CI, where they fail.

Each test worker starts one Chromium and one server on one demo database; each test opens a
browser context of its own. With PORTAL_TEST_SCREENSHOTS=1 the tests save pictures of the pages
they visit in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.core.config import PROJECT_ROOT, Settings
from app.core.serving import SERVER_OPTIONS
from app.demo import seed
from app.main import create_app
from tests.conftest import FAST_HASHING, IN_CI

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
# Pictures are for people to look at and assert nothing; each costs about half a second.
SCREENSHOTS_WANTED = os.environ.get("PORTAL_TEST_SCREENSHOTS", "") == "1"
VIEWPORTS = {"phone": {"width": 360, "height": 800}, "desktop": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)
    if Path(CHROMIUM).exists():
        return
    if IN_CI:
        raise pytest.UsageError(
            f"CI=true but Chromium is missing at {CHROMIUM}: run `apt-get install chromium`"
        )
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Settings:
    """The demo database, as `make run` would build it (on a copy of the migrated template)."""
    database = tmp_path_factory.mktemp("browser") / "portal.db"
    shutil.copyfile(sqlite_template, database)
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        database_url=f"sqlite:///{database}",
        media_dir=database.parent / "media",
        languages="en",
        _env_file=None,
        **FAST_HASHING,
    )
    seed.load_into_empty(settings)
    return settings


def _serve(settings: Settings) -> Iterator[str]:
    """Serve the app built from `settings` on a free loopback port, until the session ends."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", **SERVER_OPTIONS
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(live_settings: Settings) -> Iterator[str]:
    """Serve the demo site on a free loopback port."""
    yield from _serve(live_settings)


@pytest.fixture(scope="session")
def bilingual_server(live_settings: Settings) -> Iterator[str]:
    """The same demo site in English and German (/en/..., /de/...), on a port of its own."""
    yield from _serve(live_settings.model_copy(update={"languages": "en,de"}))


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def snap(target, name: str, **options: Any) -> None:  # type: ignore[no-untyped-def]
    """Save a picture of the page or element as test-artifacts/screenshots/`name`, when wanted."""
    if not SCREENSHOTS_WANTED:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=SCREENSHOTS / name, **options)


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no WCAG violation on the page as it is now."""
    from axe_playwright_python.base import AXE_SCRIPT
    from axe_playwright_python.sync_playwright import DEFAULT_OPTIONS, AxeResults

    # The script is half a megabyte: a page checked again (at another width, say) keeps it.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = AxeResults(page.evaluate("options => axe.run(options)", DEFAULT_OPTIONS))
    assert results.violations_count == 0, results.generate_report()
