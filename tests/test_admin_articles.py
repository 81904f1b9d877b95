"""The staff articles editor: list, create, validate, publish, schedule, preview, the two-tab rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.articles.models import Article, ArticleRevision, ArticleStatus, SlugRedirect
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from app.jobs import tick
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup

GATED_BODY = "Open words.\n\n::: professional physician\nDosing for physicians only.\n:::\n"


def editor_client(app: FastAPI, db: Session, settings: Settings, role: Role = Role.EDITOR) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    person = factories.staff(db, settings, role=role)
    login(client, person.email, factories.PASSWORD)
    return client


def form(**fields: Any) -> dict[str, Any]:
    values = {"title": "Sleep and mood", "slug": "", "summary": "How sleep shapes mood.", "body": "Text."}
    values |= {"audience": "public", "action": "save"}
    return {**values, **fields}


def create(client: TestClient, **fields: Any) -> Any:
    return submit(client, "/admin/articles/new", form(**fields))


def stored(db: Session, slug: str) -> Article:
    db.expire_all()
    return db.scalars(select(Article).where(Article.slug == slug)).one()


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def editor_values(client: TestClient, article: Article) -> dict[str, str]:
    """Every field of the editor form as the page shows it (what a browser would post back)."""
    page = soup(client.get(f"/admin/articles/{article.id}").text)
    values = {}
    for field in page.select("#editor-form input, #editor-form textarea, #editor-form select"):
        name = str(field.get("name", ""))
        if not name or name == "csrf_token" or field.get("type") in ("radio", "checkbox"):
            continue
        if field.name == "textarea":
            values[name] = field.text
        elif field.name == "select":
            chosen = field.select_one("option[selected]")
            values[name] = str(chosen["value"]) if chosen else ""
        else:
            values[name] = str(field.get("value", ""))
    checked = page.select_one('#editor-form input[name="audience"][checked]')
    values["audience"] = str(checked["value"]) if checked else "public"
    return values


def test_a_new_article_is_written_in_the_sites_default_language(
    app_with: Callable[..., FastAPI], db: Session, settings: Settings
) -> None:
    german_first = app_with(languages="en,de", default_language="de")
    client = editor_client(german_first, db, settings)
    response = submit(client, "/de/admin/articles/new", form())
    assert response.status_code == 303
    assert stored(db, "sleep-and-mood").language == "de"
    client.__exit__(None, None, None)


def test_an_editor_creates_a_draft_with_a_slug_made_from_the_title(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    response = create(client, tags="Sleep, Mood")
    article = stored(db, "sleep-and-mood")
    assert response.headers["location"] == f"/admin/articles/{article.id}"
    assert (article.status, article.version, [t.name for t in article.tags]) == (
        ArticleStatus.DRAFT,
        1,
        ["Mood", "Sleep"],
    )
    assert article.author is not None and article.author.role == Role.EDITOR
    assert "Saved as a draft." in page_text(client.get(response.headers["location"]).text)
    assert client.get("/articles/sleep-and-mood").status_code == 404
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "article")).all()
    assert events == ["article.created"]


def test_invalid_input_keeps_what_was_typed_and_stores_nothing(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    factories.article(db, slug="taken")
    before = count(db, Article)
    response = create(
        client,
        slug="taken",
        summary="",
        body="See [^missing].\n\n# A heading one",
        **{"ref-0-key": "lonely", "ref-0-title": "No authors"},
    )
    assert response.status_code == 422
    page = soup(response.text)
    text = page_text(response.text)
    assert "Another article already has this address." in text
    assert "citation [^missing] has no matching reference" in text and "use ## for sections" in text
    assert page.select_one("#summary-error") is not None
    assert page.select_one("#title")["value"] == "Sleep and mood"
    assert "See [^missing]." in page.select_one("#body").text
    assert page.select_one("#ref-0-key")["value"] == "lonely"
    assert "Reference 1, authors" in text
    assert count(db, Article) == before and count(db, ArticleRevision) == before


def test_body_problems_the_importer_refuses_are_shown_on_the_page(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    response = create(client, body="See [^missing].\n\n::: professional dentist\nno end")
    assert response.status_code == 422
    message = soup(response.text).select_one("#body-error").get_text()
    assert "citation [^missing] has no matching reference" in message
    assert "never closed" in message
    assert count(db, Article) == 0


def test_references_are_saved_from_their_rows_and_cited_in_the_body(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    rows = {"ref-0-key": "walker", "ref-0-authors": "Walker M", "ref-0-title": "Sleep", "ref-0-year": "2009"}
    create(client, body="Sleep matters.[^walker]", **rows)
    article = stored(db, "sleep-and-mood")
    assert [(r.key, r.year) for r in article.references] == [("walker", 2009)]
    values = editor_values(client, article)
    assert values["ref-0-authors"] == "Walker M" and values["ref-1-key"] == ""


def test_a_duplicate_reference_key_is_refused(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    rows = {"ref-0-key": "a", "ref-0-authors": "A", "ref-0-title": "T", "ref-1-key": "a"}
    response = create(client, body="x[^a]", **rows, **{"ref-1-authors": "B", "ref-1-title": "U"})
    assert response.status_code == 422
    assert "used twice" in page_text(response.text)


def test_publishing_shows_the_article_and_unpublishing_or_archiving_removes_it(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, action="publish")
    article = stored(db, "sleep-and-mood")
    assert article.status == ArticleStatus.PUBLISHED
    visitor = TestClient(app)
    assert "How sleep shapes mood." in page_text(visitor.get("/articles/sleep-and-mood").text)

    submit(client, f"/admin/articles/{article.id}", {**editor_values(client, article), "action": "unpublish"})
    assert stored(db, "sleep-and-mood").status == ArticleStatus.DRAFT
    assert visitor.get("/articles/sleep-and-mood").status_code == 404

    submit(client, f"/admin/articles/{article.id}", {**editor_values(client, article), "action": "publish"})
    assert visitor.get("/articles/sleep-and-mood").status_code == 200
    submit(client, f"/admin/articles/{article.id}", {**editor_values(client, article), "action": "archive"})
    assert stored(db, "sleep-and-mood").status == ArticleStatus.ARCHIVED
    assert visitor.get("/articles/sleep-and-mood").status_code == 404
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "article").order_by(AuditEvent.id)
    ).all()
    assert "article.unpublished" in actions and "article.archived" in actions


def test_scheduling_needs_a_future_time_and_the_tick_publishes_it(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    refused = create(client, action="schedule", published_at="2001-01-01T09:00")
    assert refused.status_code == 422
    assert "publish time in the future" in page_text(refused.text)
    assert count(db, Article) == 0

    when = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    create(client, action="schedule", published_at=when)
    assert stored(db, "sleep-and-mood").status == ArticleStatus.SCHEDULED
    assert TestClient(app).get("/articles/sleep-and-mood").status_code == 404
    with clock.travel(timedelta(days=3)):
        tick.run(app.state.session_factory, settings)
        assert stored(db, "sleep-and-mood").status == ArticleStatus.PUBLISHED
        assert TestClient(app).get("/articles/sleep-and-mood").status_code == 200


def test_a_rename_keeps_the_old_address_leading_to_the_article(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, action="publish")
    article = stored(db, "sleep-and-mood")
    values = {**editor_values(client, article), "slug": "sleep-mood-and-memory"}
    submit(client, f"/admin/articles/{article.id}", values)
    response = TestClient(app).get("/articles/sleep-and-mood", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (301, "/articles/sleep-mood-and-memory")
    # The old address stays with this article: another one cannot take it.
    taken = create(client, title="Another", slug="sleep-and-mood")
    assert taken.status_code == 422
    assert "used this address before" in page_text(taken.text)
    assert count(db, SlugRedirect) == 1


def test_a_bad_slug_is_refused(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    response = create(client, slug="Not A Slug!")
    assert response.status_code == 422
    assert "lowercase letters" in soup(response.text).select_one("#slug-error").get_text()


def test_a_chosen_profession_audience_is_stored_and_shown_again(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    client.post("/admin/articles/new", data={})  # no token: refused before anything
    token_page = "/admin/articles/new"
    data = form(audience="professions")
    data["professions"] = ["pharmacist", "dentist"]
    submit(client, token_page, data)
    article = stored(db, "sleep-and-mood")
    assert article.audience == "dentist pharmacist"
    page = soup(client.get(f"/admin/articles/{article.id}").text)
    assert page.select_one("#audience-professions").has_attr("checked")
    assert page.select_one("#professions-dentist").has_attr("checked")
    missing = create(client, title="Other", audience="professions")
    assert missing.status_code == 422 and "Tick at least one profession" in page_text(missing.text)


def test_a_reviewer_may_not_open_the_editor(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings, role=Role.REVIEWER)
    assert client.get("/admin/articles").status_code == 403
    assert client.get("/admin/articles/new").status_code == 403
    editor = editor_client(app, db, settings)
    assert "Articles" in page_text(editor.get("/admin").text)


def test_the_gated_text_of_a_draft_never_reaches_a_visitor(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, body=GATED_BODY)
    visitor = TestClient(app)
    for path in (
        "/articles/sleep-and-mood",
        "/articles",
        "/search?q=Dosing",
        "/feed.xml",
        "/api/v1/articles",
    ):
        assert "Dosing for physicians" not in visitor.get(path).text, path
    assert visitor.get("/admin/articles/1", follow_redirects=False).status_code == 303


def test_the_list_searches_filters_and_pages(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    factories.article(db, title="Open article", slug="open-one", category="Sleep")
    factories.article(db, title="Gated part", slug="gated-one", body=GATED_BODY)
    factories.article(db, title="Whole gated", slug="closed-one", audience="professional")
    factories.article(db, title="A draft", slug="draft-one", status=ArticleStatus.DRAFT)
    factories.article(db, title="Another draft", slug="draft-two", status=ArticleStatus.DRAFT)
    # A block opened with no space after the fence is gated all the same.
    factories.article(db, title="Tight fence", slug="tight-one", body="Open.\n\n:::professional\nX.\n:::\n")
    first = page_text(client.get("/admin/articles").text)
    assert "6 articles" in first and "Page 1 of 2" in first
    assert "Page 2 of 2" in page_text(client.get("/admin/articles?page=2").text)
    assert "Gated part" in page_text(client.get("/admin/articles?q=GATED-ONE").text)
    drafts = page_text(client.get("/admin/articles?status=draft&sort=title").text)
    assert "2 articles" in drafts and drafts.index("A draft") < drafts.index("Another draft")
    assert "Whole gated" in page_text(client.get("/admin/articles?audience=professional").text)
    gated = page_text(client.get("/admin/articles?audience=gated").text)
    assert "2 articles" in gated and "Gated part" in gated and "Tight fence" in gated
    public = page_text(client.get("/admin/articles?audience=public").text)
    assert "Tight fence" not in public and "Open article" in public
    empty = page_text(client.get("/admin/articles?q=nothing-like-this").text)
    assert "No article matches these filters." in empty
    link = soup(client.get("/admin/articles?q=open-one").text).select_one("tbody a")
    assert link is not None and link.get_text() == "Open article"


def test_the_list_filters_by_the_person_who_created_the_article(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client)
    factories.article(db, title="Imported one")
    author = db.scalars(select(User).where(User.role == Role.EDITOR)).one()
    text = page_text(client.get(f"/admin/articles?author={author.id}").text)
    assert "Sleep and mood" in text and "Imported one" not in text


def test_the_empty_list_says_how_to_start(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    assert "There are no articles yet." in page_text(client.get("/admin/articles").text)


def test_tags_of_one_slug_are_attached_once_and_long_ones_are_refused(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, tags="Sleep, sleep!, Mood")
    assert [t.slug for t in stored(db, "sleep-and-mood").tags] == ["mood", "sleep"]
    refused = create(client, title="Other", tags="x" * 121)
    assert refused.status_code == 422 and "at most 120 characters" in page_text(refused.text)
    long_volume = {"ref-0-key": "k", "ref-0-authors": "A", "ref-0-title": "T", "ref-0-volume": "9" * 41}
    refused = create(client, title="Other", body="x[^k]", **long_volume)
    assert refused.status_code == 422 and soup(refused.text).select_one("#ref-0-volume-error") is not None


def test_a_publish_time_is_typed_and_shown_in_the_societys_zone_summer_and_winter(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    client = editor_client(app, db, settings)
    create(client, action="schedule", published_at="2035-07-01T09:30")
    summer = stored(db, "sleep-and-mood")
    create(client, title="Winter", action="schedule", published_at="2035-01-15T09:30")
    winter = stored(db, "winter")
    # Europe/Berlin is two hours ahead of UTC in summer, one in winter.
    assert [(t.month, t.hour, t.minute) for t in (summer.published_at, winter.published_at)] == [
        (7, 7, 30),
        (1, 8, 30),
    ]
    for article, shown in ((summer, "1 July 2035, 09:30 CEST"), (winter, "15 January 2035, 09:30 CET")):
        page = soup(client.get(f"/admin/articles/{article.id}").text)
        assert page.select_one("#published_at")["value"] == article.published_at.strftime("%Y-%m-%dT09:30")
        assert "Publish time (Europe/Berlin)" in page.select_one("label[for=published_at]").get_text()
        assert shown in page.select_one(".editor-status").get_text(" ", strip=True)


def test_a_publish_time_the_clocks_skip_is_refused(app: FastAPI, db: Session, settings: Settings) -> None:
    client = editor_client(app, db, settings)
    # On 25 March 2035 Berlin's clocks go from 02:00 straight to 03:00.
    response = create(client, action="schedule", published_at="2035-03-25T02:30")
    assert response.status_code == 422
    message = soup(response.text).select_one("#published_at-error").get_text()
    assert "2035-03-25 02:30 does not exist in Europe/Berlin" in message
    assert count(db, Article) == 0
