"""A reviewer works through the queue with the keyboard alone, in a browser."""

from __future__ import annotations

import re
from datetime import timedelta

from app.access.models import AccessRequest, RequestState
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory, utcnow
from app.demo import seed
from tests import factories
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.browser.test_access import log_in

NAMES = ["Dr. Key One", "Dr. Key Two", "Dr. Key Three", "Dr. Key Four"]


def oldest_in_the_queue(settings: Settings) -> list[int]:
    """Four clean requests that have waited longer than any other in the demo queue."""
    engine = make_engine(settings.database_url)
    ids = []
    with make_session_factory(engine)() as db:
        for days, name in zip((4000, 3999, 3998, 3997), NAMES, strict=True):
            request = factories.applicant(db, settings, full_name=name)
            request.submitted_at = utcnow() - timedelta(days=days)
            db.commit()
            ids.append(request.id)
    engine.dispose()
    return ids


def at(request_id: int) -> re.Pattern[str]:
    """The request's page, as a link opens it or as a decision lands on it (at its content)."""
    return re.compile(rf"/admin/requests/{request_id}(#main)?$")


def stored(settings: Settings, ids: list[int]) -> list[tuple[RequestState, str]]:
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        found = [db.get(AccessRequest, number) for number in ids]
        states = [(item.state, item.decision_reason) for item in found if item is not None]
    engine.dispose()
    return states


def test_a_reviewer_decides_requests_with_the_keyboard(  # type: ignore[no-untyped-def]
    browser, live_server: str, live_settings: Settings
) -> None:
    ids = oldest_in_the_queue(live_settings)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, seed.STAFF[1][0], seed.STAFF[1][3])
    page.goto(live_server + "/admin/requests?checks=clean")  # axe checks the queue at a phone's width below

    page.keyboard.press("n")  # the oldest waiting request
    page.wait_for_url(at(ids[0]))
    assert_accessible(page)
    snap(page, "review-keys-desktop.png", full_page=True)
    page.keyboard.press("a")
    page.wait_for_url(at(ids[1]))
    assert "The request of Dr. Key One was approved" in page.locator(".flash").inner_text()
    page.keyboard.press("a")
    page.wait_for_url(at(ids[2]))
    page.keyboard.press("j")  # skipped for now
    page.wait_for_url(at(ids[3]))
    page.keyboard.press("a")
    page.wait_for_url(re.compile(r"/admin/requests/\d+#main$"))
    page.keyboard.press("k")  # back to the one skipped
    page.wait_for_url(at(ids[2]))

    # R puts the cursor in the reason; typing there (letters a, j, k included) fires no shortcut.
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("A licence from a jurisdiction we cannot check, kindly ask again.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Reject"
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: f"/admin/requests/{ids[2]}" not in url)

    # On a phone the queue keeps who is waiting, their checks and how long they have waited.
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(live_server + "/admin/requests")
    headers = page.locator("thead th")
    visible = [headers.nth(n).inner_text() for n in range(headers.count()) if headers.nth(n).is_visible()]
    assert visible == ["Select", "Applicant", "Waiting", "Checks"]
    assert_accessible(page)
    snap(page, "review-queue-phone.png", full_page=True)

    assert stored(live_settings, ids) == [
        (RequestState.APPROVED, ""),
        (RequestState.APPROVED, ""),
        (RequestState.REJECTED, "A licence from a jurisdiction we cannot check, kindly ask again."),
        (RequestState.APPROVED, ""),
    ]
    context.close()
