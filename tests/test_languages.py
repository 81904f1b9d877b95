"""German and English: each language's addresses, the reader's language, and text and dates in it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.accounts import service as accounts_service
from app.accounts.models import Role, User
from app.core import i18n
from app.core.config import Settings
from app.core.languages import preferred
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, mails, submit
from tests.conftest import PRODUCTION, soup
from tests.viewers import browser_for

BERLIN = ZoneInfo("Europe/Berlin")
BASE = "http://127.0.0.1:8000"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


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


def test_an_address_the_same_in_every_language_answers_alike_whoever_asks(bilingual: TestClient) -> None:
    plain = bilingual.get("/media/999999/missing.png")
    bilingual.cookies.set("portal_language", "de")
    german_reader = bilingual.get("/media/999999/missing.png", headers={"accept-language": "de"})
    assert plain.status_code == german_reader.status_code == 404
    assert soup(german_reader.text).html["lang"] == "en"  # type: ignore[index]
    assert german_reader.text == plain.text


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


def test_the_switch_leads_to_the_same_page_in_the_other_language(bilingual: TestClient) -> None:
    html = soup(bilingual.get("/de/articles?page=1").text)
    switch = html.find("nav", class_="language-switch")
    assert switch is not None and switch["aria-label"] == "Sprache"
    links = {link.get_text(): link for link in switch.find_all("a")}
    assert list(links) == ["English", "Deutsch"]
    english, german = links["English"], links["Deutsch"]
    # Each name is in its own language, and says so to screen readers and to search engines.
    assert (english["lang"], english["hreflang"], german["lang"], german["hreflang"]) == (
        "en",
        "en",
        "de",
        "de",
    )
    assert german["aria-current"] == "true" and not english.has_attr("aria-current")
    assert english["href"] == "/language/en?next=%2Fen%2Farticles%3Fpage%3D1"
    chosen = bilingual.get(str(english["href"]), follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/en/articles?page=1")
    assert soup(bilingual.get("/en/articles?page=1").text).html["lang"] == "en"  # type: ignore[index]


def test_the_choice_is_remembered_for_a_year_and_wins_for_addresses_without_a_language(
    bilingual: TestClient,
) -> None:
    chosen = bilingual.get("/language/de?next=/de/contact", follow_redirects=False)
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("portal_language=de;")
    for part in ("Max-Age=31536000", "HttpOnly", "Path=/", "SameSite=lax"):
        assert part in cookie
    assert "Secure" not in cookie  # plain HTTP outside production
    moved = bilingual.get("/articles", headers={"accept-language": "en"}, follow_redirects=False)
    assert moved.headers["location"] == "/de/articles"


def test_in_production_the_language_cookie_is_secure(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={**PRODUCTION, "languages": "en,de"}))
    try:
        with TestClient(application, base_url=PRODUCTION["base_url"]) as browser:
            chosen = browser.get("/language/en?next=/en/", follow_redirects=False)
    finally:
        application.state.engine.dispose()
    assert chosen.headers["location"] == "/en/"
    assert "Secure" in chosen.headers["set-cookie"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/de/\\evil.example",
        "https://evil.example/de/",
        "/en/articles",  # a page, but not in the language chosen
        "/de/articles\r\nSet-Cookie: x=1",
        "/de/\tarticles",
        "",
        "de/articles",
    ],
)
def test_the_switch_leads_nowhere_but_a_page_of_the_chosen_language(
    bilingual: TestClient, target: str
) -> None:
    chosen = bilingual.get("/language/de", params={"next": target}, follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/de/")
    assert chosen.headers["set-cookie"].startswith("portal_language=de;")


def test_a_language_the_site_does_not_speak_is_not_found_and_not_remembered(bilingual: TestClient) -> None:
    refused = bilingual.get("/language/fr?next=/fr/", follow_redirects=False)
    assert refused.status_code == 404
    assert "set-cookie" not in refused.headers or "portal_language" not in refused.headers["set-cookie"]
    assert "Page not found" in refused.text


def test_a_visitor_with_only_the_language_cookie_shares_the_stored_pages(bilingual: TestClient) -> None:
    bilingual.get("/language/de?next=/de/articles", follow_redirects=False)
    assert list(bilingual.cookies) == ["portal_language"]
    first = bilingual.get("/de/articles")
    second = bilingual.get("/de/articles")
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.headers["cache-control"] == "public, max-age=60"
    # Any other cookie beside it is a person: nothing stored is handed to them.
    bilingual.cookies.set("portal_session", "abc")
    person = bilingual.get("/de/articles")
    assert "x-cache" not in person.headers
    assert person.headers["cache-control"] == "private, no-store"


def test_every_page_names_its_versions_in_each_language(bilingual: TestClient) -> None:
    html = soup(bilingual.get("/en/articles?page=1").text)
    alternates = {link["hreflang"]: link["href"] for link in html.find_all("link", hreflang=True)}
    assert alternates == {
        "en": f"{BASE}/en/articles?page=1",
        "de": f"{BASE}/de/articles?page=1",
        "x-default": f"{BASE}/articles?page=1",
    }


def test_alternates_and_the_switch_carry_a_quoted_address(bilingual: TestClient, db: Session) -> None:
    factories.article(db, slug="sleep-well", title="Sleep well", tags=["Sleep well"])
    html = soup(bilingual.get("/de/search?q=sleep%20well").text)
    alternate = html.find("link", hreflang="en")
    assert alternate is not None and alternate["href"] == f"{BASE}/en/search?q=sleep%20well"
    switch = html.find("a", hreflang="en", lang="en")
    chosen = bilingual.get(str(switch["href"]), follow_redirects=False)  # type: ignore[index]
    assert chosen.headers["location"] == "/en/search?q=sleep%20well"
    missing = bilingual.get("/de/no such page")
    assert missing.status_code == 404
    assert soup(missing.text).find("link", hreflang="de")["href"] == f"{BASE}/de/no%20such%20page"  # type: ignore[index]


def test_the_switch_on_a_site_in_one_language_leads_home_and_remembers_nothing(client: TestClient) -> None:
    chosen = client.get("/language/en?next=//evil.example/", follow_redirects=False)
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/")
    assert "set-cookie" not in chosen.headers
    assert (
        client.get("/language/en?next=/articles", follow_redirects=False).headers["location"] == "/articles"
    )


def test_a_site_in_one_language_has_no_switch_and_no_alternates(client: TestClient) -> None:
    html = soup(client.get("/").text)
    assert html.find("nav", class_="language-switch") is None
    assert html.find("link", hreflang=True) is None


def test_one_sitemap_lists_each_page_in_each_language_with_its_alternates(
    bilingual: TestClient, db: Session
) -> None:
    original = factories.article(db, slug="sleep-well", title="Sleep well", tags=["Sleep"])
    factories.article(db, slug="gut-schlafen", title="Gut schlafen", language="de", translation_of=original)
    factories.article(db, slug="only-english", title="Only in English")
    root = ET.fromstring(bilingual.get("/sitemap.xml").content)
    entries = {
        entry.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href") for link in entry.findall(f"{XHTML}link")
        }
        for entry in root.findall(f"{SITEMAP}url")
    }
    # An article is listed in its own language, with its translations as alternates.
    article = {"en": f"{BASE}/en/articles/sleep-well", "de": f"{BASE}/de/articles/gut-schlafen"}
    assert entries[article["en"]] == entries[article["de"]] == article
    assert entries[f"{BASE}/en/articles/only-english"] == {}
    assert not any("/de/articles/sleep-well" in loc or "/en/articles/gut" in loc for loc in entries)
    # Pages of every language are listed in each, with all of them and x-default.
    home = {"en": f"{BASE}/en/", "de": f"{BASE}/de/", "x-default": f"{BASE}/"}
    assert entries[home["en"]] == entries[home["de"]] == home
    assert f"{BASE}/de/tags/sleep" in entries


def test_each_language_has_its_feed_with_its_own_links(bilingual: TestClient, db: Session) -> None:
    factories.article(db, slug="sleep-well", title="Sleep well", tags=["Sleep"])
    factories.article(db, slug="gut-schlafen", title="Gut schlafen", tags=["Sleep"], language="de")
    german = ET.fromstring(bilingual.get("/de/feed.xml").content)
    assert german.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    links = {
        (link.get("rel"), link.get("hreflang")): link.get("href") for link in german.findall(f"{ATOM}link")
    }
    assert links[("self", None)] == f"{BASE}/de/feed.xml"
    assert links[("alternate", None)] == f"{BASE}/de/"
    assert links[("alternate", "en")] == f"{BASE}/en/feed.xml"
    entry = german.find(f"{ATOM}entry")
    assert entry is not None
    # Each language's feed lists the articles written in it.
    assert entry.find(f"{ATOM}link").get("href") == f"{BASE}/de/articles/gut-schlafen"  # type: ignore[union-attr]
    assert len(german.findall(f"{ATOM}entry")) == 1
    english = ET.fromstring(bilingual.get("/en/feed.xml").content)
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert english.findtext(f"{ATOM}id") == f"{BASE}/en/feed.xml"


def test_robots_keep_crawlers_out_of_private_pages_in_every_language(bilingual: TestClient) -> None:
    lines = bilingual.get("/robots.txt").text.splitlines()
    for rule in ("Disallow: /admin", "Disallow: /de/admin", "Disallow: /en/account", "Disallow: /de/search"):
        assert rule in lines
    assert "Disallow: /language/" in lines and "Disallow: /de/api/" not in lines


def mail_language(db: Session, to: str, message: str) -> str:
    """The language an email was written in, as its HTML says."""
    html = soup(mails(db, to, message)[-1].html_body)
    return str(html.html["lang"])  # type: ignore[index]


def test_an_applicant_keeps_the_language_of_the_form_for_their_emails(
    db: Session, bilingual_settings: Settings
) -> None:
    with i18n.using("de"):
        german = factories.applicant(db, bilingual_settings, state=RequestState.UNVERIFIED)
    with i18n.using("en"):
        english = factories.applicant(db, bilingual_settings, state=RequestState.UNVERIFIED)
    db.commit()
    assert (german.user.language, english.user.language) == ("de", "en")
    assert mail_language(db, german.user.email, "confirm_email") == "de"
    # The link to confirm opens the page in German too (the token itself is kept out of the copy).
    assert f"{BASE}/de/verify-email?token=" in mails(db, german.user.email, "confirm_email")[-1].text_body
    assert mail_language(db, english.user.email, "confirm_email") == "en"


def test_staff_get_the_language_of_the_page_they_were_created_on(
    db: Session, bilingual_settings: Settings
) -> None:
    with i18n.using("de"):
        reviewer = factories.staff(db, bilingual_settings, role=Role.REVIEWER)
    assert reviewer.language == "de"
    created = accounts_service.create_staff(
        db,
        bilingual_settings,
        email="cli@society.example",
        full_name="Cli",
        role=Role.ADMIN,
        actor=None,
        language="en",
    )
    assert created.language == "en"


def test_every_email_to_a_person_is_in_their_language_whatever_page_caused_it(
    db: Session, bilingual_settings: Settings
) -> None:
    request = factories.applicant(db, bilingual_settings, state=RequestState.PENDING)
    request.user.language = "de"
    db.commit()
    # A reviewer working on an English page decides: the applicant still reads German.
    with i18n.using("en"):
        reviewer = factories.staff(db, bilingual_settings, role=Role.REVIEWER)
        from app.access import service as access_service

        access_service.decide(
            db,
            bilingual_settings,
            request,
            reviewer=reviewer,
            outcome=RequestState.APPROVED,
            revision=request.revision,
        )
        db.commit()
    assert mail_language(db, request.user.email, "approved") == "de"


def test_the_reviewers_digest_is_in_each_reviewers_language(
    db: Session, bilingual_settings: Settings
) -> None:
    from app.jobs.access import send_review_digest

    german = factories.staff(db, bilingual_settings, role=Role.REVIEWER)
    english = factories.staff(db, bilingual_settings, role=Role.REVIEWER)
    german.language = "de"
    english.language = "en"
    factories.applicant(db, bilingual_settings, state=RequestState.PENDING)
    db.commit()
    later = datetime.now(UTC).replace(hour=23) + __import__("datetime").timedelta(days=3)
    with i18n.using("en"):
        assert send_review_digest(db, bilingual_settings, later) == 2
    assert mail_language(db, german.email, "review_digest") == "de"
    assert mail_language(db, english.email, "review_digest") == "en"
    # Its links lead to the pages in the reader's language.
    assert (
        f"{BASE}/de/admin/requests?status=pending" in mails(db, german.email, "review_digest")[-1].text_body
    )
    assert (
        f"{BASE}/en/admin/requests?status=pending" in mails(db, english.email, "review_digest")[-1].text_body
    )


def member(db: Session, settings: Settings, *, language: str) -> User:
    request = factories.applicant(db, settings, state=RequestState.PENDING)
    request.user.language = language
    db.commit()
    return request.user


def test_a_person_changes_their_language_on_the_account_page(
    bilingual: TestClient, db: Session, bilingual_settings: Settings
) -> None:
    person = member(db, bilingual_settings, language="en")
    login(bilingual, person.email, factories.PASSWORD)
    page = soup(bilingual.get("/en/account").text)
    options = {o["value"]: o for o in page.select("select#language option")}
    assert {code: (o["lang"], o.get_text()) for code, o in options.items()} == {
        "en": ("en", "English"),
        "de": ("de", "Deutsch"),
    }
    assert options["en"].has_attr("selected") and not options["de"].has_attr("selected")
    changed = submit(bilingual, "/en/account", {"language": "de"}, action="/en/account/language")
    assert (changed.status_code, changed.headers["location"]) == (303, "/de/account")
    assert changed.headers["set-cookie"].startswith("portal_language=de;")
    shown = bilingual.get("/de/account")
    assert "Ihre E-Mails und die Website erscheinen jetzt in dieser Sprache." in shown.text
    assert soup(shown.text).select_one("select#language option[selected]")["value"] == "de"  # type: ignore[index]
    db.expire_all()
    assert db.get(User, person.id).language == "de"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["fr", "", "de; drop table"])
def test_a_language_the_site_does_not_speak_is_refused_with_a_message(
    bilingual: TestClient, db: Session, bilingual_settings: Settings, value: str
) -> None:
    person = member(db, bilingual_settings, language="en")
    login(bilingual, person.email, factories.PASSWORD)
    refused = submit(bilingual, "/de/account", {"language": value}, action="/de/account/language")
    assert refused.status_code == 422
    error = soup(refused.text).select_one("#language-error")
    assert error is not None and error.get_text() == "Wählen Sie eine der Sprachen aus der Liste"
    db.expire_all()
    assert db.get(User, person.id).language == "en"  # type: ignore[union-attr]


def test_after_login_the_address_keeps_its_language_and_the_rest_follows_the_person(
    bilingual: TestClient, db: Session, bilingual_settings: Settings
) -> None:
    person = member(db, bilingual_settings, language="de")
    answer = submit(
        bilingual, "/en/login", {"email": person.email, "password": factories.PASSWORD}, action="/en/login"
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/en/")  # not sent to /de/
    assert "portal_language=de;" in answer.headers["set-cookie"]
    moved = bilingual.get("/articles", headers={"accept-language": "en"}, follow_redirects=False)
    assert moved.headers["location"] == "/de/articles"


def test_staff_choose_their_language_beside_their_password(
    bilingual: TestClient, db: Session, bilingual_settings: Settings
) -> None:
    with i18n.using("en"):
        editor = factories.staff(db, bilingual_settings, role=Role.EDITOR)
    login(bilingual, editor.email, factories.PASSWORD)
    refused = submit(bilingual, "/en/account/password", {"language": "xx"}, action="/en/account/language")
    assert refused.status_code == 422
    assert (
        soup(refused.text).select_one("#language-error").get_text()
        == "Choose one of the languages in the list"
    )  # type: ignore[union-attr]
    changed = submit(bilingual, "/en/account/password", {"language": "de"}, action="/en/account/language")
    assert changed.headers["location"] == "/de/account/password"
    db.expire_all()
    assert db.get(User, editor.id).language == "de"  # type: ignore[union-attr]


def test_a_readers_stored_pages_are_kept_per_language(
    app_with: Callable[..., FastAPI], settings: Settings, db: Session
) -> None:
    factories.article(db, title="Open words", slug="open-words")
    application = app_with(languages="en,de")
    physician = browser_for("physician", application, db, settings)
    german = [physician.get("/de/articles") for _ in range(3)]  # learn, build, hit
    english = physician.get("/en/articles")
    assert [page.headers.get("x-cache") for page in german][-1] == "hit"
    assert {soup(page.text).html["lang"] for page in german} == {"de"}  # type: ignore[index]
    assert soup(english.text).html["lang"] == "en"  # type: ignore[index]
    assert "Artikel" in soup(german[-1].text).h1.get_text()  # type: ignore[union-attr]
    physician.__exit__(None, None, None)
