"""Count the SQL statements one request for a page costs, in this process, on the app's own engines.

On SQLite the page cache reads through an engine of its own (`db.make_reader`); both are counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def per_page(
    settings: Settings, paths: Iterable[str], *, email: str, password: str
) -> dict[str, tuple[int, int]]:
    """For each path, the statements of one warm request as a visitor and as the logged-in `email`."""
    app = create_app(settings)
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    for engine in {app.state.engine, app.state.page_reader}:
        event.listen(engine, "before_cursor_execute", count)
    results: dict[str, tuple[int, int]] = {}
    with (
        TestClient(app, base_url="https://127.0.0.1") as visitor,
        TestClient(app, base_url="https://127.0.0.1") as member,
    ):
        _log_in(member, email, password)
        for path in paths:
            results[path] = (_statements(visitor, path, counted), _statements(member, path, counted))
    app.state.engine.dispose()
    return results


def _statements(client: TestClient, path: str, counted: list[str]) -> int:
    # Warm: the first request fills caches that later ones reuse; a logged-in reader's first
    # request for a path only learns whether its route is shared, the second stores the page.
    for _ in range(2):
        client.get(path)
    counted.clear()
    client.get(path)
    return len(counted)


def _log_in(client: TestClient, email: str, password: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"email": email, "password": password, "next": "", "csrf_token": token})
    if not any("session" in name for name in client.cookies):
        raise RuntimeError(f"logging in as {email} failed in process")
