"""The editor's preview panes, revisions (list, compare, restore), the two-tab rule, media."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleRevision, ArticleStatus, SlugRedirect
from app.audit.models import AuditEvent
from app.core.config import Settings
from app.media import service as media_service
from tests import factories
from tests.browsing import submit
from tests.conftest import page_text, soup
from tests.test_admin_articles import GATED_BODY, count, create, editor_client, editor_values, form, stored

PHARMACIST_BODY = GATED_BODY + "\n::: professional pharmacist\nInteractions for pharmacists only.\n:::\n"


def panes(html: str) -> tuple[str, str]:
    found = soup(html).select(".preview-pane")
    assert len(found) == 2
    return str(found[0]), str(found[1])


def test_the_preview_shows_a_visitor_and_a_professional_what_each_may_read(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    response = submit(
        client, "/admin/articles/new", form(body=PHARMACIST_BODY), action="/admin/articles/new/preview"
    )
    assert response.status_code == 200
    visitor, physician = panes(response.text)
    assert "Open words." in visitor and "Dosing for physicians" not in visitor
    assert "Interactions for pharmacists" not in visitor
    assert "locked-panel" in visitor and "Request access" in page_text(visitor)
    assert "Dosing for physicians" in physician and "Interactions for pharmacists" not in physician
    assert "What physicians see" in page_text(physician)
    # The typed values stay in the form, and nothing is stored.
    assert "Interactions for pharmacists" in soup(response.text).select_one("#body").text
    assert count(db, Article) == 0


def test_the_preview_profession_can_be_chosen(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    data = form(body=PHARMACIST_BODY, preview_profession="pharmacist")
    _visitor, pharmacist = panes(
        submit(client, "/admin/articles/new", data, action="/admin/articles/new/preview").text
    )
    assert "Interactions for pharmacists" in pharmacist and "Dosing for physicians" not in pharmacist


def test_a_whole_article_for_professionals_previews_as_locked_for_visitors(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    factories.article(db, slug="existing", body="Secret clinical text.", audience="prescribers")
    article = stored(db, "existing")
    values = editor_values(client, article)
    assert values["audience"] == "prescribers"
    response = submit(
        client, f"/admin/articles/{article.id}", values, action=f"/admin/articles/{article.id}/preview"
    )
    visitor, physician = panes(response.text)
    assert "Secret clinical text." not in visitor and "A short summary." in visitor
    assert "For prescribers" in page_text(visitor)
    assert "Secret clinical text." in physician
    assert stored(db, "existing").version == 1


def test_every_save_is_a_revision_that_can_be_compared_and_restored(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, body="First line.\nSecond line.\n", tags="Sleep")
    article = stored(db, "sleep-and-mood")
    values = {**editor_values(client, article), "body": "First line.\nSecond line, <b>changed</b>.\n"}
    submit(client, f"/admin/articles/{article.id}", {**values, "title": "Sleep & mood", "action": "publish"})
    article = stored(db, "sleep-and-mood")
    assert article.version == 2

    listing = page_text(client.get(f"/admin/articles/{article.id}/revisions").text)
    assert "2 revisions" in listing and "2 (current)" in listing and "Editor" in listing

    compare = client.get(f"/admin/articles/{article.id}/revisions/compare?old=1&new=2")
    text = page_text(compare.text)
    assert "Title" in text and "Sleep & mood" in text and "Status" in text
    assert "<b>changed</b>" not in compare.text and "&lt;b&gt;changed&lt;/b&gt;" in compare.text
    lines = {line.get_text() for line in soup(compare.text).select(".diff__line--removed")}
    assert "removed: - Second line." in lines
    assert "Tags" not in text  # unchanged fields are not listed

    restored = submit(
        client,
        f"/admin/articles/{article.id}/revisions",
        {"version": "2"},
        action=f"/admin/articles/{article.id}/revisions/1/restore",
    )
    assert restored.headers["location"] == f"/admin/articles/{article.id}"
    article = stored(db, "sleep-and-mood")
    assert (article.version, article.title, article.status) == (3, "Sleep and mood", ArticleStatus.PUBLISHED)
    assert article.body == "First line.\nSecond line.\n"
    latest = db.scalars(select(ArticleRevision).where(ArticleRevision.number == 3)).one()
    assert (latest.title, latest.status) == ("Sleep and mood", "published")
    assert "article.restored" in db.scalars(select(AuditEvent.action)).all()


def test_restoring_a_revision_whose_address_another_article_took_says_the_address_stays(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client)
    article = stored(db, "sleep-and-mood")
    submit(client, f"/admin/articles/{article.id}", {**editor_values(client, article), "slug": "sleep"})
    # The old address is reserved for the renamed article; remove that so another may take it.
    db.execute(delete(SlugRedirect))
    db.commit()
    create(client, title="Other", slug="sleep-and-mood")
    moved = stored(db, "sleep")
    page = f"/admin/articles/{moved.id}/revisions"
    done = submit(client, page, {"version": str(moved.version)}, action=f"{page}/1/restore", follow=True)
    text = page_text(done.text)
    assert "Revision 1 restored" in text
    assert "Its address /articles/sleep-and-mood belongs to another article now" in text
    assert stored(db, "sleep").title == "Sleep and mood"


def test_comparing_revisions_that_do_not_exist_is_a_404(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client)
    article = stored(db, "sleep-and-mood")
    assert client.get(f"/admin/articles/{article.id}/revisions/compare").status_code == 404
    assert client.get(f"/admin/articles/{article.id}/revisions/compare?old=9&new=x").status_code == 404
    assert client.get("/admin/articles/99999999999999").status_code == 404


def test_a_save_from_a_stale_tab_is_refused_with_the_other_change_shown(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    first = editor_client(app, db, settings)
    second = editor_client(app, db, settings)
    create(first, body="Shared text.\n")
    article = stored(db, "sleep-and-mood")
    first_values = editor_values(first, article)
    second_values = editor_values(second, article)

    submit(
        second, f"/admin/articles/{article.id}", {**second_values, "body": "Shared text, edited by two.\n"}
    )
    response = submit(first, f"/admin/articles/{article.id}", {**first_values, "body": "My own edit.\n"})
    assert response.status_code == 409
    text = page_text(response.text)
    assert "Someone else saved this article after you opened it" in text
    assert "saved version 2" in text and "You started from version 1" in text
    assert "Shared text, edited by two." in text
    page = soup(response.text)
    assert page.select_one("#body").text == "My own edit.\n"
    assert stored(db, "sleep-and-mood").body == "Shared text, edited by two.\n"

    # The kept form now carries the current version: saving it again is the merge.
    merged = {
        **first_values,
        "version": page.select_one('input[name="version"]')["value"],
        "body": "Merged.\n",
    }
    again = submit(first, f"/admin/articles/{article.id}", merged)
    assert again.status_code == 303
    assert (stored(db, "sleep-and-mood").body, stored(db, "sleep-and-mood").version) == ("Merged.\n", 3)


def test_the_media_picker_offers_markdown_to_copy_and_insert(
    app: FastAPI, db: Session, settings: Settings, tmp_path: Path
) -> None:
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(b"%PDF-1.4 leaflet")
    picture = media_service.store_file(db, image, settings.media_dir, alt="A brain scan")
    leaflet = media_service.store_file(db, pdf, settings.media_dir)
    db.commit()
    client = editor_client(app, db, settings)
    page = soup(client.get("/admin/articles/new").text)
    codes = [code.get_text() for code in page.select(".media-picker code")]
    assert f"![A brain scan](/media/{picture.id}/scan.png)" in codes
    assert f"[leaflet.pdf](/media/{leaflet.id}/leaflet.pdf)" in codes
    button = page.select_one(".media-picker button[data-insert]")
    assert button is not None and button.has_attr("hidden")
    assert page.select_one('script[src^="/static/editor.js"]') is not None
    assert [o.get_text() for o in page.select("#hero_image option")][1:] == ["scan.png – A brain scan"]


def test_a_hero_image_needs_alt_text(app: FastAPI, db: Session, settings: Settings, tmp_path: Path) -> None:
    image = tmp_path / "hero.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nhero")
    picture = media_service.store_file(db, image, settings.media_dir)
    db.commit()
    client = editor_client(app, db, settings)
    refused = create(client, hero_image=str(picture.id))
    assert refused.status_code == 422
    assert "alt text" in soup(refused.text).select_one("#hero_alt-error").get_text()
    create(client, hero_image=str(picture.id), hero_alt="A calm bedroom")
    article = stored(db, "sleep-and-mood")
    assert (article.hero_image, article.hero_alt) == (f"/media/{picture.id}/hero.png", "A calm bedroom")
    assert editor_values(client, article)["hero_image"] == str(picture.id)


def test_an_imported_hero_outside_the_media_library_is_kept_by_a_save(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    factories.article(db, slug="with-hero")
    article = stored(db, "with-hero")
    article.hero_image, article.hero_alt = "https://images.example/sleep.jpg", "A bed"
    db.commit()
    values = editor_values(client, article)
    assert values["hero_image"] == "current"
    submit(client, f"/admin/articles/{article.id}", {**values, "title": "Renamed"})
    article = stored(db, "with-hero")
    assert (article.title, article.hero_image) == ("Renamed", "https://images.example/sleep.jpg")


def test_compared_publish_times_are_in_the_societys_zone(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, action="schedule", published_at="2035-07-01T09:30")
    article = stored(db, "sleep-and-mood")
    values = {**editor_values(client, article), "published_at": "2035-01-15T09:30", "action": "schedule"}
    submit(client, f"/admin/articles/{article.id}", values)
    text = page_text(client.get(f"/admin/articles/{article.id}/revisions/compare?old=1&new=2").text)
    assert "2035-07-01 09:30 CEST" in text and "2035-01-15 09:30 CET" in text
