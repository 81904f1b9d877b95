"""`portal demo --articles N`: many articles for measuring, each readable, searchable and gated alike."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.articles.gating import stored_gating
from app.articles.markdown import GATE
from app.articles.models import Article, ArticleRevision, Reference
from app.core.config import Settings
from app.demo import generate, seed
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import page_text
from tests.crawl import normalise
from tests.test_demo import gated_passages


def test_generated_articles_copy_the_demo_with_tags_references_and_revisions(
    settings: Settings, db: Session, client: TestClient
) -> None:
    seed.load_into_empty(settings)
    demo_count = db.scalar(select(func.count()).select_from(Article))
    assert generate.fill_to(db, 40) == 40 - demo_count
    db.commit()
    assert db.scalar(select(func.count()).select_from(Article)) == 40
    copy = db.scalar(select(Article).where(Article.slug.startswith("addressing-immunity-in-depression-")))
    assert copy is not None and len(copy.tags) >= 2 and copy.references
    revisions = db.scalars(select(ArticleRevision.number).where(ArticleRevision.article_id == copy.id)).all()
    assert sorted(revisions) == [1, 2] and copy.version == 2
    # What the professional area counts of it, as a save would have stored it.
    gating = (copy.gated_sections, copy.gated_professions)
    assert gating == stored_gating(copy.body, copy.audience) and copy.gated_professions
    assert db.scalar(select(func.count()).select_from(Reference).where(Reference.article_id == copy.id))
    page = client.get(f"/articles/{copy.slug}")
    assert page.status_code == 200 and copy.title in page_text(page.text)
    found = client.get("/search", params={"q": copy.title.split("(")[-1].rstrip(")") + " immunity"})
    assert copy.title in page_text(found.text)
    assert generate.fill_to(db, 40) == 0
    # Articles saved after a bulk load are indexed as they are saved, as before it.
    factories.article(db, title="Saved afterwards", body="Quokka sightings.")
    assert "Saved afterwards" in page_text(client.get("/search", params={"q": "quokka"}).text)


def test_generated_gated_text_stays_gated_for_visitors(
    settings: Settings, db: Session, client: TestClient
) -> None:
    seed.load_into_empty(settings)
    generate.fill_to(db, 30)
    db.commit()
    demo = len(seed.demo_files())
    copies = db.scalars(select(Article).where(Article.id > demo, Article.body.contains(f"::: {GATE}"))).all()
    assert copies
    for copy in copies:
        text = page_text(client.get(f"/articles/{copy.slug}").text)
        shown = normalise(text)
        assert copy.title in text
        assert not [passage for passage in gated_passages(copy) if passage in shown], copy.slug
