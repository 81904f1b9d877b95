"""A clinician requests access and a reviewer approves it, in a real browser.

Two tests: the request up to the confirmed address, and the approval of a confirmed request (made
through the same service) up to the first professional article.
"""

from __future__ import annotations

from sqlalchemy import select

from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.core.policy import Profession
from app.demo import seed
from app.mail import service as mail_service
from app.mail.models import OutboxMessage
from tests import factories
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.factories import PASSWORD


def newest_link(settings: Settings, to: str, containing: str) -> str:
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        mail = db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id.desc())
        ).first()
    engine.dispose()
    assert mail is not None, f"no mail to {to}"
    text_body, _ = mail_service.bodies_to_send(mail)
    link = next(link for link in mail_service.links_in(text_body) if containing in link)
    return "/" + link.split("/", 3)[3]


def log_in(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_clinician_requests_access_and_confirms_the_address(
    browser, live_server: str, live_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    phone = browser.new_context(viewport=VIEWPORTS["phone"])
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    page.goto(live_server + "/request-access")
    assert page.locator("h1").inner_text() == "Request access for health professionals"
    assert_accessible(page)

    page.get_by_label("Full name").fill("Dr. Ana Browser")
    page.get_by_role("button", name="Send my request").click()
    assert page.locator(".error-summary").is_visible()
    # The person hears first that the form was refused, and where: the summary has the focus.
    page.wait_for_function("document.activeElement.matches('.error-summary')")
    assert page.title().startswith("Error: ")
    assert page.get_by_label("Full name").input_value() == "Dr. Ana Browser"
    snap(page, "request-errors-phone.png", full_page=True)
    assert_accessible(page)

    page.get_by_label("Email address").fill("ana@clinic.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Profession").select_option("therapist")
    page.get_by_label("Licence or registration number").fill("AT-TH-1001")
    page.get_by_label("Country that issued the licence").select_option("AT")
    page.get_by_label("Institution or practice").fill("Praxis Ana")
    page.get_by_label("Country of practice").select_option("AT")
    page.get_by_label("I accept the terms of use and the privacy notice.").check()
    page.get_by_role("button", name="Send my request").click()
    assert page.locator("h1").inner_text() == "Check your email"

    page.goto(live_server + newest_link(live_settings, "ana@clinic.example", "/verify-email"))
    assert "your email address is confirmed" in page.locator("h1").inner_text()
    phone.close()


def test_a_failed_login_puts_the_focus_on_what_went_wrong(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    log_in(page, live_server, "nobody@clinic.example", "not the password")
    page.wait_for_function("document.activeElement.matches('.error-summary')")
    assert page.title().startswith("Error: Log in")
    assert page.locator(".error-summary").inner_text() == "The email address or password is not correct."
    assert_accessible(page)
    page.close()


def test_a_reviewer_approves_a_request_and_the_clinician_reads_the_professional_part(
    browser, live_server: str, live_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(live_settings.database_url)
    with make_session_factory(engine)() as db:
        factories.applicant(
            db,
            live_settings,
            full_name="Dr. Ben Browser",
            email="ben@clinic.example",
            profession=Profession.THERAPIST,
            licence_number="AT-TH-1002",
            licence_country="AT",
            country="AT",
        )
    engine.dispose()
    desk = browser.new_context(viewport=VIEWPORTS["desktop"])
    desk.set_default_timeout(15_000)
    reviewer = desk.new_page()
    log_in(reviewer, live_server, seed.STAFF[1][0], seed.STAFF[1][3])
    reviewer.goto(live_server + "/admin/requests")
    assert_accessible(reviewer)
    reviewer.get_by_role("link", name="Dr. Ben Browser").click()
    assert reviewer.locator("h1").inner_text() == "Dr. Ben Browser"
    snap(reviewer, "review-request-desktop.png", full_page=True)
    assert_accessible(reviewer)
    reviewer.get_by_role("button", name="Approve").click()
    assert "The request of Dr. Ben Browser was approved" in reviewer.locator(".flash").inner_text()
    desk.close()

    reader = browser.new_context(viewport=VIEWPORTS["phone"])
    reader.set_default_timeout(15_000)
    page = reader.new_page()
    log_in(page, live_server, "ben@clinic.example", PASSWORD)
    assert "Approved" in page.locator(".status-card").inner_text()
    page.goto(live_server + "/articles/addressing-immunity-in-depression")
    assert page.locator(".prose .locked-panel").count() == 0
    snap(page, "article-professional-phone.png", full_page=True)
    assert_accessible(page)
    reader.close()
