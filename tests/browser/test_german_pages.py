"""axe in German: each kind of page the English tests check, once, on the German pages of the same
demo site (a visitor, a physician reading a gated article, an editor on a staff page)."""

from __future__ import annotations

from app.demo import seed
from tests.browser.conftest import VIEWPORTS, assert_accessible

PHYSICIAN = "physician@portico.example"
EDITOR = seed.STAFF[2]


def log_in_german(page, base: str, email: str, password: str, landing: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/de/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/de/{landing}")


def check(page, url: str, heading: str = "") -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "de", url
    if heading:
        assert page.locator("h1").inner_text() == heading
    assert_accessible(page)


def test_german_pages_have_no_accessibility_violations(browser, bilingual_server: str) -> None:  # type: ignore[no-untyped-def]
    base = bilingual_server
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="de-DE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    check(page, base + "/de/")
    check(page, base + "/de/articles/depression-und-immunsystem", "Depression und Immunsystem")
    check(page, base + "/de/request-access")
    check(page, base + "/de/login")
    # The English switch link names its language in English, and says so.
    assert page.locator(".language-switch a[hreflang=en]").get_attribute("lang") == "en"
    # No German article says "sleep": the English ones that do are offered, marked as English.
    check(page, base + "/de/search?q=sleep")
    found = page.locator(".search-result .card__title")
    assert found.count() > 0
    assert {found.nth(n).get_attribute("lang") for n in range(found.count())} == {"en"}

    log_in_german(page, base, PHYSICIAN, seed.APPLICANT_PASSWORD, "account")
    assert_accessible(page)  # the account page
    check(page, base + "/de/articles/vorbereitet-zum-medikationscheck")
    assert page.locator(".prose .locked-panel").count() == 0
    context.clear_cookies()

    log_in_german(page, base, EDITOR[0], EDITOR[3], "admin")
    check(page, base + "/de/admin/categories/1")
    assert page.locator("#name").get_attribute("lang") == "en"
    context.close()
