"""Chromium enforces the site's policy: no page of ours loads in a frame, and none breaks its CSP."""

from __future__ import annotations

from app.demo import seed
from tests.browser.test_access import log_in

EDITOR = seed.STAFF[2]


def test_the_login_form_does_not_load_in_another_sites_frame(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    with page.expect_event("frameattached"):
        page.set_content(f'<iframe src="{live_server}/login" width="600" height="400"></iframe>')
    page.wait_for_load_state("load")
    [framed] = page.main_frame.child_frames
    assert framed.locator("input[name=password]").count() == 0
    assert any("frame-ancestors 'none'" in text for text in refused), refused
    page.close()


def test_pages_and_the_editor_script_run_without_a_policy_violation(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    context.set_default_timeout(15_000)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/", "/articles/addressing-immunity-in-depression", "/login"):
        response = page.goto(live_server + path)
        assert response is not None and "server" not in response.headers
    log_in(page, live_server, EDITOR[0], EDITOR[3])
    page.wait_for_url("**/admin")
    page.goto(live_server + "/admin/articles/new")
    page.get_by_label("Title", exact=True).press_sequentially("Sleep after night shifts")
    # The editor's script suggests the address from the title: it ran under the policy.
    slug = page.get_by_label("Address (slug) (optional)", exact=True)
    assert slug.input_value() == "sleep-after-night-shifts"
    assert [text for text in messages if "Content Security Policy" in text] == []
    context.close()
