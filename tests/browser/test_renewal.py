"""A professional whose access has run out renews it in a real browser."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.access.models import AccessRequest, RequestState
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from tests import factories
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap


def test_an_expired_professional_renews_with_unchanged_details(
    browser, live_server: str, live_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(live_settings.database_url)
    with make_session_factory(engine)() as db:
        email = factories.applicant(
            db, live_settings, state=RequestState.APPROVED, email="renew@clinic.example"
        ).user.email
    engine.dispose()
    # The live server runs in this process, so moving the application clock moves its time too.
    with clock.travel(timedelta(days=live_settings.access_valid_days + 1)):
        context = browser.new_context(viewport=VIEWPORTS["phone"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/account**")
        assert page.locator("#renew-heading").is_visible()
        snap(page, "renewal-phone.png", full_page=True)
        assert_accessible(page)
        page.get_by_label("I confirm that these details are correct and current").check()
        page.get_by_role("button", name="Renew my access").click()
        assert "Approved" in page.locator(".status-card").inner_text()
        assert page.locator("#renew-heading").count() == 0
        assert_accessible(page)
        context.close()


def test_a_renewal_years_after_the_last_review_goes_to_a_reviewer_with_a_proof(
    browser, live_server: str, live_settings: Settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(live_settings.database_url)
    with make_session_factory(engine)() as db:
        request = factories.applicant(
            db, live_settings, state=RequestState.APPROVED, email="years@clinic.example"
        )
        request_id, user_id = request.id, request.user_id
    proof = tmp_path / "licence.pdf"
    proof.write_bytes(b"%PDF-1.7\n%%EOF\n")
    with clock.travel(timedelta(days=366 * live_settings.renewal_review_years)):
        context = browser.new_context(viewport=VIEWPORTS["phone"])
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("Email address").fill("years@clinic.example")
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/account**")
        assert "a reviewer looks at this renewal first" in page.locator("#renew-heading + p").inner_text()
        page.get_by_label("Current proof of your licence").set_input_files(proof)
        page.get_by_label("I confirm that these details are correct and current").check()
        page.get_by_role("button", name="Renew my access").click()
        assert "Your renewal is with the reviewers" in page.locator(".flash").inner_text()
        assert "Pending review" in page.locator(".status-card").inner_text()
        assert_accessible(page)
        context.close()
    with make_session_factory(engine)() as db:
        query = select(AccessRequest).where(AccessRequest.user_id == user_id, AccessRequest.id != request_id)
        renewed = db.scalars(query).one()
        assert (renewed.state, renewed.document_name) == (RequestState.PENDING, "licence.pdf")
    engine.dispose()
