"""The editor and translations: which languages exist, starting one, and where versions differ."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleStatus
from app.audit.models import AuditEvent
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import page_text, soup
from tests.test_admin_articles import editor_client

BODY = (
    "Open words[^smith2020].\n\n![A chart](/static/figures/example.svg)\n\n"
    "::: professional physician\nDosing.\n:::\n"
)
DIFFER = "references, tags, audiences of the gated blocks."


@pytest.fixture
def editor(bilingual_app: FastAPI, db: Session, settings: Settings) -> TestClient:
    return editor_client(bilingual_app, db, settings)


@pytest.fixture
def original(db: Session) -> Article:
    return factories.article(
        db,
        title="Sleep and mood",
        slug="sleep-and-mood",
        body=BODY,
        tags=["Sleep", "Mood"],
        references=[factories.reference("smith2020")],
    )


def languages_section(client: TestClient, article: Article) -> str:
    html = soup(client.get(f"/en/admin/articles/{article.id}").text)
    section = html.select_one(".editor-languages")
    assert section is not None
    # Without the space page_text leaves where an element ends before a punctuation mark.
    return re.sub(r" ([,.:])", r"\1", page_text(str(section)))


def test_the_editor_offers_a_translation_for_each_missing_language(
    editor: TestClient, original: Article
) -> None:
    text = languages_section(editor, original)
    assert "English: this version" in text
    assert "German: Create the version in German" in text


def test_creating_a_translation_copies_the_original_as_a_draft(
    editor: TestClient, db: Session, original: Article
) -> None:
    page = submit(
        editor,
        f"/en/admin/articles/{original.id}",
        {"language": "de"},
        action=f"/en/admin/articles/{original.id}/translations",
    )
    assert page.status_code == 303
    db.expire_all()
    draft = db.scalars(select(Article).where(Article.language == "de")).one()
    assert page.headers["location"] == f"/en/admin/articles/{draft.id}"
    assert draft.translation_group_id == original.id
    assert (draft.status, draft.slug, draft.body, draft.title) == (
        ArticleStatus.DRAFT,
        "sleep-and-mood-de",
        original.body,
        original.title,
    )
    assert draft.category_id == original.category_id
    assert [t.name for t in draft.tags] == [t.name for t in original.tags]
    assert [(r.key, r.title) for r in draft.references] == [(r.key, r.title) for r in original.references]
    assert "article.translation_created" in db.scalars(select(AuditEvent.action)).all()
    # The draft's editor names both versions, and the flash says what to do next.
    shown = editor.get(page.headers["location"])
    assert "Draft translation created" in page_text(shown.text)
    text = languages_section(editor, draft)
    assert "German: this version" in text and "English: Sleep and mood" in text
    # Nothing differs yet, so nothing is flagged.
    assert "differs" not in text
    # A second translation into German is refused with a message, not a second row.
    again = submit(
        editor,
        f"/en/admin/articles/{original.id}",
        {"language": "de"},
        action=f"/en/admin/articles/{original.id}/translations",
    )
    assert again.status_code == 303
    assert "already has a version in that language" in page_text(editor.get(again.headers["location"]).text)
    assert len(db.scalars(select(Article).where(Article.language == "de")).all()) == 1


def test_a_language_the_site_does_not_speak_is_refused(
    editor: TestClient, db: Session, original: Article
) -> None:
    page = submit(
        editor,
        f"/en/admin/articles/{original.id}",
        {"language": "fr"},
        action=f"/en/admin/articles/{original.id}/translations",
    )
    assert page.status_code == 303
    assert "Choose one of the site's languages." in page_text(editor.get(page.headers["location"]).text)
    assert db.scalar(select(Article).where(Article.language == "fr")) is None


def test_the_editor_says_where_a_translation_differs_from_its_original(
    editor: TestClient, db: Session, original: Article
) -> None:
    german = factories.article(
        db,
        title="Schlaf und Stimmung",
        language="de",
        translation_of=original,
        # The gate opened to every profession, one tag and the reference dropped.
        body="Offene Worte.\n\n::: professional\nDosierung.\n:::\n",
        tags=["Sleep"],
    )
    text = languages_section(editor, german)
    assert f"This version differs from the original, Sleep and mood, in: {DIFFER}" in text
    text = languages_section(editor, original)
    assert f"The version in German, Schlaf und Stimmung, differs from this original in: {DIFFER}" in text
    assert "category" not in text


def test_the_public_page_link_of_a_version_is_in_its_own_language(
    editor: TestClient, original: Article, db: Session
) -> None:
    german = factories.article(db, title="Schlaf und Stimmung", slug="schlaf-und-stimmung", language="de")
    english_editor = soup(editor.get(f"/en/admin/articles/{german.id}").text)
    link = english_editor.find("a", string="Public page")
    assert link is not None and link["href"] == "/de/articles/schlaf-und-stimmung"
    german_editor = soup(editor.get(f"/de/admin/articles/{original.id}").text)
    link = german_editor.find("a", string="Öffentliche Seite")
    assert link is not None and link["href"] == "/en/articles/sleep-and-mood"


def test_the_languages_panel_names_each_versions_state_in_the_editors_language(
    editor: TestClient, original: Article, db: Session
) -> None:
    factories.article(
        db, title="Schlaf", slug="schlaf", language="de", translation_of=original, status=ArticleStatus.DRAFT
    )
    panel = soup(editor.get(f"/de/admin/articles/{original.id}").text).select_one(".editor-languages")
    assert panel is not None
    assert [label.get_text() for label in panel.select(".state-label")] == ["Entwurf"]
