"""A reviewer who approves a request whose licence check failed is asked to confirm, in a browser."""

from __future__ import annotations

from app.demo import seed
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.browser.test_access import log_in


def test_a_reviewer_is_asked_to_confirm_an_approval_against_a_failed_check(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, seed.STAFF[1][0], seed.STAFF[1][3])
    page.goto(live_server + "/admin/requests")
    page.get_by_role("link", name="Dr. Pat Pending (demo)").click()
    page.get_by_role("button", name="Approve", exact=True).click()

    # The page comes back scrolled to the confirmation, not to its top (waits until it has).
    page.wait_for_function(
        "() => { const top = document.getElementById('override').getBoundingClientRect().top;"
        " return top > -1 && top < innerHeight; }"
    )
    alert = page.get_by_role("alert")
    assert "This request failed 1 check." in alert.inner_text()
    assert "Licence number not valid: Not a valid EFN" in alert.inner_text()
    assert page.get_by_role("button", name="Approve despite: Licence number not valid").is_visible()
    snap(page, "review-override-phone.png", full_page=True)
    assert_accessible(page)
    context.close()  # not confirmed: the demo applicant stays pending
