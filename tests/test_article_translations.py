"""Articles in several languages: a version per language in a translation group, by import too."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.articles import translations
from app.articles.models import Article
from app.publishing.importer import ImportProblem, import_file
from tests import factories

ORIGINAL = """\
---
title: Sleep and mood
summary: How sleep and mood influence each other.
category: Healthy lifestyle
---
Sleep shapes how we feel.
"""

GERMAN = """\
---
title: Schlaf und Stimmung
slug: schlaf-und-stimmung
language: de
translation_of: sleep-and-mood
summary: Wie Schlaf und Stimmung einander beeinflussen.
category: Healthy lifestyle
---
Schlaf prägt, wie wir uns fühlen.
"""


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_article_is_the_original_of_its_own_group_in_the_default_language(db: Session) -> None:
    article = factories.article(db)
    assert (article.language, article.translation_group_id) == ("en", article.id)
    assert translations.versions(db, article) == [article]


def test_a_translation_joins_its_originals_group(db: Session) -> None:
    original = factories.article(db, slug="sleep-and-mood")
    german = factories.article(db, slug="schlaf-und-stimmung", language="de", translation_of=original)
    assert german.translation_group_id == original.id
    assert [v.slug for v in translations.versions(db, original)] == ["schlaf-und-stimmung", "sleep-and-mood"]
    assert translations.version_in(db, german, "en") == original
    assert translations.original_of(db, german) == original
    assert translations.original_of(db, original) is None


def test_a_group_holds_one_article_per_language(db: Session) -> None:
    original = factories.article(db)
    factories.article(db, language="de", translation_of=original)
    with pytest.raises(translations.TranslationRefused, match="already this article’s version"):
        factories.article(db, language="de", translation_of=original)
    db.rollback()
    with pytest.raises(translations.TranslationRefused, match="already in this language"):
        factories.article(db, language="en", translation_of=original)
    db.rollback()
    # The database holds the rule too, whatever writes the rows.
    other = factories.article(db, language="de")
    with pytest.raises(IntegrityError):
        db.execute(update(Article).where(Article.id == other.id).values(translation_group_id=original.id))
        db.flush()


def test_the_importer_reads_language_and_translation_of(db: Session, tmp_path: Path) -> None:
    original = import_file(db, write(tmp_path, ORIGINAL, "en.md"), media_dir=tmp_path / "media")
    german = import_file(db, write(tmp_path, GERMAN, "de.md"), media_dir=tmp_path / "media")
    db.commit()
    assert (original.language, german.language) == ("en", "de")
    assert german.translation_group_id == original.id
    # Importing the file again updates the same translation.
    again = import_file(db, write(tmp_path, GERMAN, "de.md"), media_dir=tmp_path / "media")
    assert again.id == german.id


def test_a_site_in_german_imports_a_file_without_a_language_as_german(db: Session, tmp_path: Path) -> None:
    article = import_file(db, write(tmp_path, ORIGINAL, "en.md"), media_dir=tmp_path, default_language="de")
    assert article.language == "de"


@pytest.mark.parametrize(
    ("change", "message", "line"),
    [
        (
            ("translation_of: sleep-and-mood", "translation_of: no-such-article"),
            "import the original first",
            5,
        ),
        (("language: de", "language: xx"), "unknown language 'xx'", 4),
        (("language: de", "language: en"), "already in this language", 5),
    ],
)
def test_the_importer_refuses_a_translation_it_cannot_place(
    db: Session, tmp_path: Path, change: tuple[str, str], message: str, line: int
) -> None:
    import_file(db, write(tmp_path, ORIGINAL, "en.md"), media_dir=tmp_path / "media")
    path = write(tmp_path, GERMAN.replace(*change), "de.md")
    with pytest.raises(ImportProblem, match=message) as refused:
        import_file(db, path, media_dir=tmp_path / "media")
    assert refused.value.line == line
    db.rollback()
    assert db.scalar(select(Article).where(Article.slug == "schlaf-und-stimmung")) is None
