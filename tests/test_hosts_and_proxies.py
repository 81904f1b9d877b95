"""Only the configured host is served, and only a trusted proxy may say who the client is."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from

PROXY = ("10.0.0.2", 40000)


def login_through(client: TestClient, email: str, **headers: str) -> None:
    """Log in with the given request headers on the login post, as a proxy would add them."""
    token = csrf_from(client, "/login")
    data = {"csrf_token": token, "email": email, "password": factories.PASSWORD}
    response = client.post("/login", data=data, headers=headers, follow_redirects=False)
    assert response.headers["location"] == "/account"


def login_ips(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.ip).where(AuditEvent.action == "account.login")))


def test_a_request_for_another_host_is_refused(client: TestClient) -> None:
    response = client.get("/articles/", headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("location", "") + response.text
    assert client.get("/articles", headers={"host": "evil.example"}).status_code == 400


def test_the_configured_hosts_are_served(settings: Settings) -> None:
    assert settings.allowed_host_names == ["127.0.0.1", "testserver"]
    development = settings.model_copy(update={"env": "development", "allowed_hosts": ""})
    assert development.allowed_host_names == ["127.0.0.1", "localhost"]
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8000") as browser:
            response = browser.get("/articles/", follow_redirects=False)
    finally:
        app.state.engine.dispose()
    assert response.headers["location"] == "http://127.0.0.1:8000/articles"


def test_forwarded_headers_from_anyone_but_a_trusted_proxy_are_ignored(
    client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, email="ana@clinic.example").user
    spoofed = {
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.example",
    }
    login_through(client, person.email, **spoofed)
    assert login_ips(db) == ["testclient"]
    redirect = client.get("/articles/", headers=spoofed, follow_redirects=False)
    assert redirect.headers["location"] == "http://testserver/articles"


@pytest.fixture
def proxied(app_with: Callable[..., FastAPI]) -> Iterator[TestClient]:
    """A browser reaching the app through a proxy at 10.0.0.2, the network PORTAL_TRUSTED_PROXIES names."""
    app = app_with(trusted_proxies="10.0.0.0/8", allowed_hosts="testserver,portal.example.org")
    with TestClient(app, client=PROXY) as browser:
        yield browser


def test_a_trusted_proxy_tells_the_client_address_scheme_and_host(
    proxied: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings, email="ben@clinic.example").user
    # The client wrote the first address itself; the proxies appended the others.
    login_through(proxied, person.email, **{"x-forwarded-for": "198.51.100.1, 203.0.113.9, 10.0.0.7"})
    assert login_ips(db) == ["203.0.113.9"]
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-host": "portal.example.org"}
    redirect = proxied.get("/articles/", headers=forwarded, follow_redirects=False)
    assert redirect.headers["location"] == "https://portal.example.org/articles"


def test_a_forwarded_host_must_be_an_allowed_one_too(proxied: TestClient) -> None:
    response = proxied.get("/articles/", headers={"x-forwarded-host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 400 and "evil.example" not in response.text


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("trusted_proxies", "10.0.0.0/8, not-an-address"),
        ("trusted_proxies", "*"),
        ("allowed_hosts", "*"),
        ("allowed_hosts", "https://portal.example.org"),
    ],
)
def test_a_mistyped_host_or_proxy_setting_is_refused_by_name(setting: str, value: str) -> None:
    with pytest.raises(ValidationError, match=f"PORTAL_{setting.upper()}"):
        Settings(**{setting: value, "_env_file": None})  # type: ignore[arg-type]
