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


def test_on_a_phone_the_header_folds_into_a_menu_and_the_article_fits(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server + "/articles/addressing-immunity-in-depression")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible() and not page.get_by_role("search").is_visible()
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 0.15 * 844, header
    # The contents are folded above the text; the infographic keeps its room and opens full size.
    assert page.locator(".toc details").evaluate("fold => fold.open") is False
    assert page.get_by_role("link", name="What depression is").is_hidden()
    figure = page.locator(".prose figure img")
    assert (figure.get_attribute("width"), figure.get_attribute("height")) == ("960", "600")
    assert page.locator(".prose figure a").get_attribute("href") == figure.get_attribute("src")
    snap(page, "article-menu-closed-phone.png")

    menu.click()
    assert menu.get_attribute("aria-expanded") == "true" and nav.is_visible()
    assert page.get_by_role("link", name="Articles").is_visible()
    snap(page, "article-menu-open-phone.png")
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert not nav.is_visible() and page.evaluate("document.activeElement.dataset.menuToggle") == ""
    context.close()


def test_without_scripts_a_phone_shows_the_whole_menu_and_the_contents(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/articles/addressing-immunity-in-depression")
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert page.locator(".menu-toggle").is_hidden()
    assert page.locator(".toc details").get_attribute("open") is not None
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
