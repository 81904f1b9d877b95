"""An editor uploads an image, writes an article around it, previews, schedules and publishes it,
and a visitor reads the public part: in a real browser, with the keyboard where it matters.

Three tests of a few pages each, rather than one walk through all of them: the article is written
around an image put in the library directly, and scheduled from a form written for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.core.text import slugify
from app.demo import seed
from app.media import service as media_service
from tests.browser.conftest import VIEWPORTS, assert_accessible, snap
from tests.browser.test_access import log_in

EDITOR = seed.STAFF[2]
TITLE = "Night shifts: sleeping in daylight, a walk-through"
SLUG = "night-shifts-sleeping-in-daylight-a-walk-through"
ALT = "A dark bedroom with blackout blinds at noon"
CAPTION = "Blackout blinds help day sleepers."
PUBLIC_TEXT = "Keep the bedroom dark and cool when you sleep after a night shift."
GATED_TEXT = "Consider low-dose melatonin timed to the planned sleep start."
CLOSING_TEXT = "Ask your doctor before changing any medicine."
BODY = f"{PUBLIC_TEXT}\n\n::: professional\n{GATED_TEXT}\n:::\n\n{CLOSING_TEXT}\n\n"
FILE_NAME = "blackout-blinds.png"


def small_png(folder: Path) -> Path:
    """A 48 x 32 picture of its own (the library keeps one copy of the same content)."""
    path = folder / FILE_NAME
    image = Image.new("RGB", (48, 32), (23, 41, 67))
    for x in range(48):
        image.putpixel((x, 16), (250, 200, x * 5))
    image.save(path)
    return path


def shoot(page, name: str, *, phone: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Whole-page pictures at desktop and (unless asked not to) phone width, where axe looks again."""
    snap(page, f"{name}-desktop.png", full_page=True)
    if phone:
        page.set_viewport_size(VIEWPORTS["phone"])
        snap(page, f"{name}-phone.png", full_page=True)
        assert_accessible(page)
        page.set_viewport_size(VIEWPORTS["desktop"])


def focus_is_visible(page) -> bool:  # type: ignore[no-untyped-def]
    """The focused element matches :focus-visible and draws an outline there."""
    return bool(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              const style = getComputedStyle(el);
              return el.matches(':focus-visible') && style.outlineStyle !== 'none'
                && parseFloat(style.outlineWidth) >= 2;
            }"""
        )
    )


def image_loaded(image) -> bool:  # type: ignore[no-untyped-def]
    image.scroll_into_view_if_needed()
    # A busy machine may still be fetching it: wait for the image to load or fail, then judge.
    return bool(
        image.evaluate(
            """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
                img.addEventListener("load", () => done(img.naturalWidth > 0));
                img.addEventListener("error", () => done(false));
            })"""
        )
    )


def upload_image(page, base: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/admin/media")
    assert page.locator("h1").inner_text() == "Media library"
    assert_accessible(page)
    shoot(page, "editor-walk-01-media-library")
    page.get_by_role("link", name="Upload a file").click()
    assert page.locator("h1").inner_text() == "Upload a file"
    assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(small_png(tmp_path))
    page.get_by_label("Text alternative").fill(ALT)
    page.get_by_label("Caption").fill(CAPTION)
    shoot(page, "editor-walk-02-upload-form")
    # Submit with the keyboard: from the caption, Tab reaches the button, Enter presses it.
    page.get_by_label("Caption").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Upload"
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/media/\d+$"))
    assert f"{FILE_NAME} is in the library." in page.locator(".flash").inner_text()
    assert image_loaded(page.locator(".media-preview img"))

    page.get_by_role("link", name="Media library").first.click()
    row = page.locator("tr", has=page.get_by_role("link", name=FILE_NAME))
    assert ALT in row.inner_text()
    assert image_loaded(row.locator("img.media-thumb"))
    shoot(page, "editor-walk-03-library-with-upload", phone=False)


def editor_page(browser, base: str):  # type: ignore[no-untyped-def]
    """A logged-in editor's page in a desktop browser of its own."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, base, EDITOR[0], EDITOR[3])
    page.wait_for_url("**/admin")
    return page


def fill_details(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Summary", exact=True).fill("How to sleep well in the daytime after working at night.")
    page.get_by_label("Category (optional)", exact=True).select_option(label="Healthy lifestyle")
    page.get_by_label("Tags (optional)", exact=True).fill("sleep, shift work")


def write_article(page, base: str, markdown: str) -> None:  # type: ignore[no-untyped-def]
    """Write the article, inserting the newest file of the library (`markdown`) with the keyboard."""
    page.goto(base + "/admin/articles")
    page.get_by_role("link", name="Write a new article").click()
    assert page.locator("h1").inner_text() == "New article"
    page.get_by_label("Title", exact=True).press_sequentially(TITLE)
    assert page.get_by_label("Address (slug) (optional)", exact=True).input_value() == SLUG
    fill_details(page)
    body = page.get_by_label("Body (Markdown)")
    body.fill(BODY)
    body.press("ControlOrMeta+End")
    # The newest file is listed first: Tab from the body reaches its Insert button, Enter presses it.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('data-insert') || ''")
    assert focused == markdown
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "body"
    # Its own paragraph, so that it shows as a figure with its caption.
    assert body.input_value() == BODY + markdown + "\n\n"
    assert_accessible(page)
    shoot(page, "editor-walk-04-new-article")


def live_preview(page) -> None:  # type: ignore[no-untyped-def]
    """The preview beside the body follows typing, the reader chosen, and a citation put in."""
    live = page.locator("#live-preview")
    pane = live.locator(".preview-pane")
    expect(pane).to_contain_text(CLOSING_TEXT)
    assert pane.locator("h3").inner_text() == "What a visitor sees"
    assert PUBLIC_TEXT in pane.inner_text() and GATED_TEXT not in pane.inner_text()
    assert pane.locator(".locked-panel").count() == 1
    assert image_loaded(pane.get_by_role("img", name=ALT))
    page.get_by_label("Preview for", exact=True).select_option(label="Pharmacists")
    expect(pane).to_contain_text(GATED_TEXT)
    assert pane.locator("h3").inner_text() == "What pharmacists see"
    assert pane.locator(".locked-panel").count() == 0
    # The preview marks the gated part as the page does: a box named by its audience.
    assert GATED_TEXT in pane.get_by_role("region", name="For health professionals").inner_text()
    # A reference's citation goes where the cursor is, and the preview numbers and lists it.
    page.get_by_label("Reference 1: Key").fill("walker")
    page.get_by_label("Reference 1: Authors").fill("Walker M")
    page.get_by_label("Reference 1: Title").fill("Why we sleep")
    body = page.get_by_label("Body (Markdown)")
    body.evaluate("(el, at) => { el.focus(); el.setSelectionRange(at, at); }", len(PUBLIC_TEXT))
    page.get_by_role("button", name="Insert citation").first.click()
    assert body.input_value().startswith(f"{PUBLIC_TEXT}[^walker]\n\n::: professional")
    assert page.evaluate("document.activeElement.id") == "body"
    expect(live.locator(".references li")).to_contain_text("Walker M. Why we sleep.")
    assert live.locator(".live-preview__problems").count() == 0
    # Deep in the body, the save buttons and the preview beside it are still in view.
    body.evaluate("el => { el.setSelectionRange(el.value.length, el.value.length); el.scrollIntoView(); }")
    in_view = (
        "el => { const box = el.getBoundingClientRect(); return box.top >= 0 && box.bottom <= innerHeight; }"
    )
    assert page.locator(".editor__actions").evaluate(in_view)
    assert live.evaluate(in_view)
    assert_accessible(page)
    shoot(page, "editor-walk-05-live-preview")


def schedule(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Publish time (Europe/Berlin) (optional)").fill("2035-06-01T11:30")
    # Submit with the keyboard: focus the Schedule button and press Enter.
    page.get_by_role("button", name="Schedule for the publish time").focus()
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/articles/\d+$"))
    assert "Saved and scheduled." in page.locator(".flash").inner_text()
    assert page.get_by_label("Address (slug) (optional)", exact=True).input_value() == SLUG

    page.goto(base + "/admin/articles?q=" + SLUG)
    row = page.locator("tbody tr", has=page.get_by_role("link", name=TITLE))
    assert row.locator(".state-label").inner_text().lower() == "scheduled"
    # Entered and listed in the society's zone (Europe/Berlin), stored as UTC.
    assert "1 June 2035, 11:30" in row.inner_text()
    assert_accessible(page)
    shoot(page, "editor-walk-06-list-scheduled")


def publish(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("tbody").get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Publish now").click()
    assert "Saved and published." in page.locator(".flash").inner_text()
    assert page.locator(".editor-status .state-label").inner_text().lower() == "published"
    page.get_by_role("link", name="Revisions").click()
    assert page.locator("h1").inner_text() == f"Revisions of “{TITLE}”"
    assert "2 revisions" in page.locator("caption").inner_text()
    assert_accessible(page)
    shoot(page, "editor-walk-07-revisions", phone=False)


def read_as_visitor(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/articles/{SLUG}")
    assert page.locator("h1").inner_text() == TITLE
    prose = page.locator(".prose")
    assert PUBLIC_TEXT in prose.inner_text()
    assert CLOSING_TEXT in prose.inner_text()
    assert GATED_TEXT not in page.content()
    assert prose.locator(".locked-panel").count() == 1
    assert image_loaded(prose.get_by_role("img", name=ALT))
    assert CAPTION in prose.inner_text()
    snap(page, "editor-walk-08-public-article-phone.png", full_page=True)
    assert_accessible(page)


def test_an_editor_uploads_an_image_with_the_keyboard(browser, live_server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = editor_page(browser, live_server)
    upload_image(page, live_server, tmp_path)
    page.context.close()


def test_an_editor_writes_an_article_around_an_image_and_previews_it(
    browser, live_server: str, live_settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    markdown = stored_image(live_settings, tmp_path, "night-window.png", alt=ALT, caption=CAPTION)
    page = editor_page(browser, live_server)
    write_article(page, live_server, markdown)
    live_preview(page)
    page.context.close()


def test_a_scheduled_article_is_hidden_until_published_then_a_visitor_reads_it(
    browser, live_server: str, live_settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    markdown = stored_image(live_settings, tmp_path, "daylight-bedroom.png", alt=ALT, caption=CAPTION)
    page = editor_page(browser, live_server)
    page.goto(live_server + "/admin/articles/new")
    page.get_by_label("Title", exact=True).fill(TITLE)
    fill_details(page)
    page.get_by_label("Body (Markdown)").fill(BODY + markdown + "\n\n")
    schedule(page, live_server)
    # A visitor, in a browser of their own, finds nothing at the address before the publish time.
    visitor = browser.new_context(viewport=VIEWPORTS["phone"])
    visitor.set_default_timeout(15_000)
    reader = visitor.new_page()
    assert reader.goto(f"{live_server}/articles/{SLUG}").status == 404
    assert TITLE not in reader.content()

    publish(page)
    page.context.close()
    read_as_visitor(reader, live_server)
    visitor.close()


@pytest.mark.parametrize(
    "title",
    ["Schlaf & Stimmung – Über Nachtschichten", "  COVID-19: what’s new?  ", "Ça va? Café, crème…"],
)
def test_the_suggested_address_is_the_one_saving_would_make(
    browser,
    live_server: str,
    title: str,
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, EDITOR[0], EDITOR[3])
    page.goto(live_server + "/admin/articles/new")
    slug = page.get_by_label("Address (slug) (optional)", exact=True)
    page.get_by_label("Title", exact=True).press_sequentially(title)
    assert slug.input_value() == slugify(title)
    # An address typed by hand is the editor's choice: the title no longer changes it.
    slug.fill("my-own-address")
    page.get_by_label("Title", exact=True).press_sequentially(" again")
    assert slug.input_value() == "my-own-address"
    context.close()


def stored_image(
    settings: Settings, folder: Path, name: str = "sunrise.png", *, alt: str = "A sunrise", caption: str = ""
) -> str:
    """An image of its own in the library, put there directly; return the Markdown that shows it."""
    path = folder / name
    Image.new("RGB", (20, 10), (240, 180, 60)).save(path)
    # Pixels from the name: the library keeps one copy of the same content.
    with Image.open(path) as image:
        for x, byte in enumerate(name.encode()[:20]):
            image.putpixel((x, 5), (byte, byte, byte))
        image.save(path)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as db:
        media = media_service.store_file(db, path, settings.media_dir, alt=alt)
        media.caption = caption
        markdown = media_service.markdown_for(media)
        db.commit()
    engine.dispose()
    return markdown


def test_insert_puts_a_file_on_a_paragraph_of_its_own(
    browser, live_server: str, live_settings: Settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    markdown = stored_image(live_settings, tmp_path)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, live_server, EDITOR[0], EDITOR[3])
    page.goto(live_server + "/admin/articles/new")
    body = page.get_by_label("Body (Markdown)")
    insert = page.locator(f"[data-insert='{markdown}']")

    # The page comes back from a save with the body filled, and nobody has put the cursor in
    # it since: the file goes at the end, not before the first word.
    page.get_by_label("Title", exact=True).fill("Insert test")
    page.get_by_label("Summary", exact=True).fill("Where an inserted file goes.")
    body.fill("First words.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r"/admin/articles/\d+$"))
    insert.click()
    assert body.input_value() == f"First words.\n\n{markdown}\n\n"

    # In the middle of a paragraph: the paragraph is split around it.
    body.fill("One line.\nNext line.")
    body.evaluate("el => el.setSelectionRange(9, 9)")
    insert.click()
    assert body.input_value() == f"One line.\n\n{markdown}\n\nNext line."
    context.close()
