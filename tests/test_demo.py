"""The demo content: what `make run` loads, and proof that none of its gated text is served."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles.markdown import GATE, parse
from app.articles.models import Article, ArticleStatus
from app.contact.models import ContactMessage
from app.core.config import Settings
from app.demo import seed
from tests.asgi_client import TestClient
from tests.browsing import mails
from tests.conftest import soup
from tests.crawl import crawl, normalise


def gated_passages(article: Article) -> list[str]:
    """Every passage of an article that a visitor must never receive, as normalised text."""
    whole = not article.audience_rule.is_public or article.status != ArticleStatus.PUBLISHED
    passages, depth = [], 0
    for token in parse(article.body):
        if token.type.startswith(f"container_{GATE}"):
            depth += token.nesting
        elif (whole or depth) and token.type == "inline":
            words = normalise(" ".join(c.content for c in token.children or [] if c.type == "text"))
            if len(words.split()) >= 5:
                passages.append(words)
    return passages


def test_the_demo_has_the_articles_the_society_needs(settings: Settings, db: Session) -> None:
    seed.load_into_empty(settings)
    articles = db.scalars(select(Article)).unique().all()
    published = [a for a in articles if a.status == ArticleStatus.PUBLISHED]
    assert len(published) >= 8
    assert len({a.category_id for a in published}) >= 3
    with_blocks = [a for a in published if f"::: {GATE}" in a.body]
    assert len(with_blocks) >= 3
    assert any(f"::: {GATE} prescribers" in a.body for a in published)
    assert any(a.audience == "professional" for a in published)
    immunity = next(a for a in articles if a.slug == "addressing-immunity-in-depression")
    assert [r.authors.split()[0] for r in immunity.references] == [
        "Schiepers",
        "Raison",
        "Dantzer",
        "Chesnokova",
        "Vindegaard",
    ]
    assert "Demo content" in immunity.body
    # The staff inbox has something to answer, and the society was mailed about it.
    assert [m.subject for m in db.scalars(select(ContactMessage).order_by(ContactMessage.id))] == [
        subject for _name, _email, subject, _message in seed.MESSAGES
    ]
    assert len(mails(db, settings.contact_email, "contact_message")) == 2


def test_the_immunity_article_reads_as_the_society_publishes_it(
    settings: Settings, client: TestClient
) -> None:
    seed.load_into_empty(settings)
    html = soup(client.get("/articles/addressing-immunity-in-depression").text)
    assert len(html.select(".references li")) == 5
    figure = html.select_one(".prose figure")
    assert figure.img["src"] == "/static/figures/immunity-depression.svg" and figure.img["alt"]
    assert client.get(figure.img["src"]).headers["content-type"].startswith("image/svg+xml")
    assert html.select_one(".prose .locked-panel") is not None
    assert len(html.select(".toc a")) >= 5


def test_loading_the_demo_twice_changes_nothing(settings: Settings, db: Session) -> None:
    seed.load_into_empty(settings)
    seed.load_into_empty(settings)
    slugs = db.scalars(select(Article.slug)).all()
    assert len(slugs) == len(set(slugs)) == len(seed.demo_files())


def test_no_gated_demo_text_reaches_a_visitor_anywhere(
    settings: Settings, client: TestClient, db: Session
) -> None:
    seed.load_into_empty(settings)
    articles = db.scalars(select(Article)).unique().all()
    # Boilerplate such as the demo disclaimer is public elsewhere; only unique passages count.
    public = {normalise(a.body) for a in articles if not gated_passages(a)}
    secrets = {(a.slug, p) for a in articles for p in gated_passages(a) if not any(p in t for t in public)}
    assert len(secrets) >= 30
    start = ("/", "/articles", *(f"/articles/{a.slug}" for a in articles), "/no/such/page")
    pages = dict(crawl(client, start))
    assert len(pages) >= 20
    for path, body in pages.items():
        text = normalise(body)
        leaked = [(slug, passage[:60]) for slug, passage in secrets if passage in text]
        assert not leaked, f"{path} shows gated text: {leaked}"
