"""The staff media library: uploads checked by content, described, previewed, and deleted with care."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleStatus
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.core.db import utcnow
from app.media.models import MediaFile, MediaUsage
from app.media.service import markdown_for, store_file, url_of
from app.publishing import service as article_service
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import page_text, soup
from tests.viewers import browser_for

UPLOAD = "/admin/media/upload"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PLAIN_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'
HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"
     onload="alert('load')">
  <script>alert('script')</script>
  <foreignObject width="10" height="10"><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>
  <a href="javascript:alert('link')"><circle r="2"/></a>
  <image href="https://evil.example/track.png" width="1" height="1"/>
  <use xlink:href="https://evil.example/sprite.svg#icon"/>
  <rect width="10" height="10" fill="teal" onclick="alert('click')" style="background:url(https://evil.example/x)"/>
</svg>"""


def image_bytes(kind: str, size: tuple[int, int] = (640, 480), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal" if mode == "RGB" else 1).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture
def editor(app: FastAPI, db: Session, settings: Settings) -> Iterator[TestClient]:
    client = browser_for("editor", app, db, settings)
    yield client
    client.__exit__(None, None, None)


def upload(
    client: TestClient, name: str, data: bytes, alt: str = "A chart", caption: str = "", ctype: str = ""
):  # type: ignore[no-untyped-def]
    files = {"file": (name, data, ctype or "application/octet-stream")}
    return submit(client, UPLOAD, {"alt": alt, "caption": caption}, files=files)


def stored(db: Session) -> list[MediaFile]:
    db.expire_all()
    return list(db.scalars(select(MediaFile).order_by(MediaFile.id)))


def files_on_disk(settings: Settings) -> list[Path]:
    return sorted(settings.media_dir.glob("*")) if settings.media_dir.exists() else []


def assert_nothing_stored(db: Session, settings: Settings) -> None:
    assert stored(db) == [] and files_on_disk(settings) == []


@pytest.mark.parametrize(
    ("kind", "data", "content_type", "thumbnail"),
    [
        ("png", image_bytes("PNG"), "image/png", True),
        ("jpeg", image_bytes("JPEG"), "image/jpeg", True),
        ("webp", image_bytes("WEBP"), "image/webp", True),
        ("svg", PLAIN_SVG, "image/svg+xml", False),
        ("pdf", PDF, "application/pdf", False),
    ],
)  # fmt: skip
def test_each_accepted_kind_is_recognised_by_its_content_and_stored(
    kind: str,
    data: bytes,
    content_type: str,
    thumbnail: bool,
    editor: TestClient,
    db: Session,
    settings: Settings,
) -> None:
    # A misleading name and browser type: the content decides.
    response = upload(editor, f"Figure One {kind}.txt", data, caption="Seen in 2026", ctype="text/plain")
    assert response.status_code == 303
    [media] = stored(db)
    assert media.content_type == content_type and media.caption == "Seen in 2026"
    assert media.filename == f"figure-one-{kind}.{ {'jpeg': 'jpg'}.get(kind, kind) }"
    assert Path(media.path).is_file() and media.uploaded_by_id is not None
    assert (media.width, media.height) == ((640, 480) if thumbnail else (None, None))
    assert (media.thumbnail_path is not None) == thumbnail
    page = editor.get(response.headers["location"])
    assert media.filename in page_text(page.text) and markdown_for(media) in page.text.replace("&#34;", '"')
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "media.uploaded"))
    assert event is not None and event.target_id == media.id


def test_a_renamed_file_is_refused_with_the_typed_values_kept(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    for name, data in [("chart.png", html), ("notes.jpg", b"just some text")]:
        response = upload(editor, name, data, alt="My alt", caption="My caption", ctype="image/png")
        assert response.status_code == 422
        page = soup(response.text)
        assert "This is not a PNG, JPEG, WebP, SVG or PDF file" in page_text(response.text)
        assert page.select_one("#alt")["value"] == "My alt"  # type: ignore[index]
        assert page.select_one("#caption").get_text() == "My caption"  # type: ignore[union-attr]
    assert_nothing_stored(db, settings)


def test_a_damaged_image_is_refused(editor: TestClient, db: Session, settings: Settings) -> None:
    response = upload(editor, "cut.png", image_bytes("PNG")[:200])
    assert response.status_code == 422 and "damaged or incomplete" in page_text(response.text)
    assert_nothing_stored(db, settings)


def test_an_svg_loses_scripts_handlers_and_outside_references(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    response = upload(editor, "diagram.svg", HOSTILE_SVG, alt="A diagram")
    assert response.status_code == 303
    page = page_text(editor.get(response.headers["location"]).text)
    assert "Removed from the SVG" in page and "<script>" in page and "the onload attribute" in page
    [media] = stored(db)
    served = editor.get(url_of(media)).content
    for bad in (b"script", b"onload", b"onclick", b"foreignObject", b"javascript", b"evil.example", b"url("):
        assert bad not in served, bad
    assert b'<rect width="10" height="10" fill="teal"' in served
    thumbnail = editor.get(f"/admin/media/{media.id}/thumbnail")
    assert thumbnail.content == served and "sandbox" in thumbnail.headers["content-security-policy"]


def test_an_svg_with_entities_is_refused(editor: TestClient, db: Session, settings: Settings) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    bomb += b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    response = upload(editor, "bomb.svg", bomb)
    assert response.status_code == 422 and "DOCTYPE" in page_text(response.text)
    assert_nothing_stored(db, settings)


def test_an_svg_nested_too_deeply_is_refused(editor: TestClient, db: Session, settings: Settings) -> None:
    deep = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 5000 + b"</g>" * 5000 + b"</svg>"
    response = upload(editor, "deep.svg", deep)
    assert response.status_code == 422 and "nests its elements too deeply" in page_text(response.text)
    assert_nothing_stored(db, settings)


def test_an_image_needs_a_text_alternative_but_a_pdf_does_not(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    response = upload(editor, "chart.png", image_bytes("PNG"), alt="", caption="Kept caption")
    assert response.status_code == 422
    assert "Describe the image for readers who cannot see it" in page_text(response.text)
    assert soup(response.text).select_one("#caption").get_text() == "Kept caption"  # type: ignore[union-attr]
    assert_nothing_stored(db, settings)
    assert upload(editor, "guide.pdf", PDF, alt="").status_code == 303


def test_a_file_over_the_size_limit_is_refused(editor: TestClient, db: Session, settings: Settings) -> None:
    # Past the body limit itself: the form cannot even be read.
    response = upload(editor, "huge.pdf", b"%PDF-" + b"0" * (settings.upload_max_bytes + 300_000))
    assert response.status_code == 413 and "larger than 10 MB" in page_text(response.text)
    # Under the body limit but over the file limit: the typed values stay.
    settings.upload_max_bytes = 2048
    response = upload(editor, "big.png", image_bytes("PNG", (400, 400), "RGB") + b"\0" * 4096, alt="Kept")
    assert response.status_code == 413 and "The file is larger than 2 KB" in page_text(response.text)
    assert soup(response.text).select_one("#alt")["value"] == "Kept"  # type: ignore[index]
    assert_nothing_stored(db, settings)


def test_an_image_with_too_many_pixels_is_refused_clearly(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    bomb = image_bytes("PNG", (8000, 7000), "1")  # 56 megapixels, a few kilobytes
    response = upload(editor, "bomb.png", bomb)
    assert response.status_code == 422
    assert "8000 × 7000 pixels" in page_text(response.text) and "Scale it down" in page_text(response.text)
    assert_nothing_stored(db, settings)


def test_the_same_file_twice_links_to_the_one_in_the_library(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    data = image_bytes("PNG")
    upload(editor, "first.png", data)
    response = upload(editor, "second.png", data, alt="Again")
    assert response.status_code == 422 and "already holds this file, as first.png" in page_text(response.text)
    [media] = stored(db)
    assert soup(response.text).find("a", href=f"/admin/media/{media.id}") is not None
    assert len(files_on_disk(settings)) == 2  # the first file and its thumbnail


def test_thumbnails_are_made_and_served_to_editors_only(
    app: FastAPI, editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "wide.jpg", image_bytes("JPEG", (1200, 600)))
    [media] = stored(db)
    response = editor.get(f"/admin/media/{media.id}/thumbnail")
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.content)).size == (320, 160)
    for kind, status in [("visitor", 303), ("physician", 403), ("reviewer", 403)]:
        client = browser_for(kind, app, db, settings)
        got = client.get(f"/admin/media/{media.id}/thumbnail", follow_redirects=False)
        client.__exit__(None, None, None)
        assert got.status_code == status and got.content != response.content, kind


def test_a_pdf_has_a_label_instead_of_a_thumbnail(editor: TestClient, db: Session) -> None:
    upload(editor, "guide.pdf", PDF, alt="")
    [media] = stored(db)
    assert editor.get(f"/admin/media/{media.id}/thumbnail").status_code == 404
    row = soup(editor.get("/admin/media").text).select_one("tbody tr")
    assert row is not None and "PDF" in row.get_text() and row.find("img") is None


def test_the_library_filters_by_kind_searches_and_pages(editor: TestClient, db: Session) -> None:
    assert "The library is empty" in page_text(editor.get("/admin/media").text)
    upload(editor, "guide.pdf", PDF, alt="")
    for number in range(12):
        upload(
            editor,
            f"chart-{number}.png",
            image_bytes("PNG", (10 + number, 10)),
            alt=f"Blood pressure {number}",
        )
    first = page_text(editor.get("/admin/media").text)  # 12 a page: page_size 4 in tests, times 3
    assert (
        "13 files" in first
        and "Page 1 of 2" in first
        and "chart-11.png" in first
        and "guide.pdf" not in first
    )
    assert "guide.pdf" in page_text(editor.get("/admin/media?page=2").text)
    pdfs = page_text(editor.get("/admin/media?kind=pdfs").text)
    assert "1 file matching" in pdfs and "guide.pdf" in pdfs and "chart-1.png" not in pdfs
    found = page_text(editor.get("/admin/media?q=pressure+3").text)
    assert "1 file matching" in found and "chart-3.png" in found
    assert "No file matches" in page_text(editor.get("/admin/media?q=100%25").text)


def test_an_editor_changes_the_text_alternative_and_caption(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "chart.png", image_bytes("PNG"), alt="Old alt")
    [media] = stored(db)
    page = f"/admin/media/{media.id}"
    response = submit(editor, page, {"alt": "Bars by year", "caption": 'The "best" year'})
    assert response.status_code == 303
    [media] = stored(db)
    assert (media.alt, media.caption) == ("Bars by year", 'The "best" year')
    assert markdown_for(media) == f'![Bars by year]({url_of(media)} "The \\"best\\" year")'
    refused = submit(editor, page, {"alt": "  ", "caption": "New caption"})
    assert refused.status_code == 422 and "An image needs its text alternative" in page_text(refused.text)
    assert soup(refused.text).select_one("#caption").get_text() == "New caption"  # type: ignore[union-attr]
    assert stored(db)[0].alt == "Bars by year"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "media.edited"))
    assert event is not None and "'Old alt' -> 'Bars by year'" in event.reason


def test_the_caption_becomes_the_figure_caption_in_an_article(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "chart.png", image_bytes("PNG"), alt="A chart", caption="Figure 1: by year")
    [media] = stored(db)
    factories.article(db, slug="with-figure", body=f"Text.\n\n{markdown_for(media)}\n")
    figure = soup(editor.get("/articles/with-figure").text).select_one("figure.figure")
    assert figure is not None and figure.figcaption is not None
    assert figure.figcaption.get_text() == "Figure 1: by year" and figure.img["alt"] == "A chart"  # type: ignore[index]


def test_deleting_a_used_file_asks_first_and_names_the_articles(
    editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "chart.png", image_bytes("PNG"))
    [media] = stored(db)
    article = factories.article(db, title="Sleep and mood", body=f"{markdown_for(media)}\n")
    paths = [Path(media.path), Path(str(media.thumbnail_path))]
    confirm_page = f"/admin/media/{media.id}/delete"
    text = page_text(editor.get(confirm_page).text)
    assert "1 article uses this file" in text and "Sleep and mood" in text and "will lose the image" in text
    assert soup(editor.get(confirm_page).text).find("a", href=f"/admin/articles/{article.id}") is not None
    # A post without the confirmation of the page deletes nothing and asks again.
    again = submit(editor, confirm_page, {}, action=confirm_page)
    assert again.status_code == 409 and "Please confirm again" in page_text(again.text)
    assert stored(db) and all(path.is_file() for path in paths)
    # The explicit confirmation, as the page sends it.
    response = submit(
        editor, confirm_page, {"confirm": "delete", "used_by": str(article.id)}, action=confirm_page
    )
    assert response.status_code == 303
    assert stored(db) == [] and not any(path.exists() for path in paths)
    assert db.scalars(select(MediaUsage)).all() == []
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "media.deleted"))
    assert event is not None and event.reason == f"chart.png; used by articles #{article.id}"


def test_a_confirmation_for_an_unused_file_does_not_delete_it_once_an_article_uses_it(
    editor: TestClient, db: Session
) -> None:
    upload(editor, "guide.pdf", PDF, alt="")
    [media] = stored(db)
    confirm_page = f"/admin/media/{media.id}/delete"
    assert "No article uses this file" in page_text(editor.get(confirm_page).text)
    token_page = editor.get(confirm_page).text
    factories.article(db, title="Medicines review", body=f"{markdown_for(media)}\n")
    token = soup(token_page).select_one('input[name="csrf_token"]')["value"]  # type: ignore[index]
    response = editor.post(confirm_page, data={"csrf_token": token, "confirm": "delete", "used_by": ""})
    assert response.status_code == 409 and "Medicines review" in page_text(response.text)
    assert len(stored(db)) == 1
    response = submit(editor, confirm_page, {"confirm": "delete", "used_by": ""}, action=confirm_page)
    assert response.status_code == 409
    article_id = db.scalar(select(Article.id).where(Article.title == "Medicines review"))
    response = submit(
        editor, confirm_page, {"confirm": "delete", "used_by": str(article_id)}, action=confirm_page
    )
    assert response.status_code == 303 and stored(db) == []


def test_reviewers_and_members_cannot_open_the_library(app: FastAPI, db: Session, settings: Settings) -> None:
    for kind in ("reviewer", "physician"):
        client = browser_for(kind, app, db, settings)
        for path in ("/admin/media", UPLOAD):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 403 and "Media library" not in response.text, (kind, path)
        client.__exit__(None, None, None)


def save_with_hero(db: Session, media: MediaFile, *, slug: str, audience: str) -> Article:
    saved = article_service.save_article(
        db, slug=slug, title=slug.title(), summary="Summary.", body="Text without figures.",
        audience=audience, category_name="Mental health", tag_names=[], references=[],
        status=ArticleStatus.PUBLISHED, published_at=utcnow(), hero_image=url_of(media), hero_alt="Hero",
    )  # fmt: skip
    db.commit()
    return saved


@pytest.mark.parametrize(("audience", "visitor_status"), [("", 200), ("professional", 404)])
def test_a_hero_image_is_served_under_its_article_audience(
    audience: str, visitor_status: int, app: FastAPI, editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "hero.png", image_bytes("PNG"), alt="Hero")
    [media] = stored(db)
    save_with_hero(db, media, slug="hero-article", audience=audience)
    usage = db.scalar(select(MediaUsage).where(MediaUsage.media_id == media.id))
    assert usage is not None and usage.audiences == audience
    for kind, status in [("visitor", visitor_status), ("physician", 200)]:
        client = browser_for(kind, app, db, settings)
        response = client.get(url_of(media))
        client.__exit__(None, None, None)
        assert response.status_code == status, kind
        assert (response.content == Path(media.path).read_bytes()) == (status == 200)


def test_a_hero_path_to_a_missing_file_records_nothing(db: Session) -> None:
    ghost = MediaFile(id=999, filename="ghost.png", content_type="image/png", alt="", caption="")
    save_with_hero(db, ghost, slug="ghost-hero", audience="")
    assert db.scalars(select(MediaUsage)).all() == []


def test_a_pdf_linked_from_a_public_article_is_served_to_visitors(
    app: FastAPI, editor: TestClient, db: Session, settings: Settings
) -> None:
    upload(editor, "guide.pdf", PDF, alt="")
    [media] = stored(db)
    visitor = browser_for("visitor", app, db, settings)
    assert visitor.get(url_of(media)).status_code == 404  # not used anywhere yet
    factories.article(db, slug="with-guide", body=f"Read the guide: {markdown_for(media)}\n")
    assert f'href="{url_of(media)}"' in visitor.get("/articles/with-guide").text
    assert visitor.get(url_of(media)).content == PDF
    visitor.__exit__(None, None, None)


def test_an_image_stored_before_thumbnails_is_its_own_preview(
    editor: TestClient, db: Session, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "imported.png"
    source.write_bytes(image_bytes("PNG", (40, 30)))
    media = store_file(db, source, settings.media_dir, alt="Imported")
    db.commit()
    assert media.thumbnail_path is None
    row = soup(editor.get("/admin/media").text).select_one("tbody tr img")
    assert row is not None and row["src"] == f"/admin/media/{media.id}/thumbnail"
    assert editor.get(f"/admin/media/{media.id}/thumbnail").content == source.read_bytes()
