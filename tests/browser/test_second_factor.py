"""An admin sets up two-step login in a real browser, then logs in with a code."""

from __future__ import annotations

from datetime import timedelta

from app.accounts import service as accounts_service
from app.accounts import totp
from app.accounts.models import Role
from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory, utcnow
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.browser.test_access import log_in
from tests.factories import PASSWORD

EMAIL = "second-factor-admin@society.example"


def new_admin(settings: Settings) -> None:
    """An admin of their own, so the demo admin other tests use keeps logging in with a password."""
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        accounts_service.create_staff(
            db,
            settings,
            email=EMAIL,
            full_name="Sofia Second",
            role=Role.ADMIN,
            actor=None,
            password=PASSWORD,
        )
        db.commit()
    engine.dispose()


def test_an_admin_sets_up_two_step_login_and_then_needs_a_code(
    browser, live_server: str, live_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    new_admin(live_settings)
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)
    page.wait_for_url("**/account/two-factor")
    assert page.locator("h1").inner_text() == "Set up two-step login"
    assert page.locator(".two-factor__qr svg").is_visible()
    snap(page, "two-factor-setup-phone.png", full_page=True)
    assert_accessible(page)

    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(totp.code_at(secret, utcnow()))
    page.get_by_role("button", name="Turn on two-step login").click()
    assert page.locator("h1").inner_text() == "Save your recovery codes"
    assert page.locator(".two-factor__codes li").count() == 10
    snap(page, "two-factor-codes-phone.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved them: go to the staff area").click()
    page.wait_for_url("**/admin")
    page.get_by_role("button", name="Log out").click()  # in the staff workspace's own header

    log_in(page, live_server, EMAIL, PASSWORD)
    page.wait_for_url("**/login/two-factor")
    assert_accessible(page)
    # The next code the app shows: the one just used to set it up is spent.
    with clock.travel(timedelta(seconds=totp.STEP_SECONDS)):
        page.get_by_label("Code from your app").fill(totp.code_at(secret, utcnow()))
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url("**/admin")
    assert page.locator("h1").inner_text() == "Staff dashboard"
    context.close()
