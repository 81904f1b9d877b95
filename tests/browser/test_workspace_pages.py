"""The pages around the staff workspace, as the people who use them see them: a visitor writes to
the society, an applicant considers withdrawing, a reviewer and an editor start their day."""

from __future__ import annotations

from app.core.config import Settings
from app.demo import seed
from app.demo.seed import APPLICANT_PASSWORD
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.browser.test_access import log_in


def test_a_visitor_writes_to_the_society(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server + "/")
    # On a phone the navigation is behind the menu button.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Contact", exact=True).first.click()
    assert page.locator("h1").inner_text() == "Contact the society"
    page.get_by_label("Your name").fill("Vera Visitor")
    page.get_by_label("Your email address").fill("vera@example.org")
    page.get_by_label("Subject").fill("Night shifts")
    page.get_by_label("Your message").fill("Do you have advice for nurses on night shifts?")
    page.get_by_role("button", name="Send the message").click()
    # Without the consent: told why, with everything typed kept.
    assert "agree that we store your message" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Your message").input_value() == "Do you have advice for nurses on night shifts?"
    snap(page, "contact-errors-phone.png", full_page=True)
    assert_accessible(page)
    page.get_by_label("I agree that the society stores my message").check()
    page.get_by_role("button", name="Send the message").click()
    assert page.locator("h1").inner_text() == "Thank you for your message"
    snap(page, "contact-sent-phone.png", full_page=True)
    assert_accessible(page)
    context.close()


def test_an_applicant_is_asked_once_more_before_withdrawing(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, "pending3@portico.example", APPLICANT_PASSWORD)
    page.goto(live_server + "/account")
    confirm = page.get_by_role("button", name="Yes, withdraw my request")
    assert not confirm.is_visible()
    page.locator("details.confirm summary").focus()
    page.keyboard.press("Enter")
    assert confirm.is_visible()
    snap(page, "account-withdraw-confirm-phone.png", full_page=True)
    assert_accessible(page)
    context.close()  # not withdrawn: the demo applicant stays pending


def test_a_reviewer_and_an_editor_start_on_the_dashboard(
    browser, live_server: str, live_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, seed.STAFF[1][0], seed.STAFF[1][3])
    page.wait_for_url("**/admin")
    headings = page.locator(".dashboard__panel h2").all_inner_texts()
    assert headings == ["Review queue", "Messages", "Email delivery"]
    snap(page, "dashboard-reviewer-desktop.png", full_page=True)
    assert_accessible(page)
    for link, heading, name in [
        ("People", "People", "people-desktop.png"),
        ("Messages", "Messages", "messages-desktop.png"),
    ]:
        page.locator(".admin-nav").get_by_role("link", name=link).click()
        assert page.locator("h1").inner_text() == heading
        snap(page, name, full_page=True)
        assert_accessible(page)
    page.locator("tbody a").first.click()
    assert page.get_by_role("button", name="Send the reply").count() == 1
    snap(page, "message-desktop.png", full_page=True)
    assert_accessible(page)
    # A request's history reads as sentences, in the workspace.
    page.locator(".admin-nav").get_by_role("link", name="Access requests").click()
    page.locator("tbody a").first.click()
    assert "confirmed their email address" in page.locator(".timeline").inner_text()
    snap(page, "request-desktop.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Log out").click()

    log_in(page, live_server, seed.STAFF[2][0], seed.STAFF[2][3])
    page.wait_for_url("**/admin")
    assert page.locator(".dashboard__panel h2").all_inner_texts() == ["Articles", "Messages"]
    assert page.locator(".admin-nav").get_by_role("link", name="People").count() == 0
    snap(page, "dashboard-editor-desktop.png", full_page=True)
    assert_accessible(page)
    context.close()
