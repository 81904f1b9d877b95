"""German and English: each language's addresses, the reader's language, and text and dates in it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.core import i18n
from app.core.config import Settings
from app.core.languages import preferred
from app.main import create_app
from tests import factories
from tests.conftest import soup

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def bilingual(settings: Settings) -> Iterator[TestClient]:
    """A browser on the site in German and English, with the test's database."""
    application = create_app(settings.model_copy(update={"languages": "en,de"}))
    try:
        with TestClient(application) as browser:
            yield browser
    finally:
        application.state.engine.dispose()


def test_a_page_under_de_is_german_and_links_stay_in_german(bilingual: TestClient) -> None:
    page = bilingual.get("/de/")
    html = soup(page.text)
    assert page.status_code == 200
    assert html.html is not None and html.html["lang"] == "de"
    assert html.find("a", string="Artikel")["href"] == "/de/articles"  # type: ignore[index]
    assert html.find("a", class_="skip-link").get_text() == "Zum Inhalt springen"  # type: ignore[union-attr]
    # Addresses that are the same in every language keep no prefix.
    stylesheet = html.find("link", rel="stylesheet")["href"]  # type: ignore[index]
    assert str(stylesheet).startswith("/static/")


def test_the_same_page_under_en_is_english(bilingual: TestClient) -> None:
    html = soup(bilingual.get("/en/").text)
    assert html.html is not None and html.html["lang"] == "en"
    assert html.find("a", string="Articles")["href"] == "/en/articles"  # type: ignore[index]


def test_an_old_address_without_a_language_leads_to_the_readers_language(bilingual: TestClient) -> None:
    german = bilingual.get(
        "/articles?page=2", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.8"}, follow_redirects=False
    )
    assert (german.status_code, german.headers["location"]) == (302, "/de/articles?page=2")
    assert "Accept-Language" in german.headers["vary"]
    english = bilingual.get("/", headers={"accept-language": "fr-FR, en;q=0.5"}, follow_redirects=False)
    assert english.headers["location"] == "/en/"
    unknown = bilingual.get("/login", headers={"accept-language": "fr"}, follow_redirects=False)
    assert unknown.headers["location"] == "/en/login"  # PORTAL_DEFAULT_LANGUAGE


def test_a_language_chosen_before_wins_over_the_browsers(bilingual: TestClient) -> None:
    bilingual.cookies.set("portal_language", "de")
    moved = bilingual.get("/contact", headers={"accept-language": "en"}, follow_redirects=False)
    assert moved.headers["location"] == "/de/contact"


def test_the_bare_prefix_gets_its_slash(bilingual: TestClient) -> None:
    moved = bilingual.get("/de", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/de/")


def test_a_redirect_never_carries_a_broken_header(bilingual: TestClient) -> None:
    moved = bilingual.get("/articles/a%0D%0ASet-Cookie:%20x=1", follow_redirects=False)
    assert moved.headers["location"] == "/en/articles/a%0D%0ASet-Cookie:%20x=1"
    assert "x=1" not in moved.headers.get("set-cookie", "")


def test_api_static_and_health_addresses_have_no_language(bilingual: TestClient) -> None:
    assert bilingual.get("/api/v1/articles", follow_redirects=False).status_code == 200
    assert bilingual.get("/healthz", follow_redirects=False).status_code == 200
    assert bilingual.get("/sitemap.xml", follow_redirects=False).status_code == 200


def test_a_form_posted_to_an_old_address_is_still_served(
    bilingual: TestClient, db: Session, settings: Settings
) -> None:
    factories.staff(db, settings, email="anna@society.example")
    form = bilingual.get("/de/login")
    token = soup(form.text).find("input", attrs={"name": "csrf_token"})["value"]  # type: ignore[index]
    answer = bilingual.post(
        "/login",
        data={"email": "anna@society.example", "password": "wrong password", "csrf_token": str(token)},
        headers={"accept-language": "de"},
        follow_redirects=False,
    )
    assert answer.status_code in (401, 422)
    assert soup(answer.text).html["lang"] == "de"  # type: ignore[index]


def test_accept_language_picks_the_best_spoken_language() -> None:
    codes = ("en", "de")
    assert preferred("de-AT,de;q=0.9,en;q=0.8", codes) == "de"
    assert preferred("en-GB;q=0.4, de;q=0.7", codes) == "de"
    assert preferred("fr, *;q=0.1", codes) == "en"
    assert preferred("fr, it", codes) is None
    assert preferred("de;q=0, en;q=nonsense, ;;,", codes) is None


def test_dates_follow_the_language_and_the_societys_time_zone() -> None:
    late_evening_utc = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Berlin
    with i18n.using("de"):
        assert i18n.format_date(late_evening_utc, zone=BERLIN) == "2. Dezember 2026"
        assert i18n.format_time(late_evening_utc, zone=BERLIN) == "00:30"
        assert i18n.format_number(1234.5) == "1.234,5"
    with i18n.using("en"):
        assert i18n.format_date(late_evening_utc, zone=BERLIN) == "2 December 2026"
        assert i18n.format_number(1234.5) == "1,234.5"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"languages": "en,xx"}, "PORTAL_LANGUAGES"),
        ({"languages": " , "}, "PORTAL_LANGUAGES"),
        ({"languages": "de", "default_language": "en"}, "PORTAL_DEFAULT_LANGUAGE"),
        ({"time_zone": "Mars/Olympus_Mons"}, "PORTAL_TIME_ZONE"),
    ],
)
def test_language_settings_that_cannot_work_are_refused(change: dict[str, str], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Settings(_env_file=None, **change)  # type: ignore[arg-type]


def test_a_third_language_needs_only_a_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    french = tmp_path / "fr" / "LC_MESSAGES"
    french.mkdir(parents=True)
    (french / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Articles"\nmsgstr "Articles (fr)"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        settings = Settings(languages="fr,en", default_language="fr", _env_file=None)  # type: ignore[call-arg]
        assert settings.language_codes == ("fr", "en")
        with i18n.using("fr"):
            assert i18n.gettext("Articles") == "Articles (fr)"
    finally:
        i18n.translations.cache_clear()
