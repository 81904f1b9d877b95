"""Unpublish, archive, rename and restore in the editor reach no public surface they should not."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles.models import Article, ArticleRevision, Category
from app.core.config import Settings
from app.media.models import MediaFile
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import page_text, soup
from tests.test_admin_articles import create, editor_client, editor_values, stored
from tests.test_admin_media import image_bytes

PUBLIC_WORD = "Zephyrine"
GATED_WORD = "Quillomab"


def surfaces(visitor: TestClient) -> dict[str, str]:
    """Every public page that lists or shows articles, as a visitor reads it."""
    paths = ["/", "/articles", "/feed.xml", "/sitemap.xml", "/api/v1/articles", "/categories/mental-health"]
    paths += ["/tags/sleep", f"/search?q={PUBLIC_WORD}", "/api/v1/articles/sleep-and-mood"]
    return {path: visitor.get(path).text for path in paths}


def slugged(text: str) -> str:
    return text.lower().replace(" ", "-")


def with_image(client: TestClient, db: Session) -> str:
    png = ("chart.png", image_bytes("PNG"), "image/png")
    submit(client, "/admin/media/upload", {"alt": "A chart", "caption": ""}, files={"file": png})
    media = db.scalars(select(MediaFile)).one()
    return f"/media/{media.id}/{media.filename}"


def body(image: str) -> str:
    return f"{PUBLIC_WORD} opens.\n\n![A chart]({image})\n\n::: professional\n{GATED_WORD} dosing.\n:::\n"


def publish(app: FastAPI, db: Session, settings: Settings) -> tuple[TestClient, Article, str]:
    client = editor_client(app, db, settings)
    image = with_image(client, db)
    create(client, action="publish", body=body(image), tags="Sleep", category=_category(client, db))
    return client, stored(db, "sleep-and-mood"), image


def _category(client: TestClient, db: Session) -> str:
    submit(client, "/admin/categories/new", {"name": "Mental health", "slug": "", "description": ""})
    return str(db.scalars(select(Category.id).where(Category.name == "Mental health")).one())


def resave(client: TestClient, article: Article, **fields: Any) -> None:
    submit(client, f"/admin/articles/{article.id}", {**editor_values(client, article), **fields})


@pytest.mark.parametrize("action", ["unpublish", "archive"])
def test_unpublishing_or_archiving_removes_the_article_from_every_public_surface(
    action: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    client, article, image = publish(app, db, settings)
    visitor = TestClient(app)
    before = surfaces(visitor)
    missing = [path for path, text in before.items() if "sleep-and-mood" not in slugged(text)]
    assert missing == []
    assert visitor.get(image).status_code == 200

    resave(client, article, action=action)
    for path, text in surfaces(visitor).items():
        assert "Sleep and mood" not in text and "sleep-and-mood" not in text, path
        assert GATED_WORD not in text, path
    assert visitor.get(image).status_code == 404
    assert visitor.get("/articles/sleep-and-mood").status_code == 404


def test_renaming_a_draft_makes_no_public_redirect_and_reveals_no_address(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client)
    article = stored(db, "sleep-and-mood")
    resave(client, article, slug="secret-new-address")
    response = TestClient(app).get("/articles/sleep-and-mood", follow_redirects=False)
    assert response.status_code == 404
    assert "secret-new-address" not in response.text


def test_the_old_address_of_an_unpublished_article_leads_nowhere(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client, article, _image = publish(app, db, settings)
    resave(client, article, slug="sleep-mood-and-memory")
    visitor = TestClient(app)
    assert visitor.get("/articles/sleep-and-mood", follow_redirects=False).status_code == 301
    resave(client, stored(db, "sleep-mood-and-memory"), action="unpublish")
    response = visitor.get("/articles/sleep-and-mood", follow_redirects=False)
    assert response.status_code == 404
    assert "sleep-mood-and-memory" not in response.text


def test_restoring_a_revision_of_a_published_article_reindexes_search(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client, article, image = publish(app, db, settings)
    resave(client, article, body="Heliotrope replaces the text.\n\n::: professional\nMorvexa.\n:::\n")
    visitor = TestClient(app)
    assert "Sleep and mood" in visitor.get("/search?q=heliotrope").text
    assert "Sleep and mood" not in visitor.get(f"/search?q={PUBLIC_WORD}").text

    db.expire_all()
    first = db.scalars(select(ArticleRevision).where(ArticleRevision.article_id == article.id)).first()
    assert first is not None
    page = f"/admin/articles/{article.id}/revisions"
    current = str(stored(db, "sleep-and-mood").version)
    submit(client, page, {"version": current}, action=f"{page}/{first.number}/restore")
    assert stored(db, "sleep-and-mood").body == body(image)
    assert "Sleep and mood" in visitor.get(f"/search?q={PUBLIC_WORD}").text
    assert "Sleep and mood" not in visitor.get("/search?q=heliotrope").text
    for word in (GATED_WORD, "morvexa"):
        assert "Sleep and mood" not in visitor.get(f"/search?q={word}").text
    assert visitor.get(image).status_code == 200


def test_a_reviewer_cannot_restore_or_preview_what_the_page_does_not_offer(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client, article, _image = publish(app, db, settings)
    reviewer = editor_client(app, db, settings, role=Role.REVIEWER)
    token_page = reviewer.get("/admin/users")
    assert token_page.status_code == 200
    token = token_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    restore = reviewer.post(
        f"/admin/articles/{article.id}/revisions/1/restore", data={"csrf_token": token, "version": "1"}
    )
    preview = reviewer.post(
        f"/admin/articles/{article.id}/preview",
        data={"csrf_token": token, "title": "T", "summary": "S", "body": f"::: professional\n{GATED_WORD}\n"},
    )
    assert restore.status_code == 403 and preview.status_code == 403
    assert GATED_WORD not in preview.text
    assert stored(db, "sleep-and-mood").version == article.version


def test_a_page_past_the_end_of_the_article_list_says_so_rather_than_that_there_are_none(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client)
    text = page_text(client.get("/admin/articles?status=draft&page=40").text)
    assert "There are no articles yet" not in text and "No article matches" not in text
    assert "There is no page 40: the list has 1." in text
    link = soup(client.get("/admin/articles?status=draft&page=40").text).select_one(".empty-state a")
    assert link is not None and link["href"] == "/admin/articles?status=draft"
