"""A refused form says so first: its title starts "Error:" and its summary can take the focus."""

from __future__ import annotations

import pytest

from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import soup

# The title and the summary come from templates: the database does not change them.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def title(html: str) -> str:
    found = soup(html).title
    assert found is not None
    return found.get_text()


def test_a_failed_login_is_titled_error_and_its_summary_can_take_the_focus(client: TestClient) -> None:
    response = login(client, "nobody@clinic.example", "not the password")

    assert response.status_code == 422
    assert title(response.text).startswith("Error: Log in · ")
    summary = soup(response.text).select_one(".error-summary")
    assert summary is not None and summary.get("tabindex") == "-1"


def test_a_refused_request_form_is_titled_error_and_the_same_form_is_not_before(client: TestClient) -> None:
    before = client.get("/request-access")
    refused = submit(client, "/request-access", {"full_name": "Dr. Ana Form"})

    assert not title(before.text).startswith("Error")
    assert refused.status_code == 422
    assert title(refused.text) == "Error: " + title(before.text)
    summary = soup(refused.text).select_one(".error-summary")
    assert summary is not None and summary.get("tabindex") == "-1"


def test_a_refused_contact_form_is_titled_error(client: TestClient) -> None:
    refused = submit(client, "/contact", {"name": "Ada", "email": "not an address"})

    assert refused.status_code == 422
    assert title(refused.text).startswith("Error: ")


def test_the_error_title_is_in_the_page_language(bilingual: TestClient) -> None:
    response = submit(bilingual, "/de/login", {"email": "nobody@clinic.example", "password": "wrong"})

    assert response.status_code == 422
    assert title(response.text).startswith("Fehler: ")


def test_every_page_loads_the_site_script_that_focuses_the_summary(client: TestClient) -> None:
    page = soup(client.get("/login").text)
    script = page.select_one("head script[src*='site.js']")

    assert script is not None and script.get("src", "").startswith("/static/site.js?v=")
    assert "focus()" in client.get(str(script["src"])).text
