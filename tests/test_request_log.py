"""One log line per request, with an id and without the query string: tokens never reach a log."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs
from structlog.typing import EventDict

from app import cli
from app.core.config import Settings
from app.core.serving import SERVER_OPTIONS
from app.main import create_app
from tests.asgi_client import TestClient
from tests.test_mail import free_port

TOKEN = "Zm9vYmFyLXNlY3JldC10b2tlbg"


@pytest.fixture
def logs() -> Iterator[list[EventDict]]:
    with capture_logs(processors=[merge_contextvars]) as entries:
        yield entries


def requests_in(entries: list[EventDict]) -> list[EventDict]:
    return [entry for entry in entries if entry["event"] == "request"]


def test_each_request_is_logged_once_without_its_query_string(
    client: TestClient, logs: list[EventDict]
) -> None:
    response = client.get(f"/reset-password?token={TOKEN}", follow_redirects=False)
    [entry] = requests_in(logs)
    assert {k: entry[k] for k in ("method", "path", "status")} == {
        "method": "GET",
        "path": "/reset-password",
        "status": response.status_code,
    }
    assert entry["request_id"] == response.headers["x-request-id"]
    assert isinstance(entry["duration_ms"], float)
    assert TOKEN not in repr(logs)


def test_every_log_event_of_a_request_carries_its_id(
    app: FastAPI, client: TestClient, logs: list[EventDict]
) -> None:
    @app.get("/probe")
    def probe() -> dict[str, str]:
        structlog.get_logger().info("probe.ran")
        return {}

    # Two addresses, so the shared page cache does not answer the second without running the route.
    first, second = client.get("/probe?n=1"), client.get("/probe?n=2")
    ids = [entry["request_id"] for entry in logs if entry["event"] == "probe.ran"]
    assert ids == [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert len(set(ids)) == 2 and all(len(i) >= 16 for i in ids)
    assert "request_id" not in structlog.contextvars.get_contextvars()


def test_a_failed_request_is_logged_as_a_500_with_its_id(app: FastAPI, logs: list[EventDict]) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("broken")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom?token=" + TOKEN)
    assert response.status_code == 500 and response.headers["x-request-id"]
    assert requests_in(logs)[-1]["status"] == 500
    assert TOKEN not in repr(logs)


def test_portal_serve_runs_uvicorn_without_access_log_server_header_proxy_trust_or_websockets(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    # Forking and freezing the collector belong to a real server, not to the test process.
    prepared: list[int] = []
    monkeypatch.setattr(cli, "prepare_workers", lambda workers, **_: prepared.append(workers))
    monkeypatch.setenv("PORTAL_ENV", "test")
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    # `serve` sets a default base URL in the environment; this way it is undone after the test.
    monkeypatch.setenv("PORTAL_BASE_URL", "http://127.0.0.1:8001")
    result = CliRunner().invoke(cli.main, ["serve", "--port", "8001", "--workers", "4"])
    assert result.exit_code == 0, result.output
    [options] = calls
    assert options["workers"] == 4 and options["port"] == 8001 and prepared == [4]
    assert options["timeout_worker_healthcheck"] == settings.worker_healthcheck_seconds
    assert (options["access_log"], options["server_header"], options["proxy_headers"]) == (
        False,
        False,
        False,
    )
    assert options["ws"] == "none"


class Served:
    """The app served by uvicorn in a thread, with the options `portal serve` uses."""

    def __init__(self, settings: Settings) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app(settings.model_copy(update={"base_url": self.url}))
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, **SERVER_OPTIONS)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        """Shut down once every request in flight has finished, its log line included."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.engine.dispose()


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    server = Served(settings)
    yield server
    server.stop()


def test_the_server_names_no_software_and_logs_no_query_string(
    capfd: pytest.CaptureFixture[str], served: Served
) -> None:
    with urllib.request.urlopen(f"{served.url}/?token={TOKEN}") as response:  # noqa: S310
        headers = response.headers
    served.stop()
    out, err = capfd.readouterr()
    assert "server" not in {name.lower() for name in headers}
    # What the server wrote is the app's own line, with the request's id; no access log line.
    [line] = [line for line in out.splitlines() if headers["x-request-id"] in line]
    assert "path=/ " in line and "status=200" in line
    assert TOKEN not in out + err and "HTTP/1.1" not in out + err
