"""Fixtures: a fresh migrated database per test, on SQLite and (when configured) PostgreSQL.

SQLite tests copy a template file migrated once per worker, in memory-backed /dev/shm where the
machine has it. PostgreSQL tests share one migrated database per worker and empty its tables after
each test. With CI=true, PostgreSQL is required.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

import app.models  # noqa: F401  (every table, for emptying them)
from app.core import migrations
from app.core.config import Settings
from app.core.db import Base
from app.main import create_app

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


_database_numbers = count(1)


def database_name(prefix: str) -> str:
    """A database name of this test run and worker, so parallel runs never share one."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    return f"{prefix}_{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


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


def _empty_tables(url: str) -> None:
    """Empty every table and restart every sequence, in one round trip.

    DELETE, children first, then `setval`: a test leaves a few rows, and deleting them costs far
    less than TRUNCATE, which rewrites every table's files (0.15 to 0.3 s a test).
    """
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        sequences = connection.execute(text("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S'"))
        statements = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
        statements += [f"SELECT setval('{name}', 1, false)" for name in sequences.scalars()]
        connection.exec_driver_sql("; ".join(statements))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database for one test."""
    if request.param == "sqlite":
        path = request.getfixturevalue("database_dir") / f"test{next(_database_numbers)}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        for leftover in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            leftover.unlink(missing_ok=True)
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    _empty_tables(url)


# Cheap password hashing: the cost is a setting, and real cost is not what these tests measure.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        database_url=database_url,
        page_size=4,
        # The test client's host: every other one is refused, as in production.
        allowed_hosts="testserver",
        # One language, so addresses carry no prefix; tests/test_languages.py and the leak crawl
        # and route matrix run the site in both.
        languages="en",
        upload_dir=tmp_path / "uploads",
        media_dir=tmp_path / "media",
        _env_file=None,
        **FAST_HASHING,
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
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


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
    """The text a reader sees, with whitespace collapsed."""
    soup = BeautifulSoup(html, "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" ")).strip()


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")
