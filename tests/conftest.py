"""Fixtures: an empty migrated database per test, on SQLite and (when configured) PostgreSQL.

Each test worker migrates one database per backend (SQLite in memory-backed /dev/shm where the
machine has it), keeps one pair of engines on it for the whole run, and empties its tables after
each test. With CI=true, PostgreSQL is required.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table, for emptying them)
from app.core import migrations
from app.core.config import Settings
from app.core.db import Base, Engines, make_engines
from app.main import create_app
from tests.asgi_client import TestClient

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but PORTAL_TEST_DATABASE_URL is not set: PostgreSQL must be tested")


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return f"databases: SQLite and PostgreSQL ({make_url(POSTGRES_URL).render_as_string()})"
    return "databases: SQLite only (set PORTAL_TEST_DATABASE_URL to also test PostgreSQL)"


MEMORY_DISK = Path("/dev/shm")


@pytest.fixture(scope="session")
def database_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where this worker's SQLite databases live: in memory when the machine offers /dev/shm.

    Every commit on a disk waits for fsync (6 ms on a quiet disk, tens of ms on a busy one), and
    these databases are thrown away after their test.
    """
    if MEMORY_DISK.is_dir() and os.access(MEMORY_DISK, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="portal-tests-", dir=MEMORY_DISK))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("databases")


@pytest.fixture(scope="session")
def sqlite_template(database_dir: Path) -> Path:
    path = database_dir / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


def database_name(prefix: str) -> str:
    """A database name of this test run and worker, so parallel runs never share one."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{prefix}_{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def sqlite_database(database_dir: Path, sqlite_template: Path) -> str:
    """This worker's SQLite database, emptied after each test."""
    path = database_dir / "test.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """Create and migrate one PostgreSQL database for this test worker."""
    name = database_name("portal_test")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A commit need not wait for the server's disk: the database is dropped after the run.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrations.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class SharedEngines:
    """One pair of engines per test database for the whole run, and what empties that database.

    SQLAlchemy caches each statement's compiled SQL on its engine: an engine per test compiled every
    statement again in every test (a sixth of a test's CPU), and on PostgreSQL it also opened new
    connections, each a new server process.
    """

    def __init__(self) -> None:
        self.built: dict[str, Engines] = {}
        self.emptying: dict[str, list[str]] = {}

    def __getitem__(self, url: str) -> Engines:
        if url not in self.built:
            self.built[url] = make_engines(url)
        return self.built[url]

    def empty(self, url: str) -> None:
        """Delete every row and restart every numbering, in one round trip.

        DELETE, children first: a test leaves a few rows, and deleting them costs far less than
        TRUNCATE, which rewrites every table's files (0.15 to 0.3 s a test on PostgreSQL).
        """
        engine = self[url].main
        if url not in self.emptying:
            self.emptying[url] = _emptying_script(engine)
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                # sqlite3 runs one statement per call (executescript would commit on its own).
                for statement in self.emptying[url]:
                    connection.exec_driver_sql(statement)
            else:
                connection.exec_driver_sql("; ".join(self.emptying[url]))

    def dispose(self) -> None:
        for engines in self.built.values():
            engines.reader.dispose()
            engines.main.dispose()


def _emptying_script(engine: Engine) -> list[str]:
    statements = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "sqlite":
        # The search index's trigger removed its rows with search_entry's; this also clears
        # whatever a test wrote to the index directly. (No table numbers with AUTOINCREMENT: an
        # emptied table starts again at 1.)
        return [*statements, "DELETE FROM search_entry_fts"]
    with engine.connect() as connection:
        sequences = connection.exec_driver_sql("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S'")
        return [*statements, *(f"SELECT setval('{name}', 1, false)" for name in sequences.scalars())]


@pytest.fixture(scope="session")
def shared_engines() -> Iterator[SharedEngines]:
    engines = SharedEngines()
    yield engines
    engines.dispose()


DATABASES = {"sqlite": "sqlite_database", "postgresql": "postgres_database"}
# For a test whose subject is what the application does with pages, not what a database does with
# rows, when other tests already cover the same statements on PostgreSQL: it runs on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, shared_engines: SharedEngines) -> Iterator[str]:
    """A migrated, empty database for one test: this worker's, emptied again afterwards."""
    url: str = request.getfixturevalue(DATABASES[request.param])
    yield url
    shared_engines.empty(url)


# Cheap password hashing: the cost is a setting, and real cost is not what these tests measure.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}


@cache
def _settings_on(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        page_size=4,
        # The test client's host: every other one is refused, as in production.
        allowed_hosts="testserver",
        # One language, so addresses carry no prefix; tests/test_languages.py and the leak crawl
        # and route matrix run the site in both.
        languages="en",
        _env_file=None,
        **FAST_HASHING,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Validated once per database (reading the environment took a seventh of a short test's CPU).
    return _settings_on(database_url).model_copy(
        update={"upload_dir": tmp_path / "uploads", "media_dir": tmp_path / "media"}
    )


PRODUCTION = {"env": "production", "secret_key": "p" * 40, "base_url": "https://portal.example.org"}


@contextmanager
def production_browser(settings: Settings) -> Iterator[TestClient]:
    """A browser on the app as production runs it, on the test's database, at PRODUCTION's address."""
    application = create_app(settings.model_copy(update=PRODUCTION))
    try:
        with TestClient(application, base_url=PRODUCTION["base_url"]) as browser:
            yield browser
    finally:
        application.state.engine.dispose()


@pytest.fixture
def app(settings: Settings, shared_engines: SharedEngines) -> FastAPI:
    return create_app(settings, engines=shared_engines[settings.database_url])


@pytest.fixture
def app_with(settings: Settings, shared_engines: SharedEngines) -> Callable[..., FastAPI]:
    """Make the app with some settings changed, on the test's database and the worker's engines."""

    def make(**changes: Any) -> FastAPI:
        return create_app(settings.model_copy(update=changes), engines=shared_engines[settings.database_url])

    return make


@pytest.fixture
def bilingual_settings(settings: Settings) -> Settings:
    """The test's settings for a site in English and German, with addresses under /en/ and /de/."""
    return settings.model_copy(update={"languages": "en,de"})


@pytest.fixture
def bilingual_app(bilingual_settings: Settings, shared_engines: SharedEngines) -> FastAPI:
    return create_app(bilingual_settings, engines=shared_engines[bilingual_settings.database_url])


@pytest.fixture
def bilingual(bilingual_app: FastAPI) -> Iterator[TestClient]:
    """A browser on the site in German and English, with the test's database."""
    with TestClient(bilingual_app) as browser:
        yield browser


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    session = app.state.session_factory()
    yield session
    session.close()


def page_text(html: str) -> str:
    """The text a reader sees (no scripts, styles or comments), with whitespace collapsed."""
    # lxml's own tree: twenty times quicker than BeautifulSoup's, and tests read a page's text often.
    # lxml reads a NUL as U+FFFD; pages that show one are read as they are.
    if "\x00" in html:
        return re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()
    if not html.strip():
        return ""
    tree = lxml.html.fromstring(html)
    for hidden in tree.xpath("//script | //style | //template | //comment()"):
        hidden.drop_tree()
    return re.sub(r"\s+", " ", " ".join(tree.itertext())).strip()


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")
