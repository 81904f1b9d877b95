"""When the database cannot be reached, every page answers 503 with Retry-After, never 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import csrf_from
from tests.conftest import page_text

CONTACT = {
    "name": "Ann",
    "email": "ann@example.org",
    "subject": "A question",
    "message": "Hello there",
    "consent": "yes",
}


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[TestClient]:
    """The app on a "database" that is a folder: every connection fails as if the server were away."""
    away = Settings(  # type: ignore[call-arg]
        env="test", database_url=f"sqlite:///{tmp_path}", allowed_hosts="testserver", _env_file=None
    )
    application = create_app(away)
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client
    application.state.engine.dispose()


def test_a_page_says_to_try_again_with_retry_after(outage: TestClient) -> None:
    response = outage.get("/articles")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert "try again in a moment" in page_text(response.text)


def test_a_form_sent_during_an_outage_says_nothing_was_saved(outage: TestClient) -> None:
    token = csrf_from(outage, "/contact")
    form = {"csrf_token": token, **CONTACT}
    response = outage.post("/contact", data=form)
    assert response.status_code == 503 and response.headers["retry-after"].isdigit()
    assert "Nothing was saved" in page_text(response.text)
    assert "Hello there" in response.text and 'value="A question"' in response.text


def test_an_access_request_sent_during_an_outage_comes_back_as_typed(outage: TestClient) -> None:
    token = csrf_from(outage, "/request-access")
    typed = factories.request_form(full_name="Dr. Mara Example", specialty="Psychiatry")
    response = outage.post("/request-access", data={"csrf_token": token, **typed})
    assert response.status_code == 503 and response.headers["retry-after"].isdigit()
    assert "Nothing was saved" in page_text(response.text)
    assert 'value="Dr. Mara Example"' in response.text and 'value="Psychiatry"' in response.text
    assert factories.PASSWORD not in response.text


def test_any_other_form_sent_during_an_outage_says_nothing_was_saved(outage: TestClient) -> None:
    token = csrf_from(outage, "/login")
    form = {"csrf_token": token, "email": "ann@example.org", "password": "a password of some length"}
    response = outage.post("/login", data=form)
    assert response.status_code == 503
    assert "Nothing you sent was saved" in page_text(response.text)


def test_the_api_answers_json_503(outage: TestClient) -> None:
    response = outage.get("/api/v1/articles")
    assert response.status_code == 503
    assert response.json() == {"detail": "Service temporarily unavailable"}


def test_healthz_answers_without_the_database(outage: TestClient) -> None:
    assert outage.get("/healthz").json() == {"status": "ok"}
    assert outage.get("/readyz").status_code == 503
