"""`portal import`: good files become articles, bad ones are refused whole with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.articles.models import Article, ArticleRevision, ArticleStatus, Category, Reference, Tag
from app.cli import main
from app.publishing.importer import ImportProblem, import_file

GOOD = """\
---
title: Sleep and mood
summary: How sleep and mood influence each other.
category: Healthy lifestyle
tags: [Sleep, Mood]
author: Dr. Example
audience: []
published: 2026-03-01T08:00:00Z
references:
  - key: walker2009
    authors: Walker MP, van der Helm E
    title: Overnight therapy? The role of sleep in emotional brain processing
    journal: Psychol Bull
    year: 2009
    volume: "135"
    issue: "5"
    pages: 731-748
    doi: 10.1037/a0016570
    pmid: "19702380"
---
## Why sleep matters

Sleep shapes how we feel[^walker2009].

::: professional physician
Notes for physicians.
:::
"""


def write(tmp_path: Path, text: str, name: str = "article.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_good_file_becomes_a_published_article_with_everything_it_names(
    db: Session, tmp_path: Path
) -> None:
    article = import_file(db, write(tmp_path, GOOD), media_dir=tmp_path / "media")
    db.commit()
    stored = db.scalars(select(Article)).one()
    assert (stored.slug, stored.title, stored.status) == (
        "sleep-and-mood",
        "Sleep and mood",
        ArticleStatus.PUBLISHED,
    )
    assert stored.category.name == "Healthy lifestyle"
    assert sorted(t.name for t in stored.tags) == ["Mood", "Sleep"]
    assert stored.body.startswith("## Why sleep matters")
    assert "::: professional physician" in stored.body
    ref = db.scalars(select(Reference)).one()
    assert (ref.key, ref.doi, ref.pmid, ref.year, ref.volume) == (
        "walker2009",
        "10.1037/a0016570",
        "19702380",
        2009,
        "135",
    )
    assert article.published_at.year == 2026


def test_importing_again_updates_the_article_and_keeps_the_old_version(db: Session, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    import_file(db, path, media_dir=tmp_path / "media")
    db.commit()
    write(tmp_path, GOOD.replace("Sleep shapes how we feel", "Sleep changes how we feel"))
    import_file(db, path, media_dir=tmp_path / "media")
    db.commit()
    assert count(db, Article) == 1
    assert "Sleep changes" in db.scalars(select(Article)).one().body
    first, second = db.scalars(select(ArticleRevision).order_by(ArticleRevision.number)).all()
    assert (first.number, "Sleep shapes" in first.body) == (1, True)
    assert (second.number, "Sleep changes" in second.body) == (2, True)
    assert count(db, Reference) == 1 and count(db, Tag) == 2 and count(db, Category) == 1


def test_a_publish_time_in_the_future_schedules_the_article(db: Session, tmp_path: Path) -> None:
    article = import_file(
        db, write(tmp_path, GOOD.replace("2026-03-01", "2099-01-01")), media_dir=tmp_path / "media"
    )
    assert article.status == ArticleStatus.SCHEDULED


def test_status_draft_keeps_the_article_unpublished(db: Session, tmp_path: Path) -> None:
    article = import_file(
        db, write(tmp_path, GOOD.replace("audience: []", "status: draft")), media_dir=tmp_path / "media"
    )
    assert article.status == ArticleStatus.DRAFT


BAD_FILES = [
    ("no front matter", "## Just a body\n", 1, "must start with a '---' line"),
    ("unclosed front matter", "---\ntitle: x\n", 1, "never closed"),
    ("broken YAML", "---\ntitle: x\nsummary: [unclosed\ncategory: y\n---\nbody\n", 4, "not valid YAML"),
    ("missing title", GOOD.replace("title: Sleep and mood\n", ""), 2, "title: Field required"),
    (
        "unknown audience",
        GOOD.replace("audience: []", "audience: surgeons"),
        7,
        "unknown audience 'surgeons'",
    ),
    ("bad slug", GOOD.replace("summary:", "slug: Not A Slug\nsummary:"), 3, "slug: String should match"),
    ("unknown field", GOOD.replace("author:", "colour: red\nauthor:"), 6, "colour: Extra inputs"),
    ("bad reference year", GOOD.replace("year: 2009", "year: 20099"), 14, "references.0.year"),
    (
        "citation without reference",
        GOOD.replace("[^walker2009]", "[^walker2010]"),
        23,
        "[^walker2010] has no matching",
    ),
    ("reference never cited", GOOD.replace("[^walker2009]", ""), 9, "'walker2009' is never cited"),
    ("image without alt", GOOD + "\n![](/static/x.svg)\n", 29, "image has no alt text"),
    ("unclosed block", GOOD.rstrip().removesuffix(":::"), 25, "never closed"),
]


@pytest.mark.parametrize(("case", "text", "line", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_names_the_line_and_stores_nothing(
    db: Session, tmp_path: Path, case: str, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ImportProblem) as raised:
        import_file(db, path, media_dir=tmp_path / "media")
    assert message in raised.value.message
    assert raised.value.line == line
    assert str(raised.value).startswith(f"{path}:{line}: ")
    db.rollback()
    assert count(db, Article) == 0 and count(db, Category) == 0


def test_the_command_imports_good_files_and_refuses_bad_ones(
    db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    good = write(tmp_path, GOOD, "good.md")
    bad = write(tmp_path, GOOD.replace("title: Sleep and mood\n", "").replace("sleep", "nap"), "bad.md")
    result = CliRunner().invoke(main, ["import", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"imported {good} as /articles/sleep-and-mood (published)" in result.output
    assert f"error: {bad}:2: title: Field required" in result.output
    assert "1 of 2 files were not imported." in result.output
    assert db.scalars(select(Article.slug)).all() == ["sleep-and-mood"]


def test_the_command_reports_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["import", str(tmp_path / "nope.md")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.output
