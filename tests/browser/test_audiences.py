"""Four people open the same article: each sees what the access rule allows, and no more."""

from __future__ import annotations

import pytest

from app.demo import seed
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap

ARTICLE = "/articles/preparing-for-a-medicines-review"
GATED_TEXT = "Points to discuss with colleagues"
PEOPLE = {
    "visitor": (None, "Log in"),
    "pending": ("pending1@portico.example", "Your request is pending"),
    "therapist": ("therapist@portico.example", "your professional access does not include it"),
    "physician": ("physician@portico.example", None),
}


@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_sees_what_their_access_allows(browser, live_server: str, person: str) -> None:  # type: ignore[no-untyped-def]
    email, panel_text = PEOPLE[person]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    if email:
        page.goto(live_server + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(seed.APPLICANT_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/account")
    page.goto(live_server + ARTICLE)
    body = page.locator(".prose")
    if panel_text:
        assert GATED_TEXT not in page.content()
        assert panel_text in body.locator(".locked-panel").inner_text()
    else:
        assert GATED_TEXT in body.inner_text()
        assert body.locator(".locked-panel").count() == 0
        # The part they may read is a region named by its visible label.
        box = body.get_by_role("region", name="For prescribers")
        assert GATED_TEXT in box.inner_text() and box.locator(".gated__label").is_visible()
    snap(page.locator(".prose"), f"article-as-{person}.png")
    assert_accessible(page)
    context.close()


def test_a_visitor_finds_what_the_professional_area_holds_and_how_to_join(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_role("button", name="Menu").click()  # on a phone, the navigation is in the menu
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Professional area").click()
    page.wait_for_url("**/professional")
    assert page.locator("h1").inner_text() == "For health professionals"
    holds = page.get_by_role("region", name="What the area holds")
    assert "Preparing for a medicines review" in holds.inner_text()
    assert GATED_TEXT not in page.content()
    snap(page, "professional-area-visitor-phone.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("link", name="Request access").last.click()
    page.wait_for_url("**/request-access")
    context.close()
