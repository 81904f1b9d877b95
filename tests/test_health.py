"""`/healthz` says the process lives; `/readyz` says the database is reachable and migrated."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app
from tests.asgi_client import TestClient


def app_on(database_url: str) -> FastAPI:
    """The app on a database of the test's own, serving the test client's host."""
    settings = Settings(  # type: ignore[call-arg]
        env="test", database_url=database_url, allowed_hosts="testserver", _env_file=None
    )
    return create_app(settings)


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_when_the_schema_is_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_readyz_names_the_missing_migration(tmp_path: Path) -> None:
    app = app_on(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"].startswith("database schema is at none, expected ")
    assert "portal db upgrade" in response.json()["reason"]


def test_readyz_says_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = app_on(url)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database unreachable: OperationalError"
