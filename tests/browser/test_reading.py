"""A visitor reads the site in a real browser, on a phone and on a desktop."""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORTS, assert_accessible, snap


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_visitor_opens_the_home_page_and_follows_an_article(
    browser, live_server: str, viewport: str
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text().startswith("Health articles from the")
    assert page.locator(".card").count() >= 6
    snap(page, f"home-{viewport}.png", full_page=True)
    assert_accessible(page)

    page.get_by_role("link", name="Addressing immunity in depression").first.click()
    page.wait_for_url("**/articles/addressing-immunity-in-depression")
    assert page.locator("h1").inner_text() == "Addressing immunity in depression"
    assert page.locator(".references li").count() == 5
    assert page.locator(".prose .locked-panel").is_visible()
    figure = page.locator(".prose figure img")
    figure.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=figure.element_handle())
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], "the page scrolls sideways"
    snap(page, f"article-{viewport}.png", full_page=True)
    assert_accessible(page)
    context.close()


def test_citations_jump_to_their_reference_and_back(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(live_server + "/articles/addressing-immunity-in-depression")
    page.locator("sup.citation a").first.click()
    assert page.url.endswith("#ref-1")
    assert page.locator("#ref-1").is_visible()
    page.locator("#ref-1 a.backlink").first.click()
    assert page.url.endswith("#cite-1-1")
    page.close()


def test_the_not_found_page_is_accessible(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    response = page.goto(live_server + "/articles/does-not-exist")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    snap(page, "not-found-desktop.png", full_page=True)
    assert_accessible(page)
    page.close()
