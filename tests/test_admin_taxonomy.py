"""Editors manage categories and tags: create, rename with redirects, merge, delete when unused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.articles.models import Article, ArticleStatus, Category, CategoryRedirect, Tag, TagRedirect
from app.audit.models import AuditEvent
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login, submit
from tests.conftest import page_text, soup


def as_editor(client: TestClient, db: Session, settings: Settings) -> None:
    editor = factories.staff(db, settings, role=Role.EDITOR)
    login(client, editor.email, factories.PASSWORD)


def category_id(db: Session, slug: str) -> int:
    db.expire_all()
    return db.scalars(select(Category.id).where(Category.slug == slug)).one()


def tag_id(db: Session, slug: str) -> int:
    db.expire_all()
    return db.scalars(select(Tag.id).where(Tag.slug == slug)).one()


def actions(db: Session) -> list[str]:
    db.expire_all()
    # In the order they happened: without ORDER BY, PostgreSQL may return rows in any order.
    query = select(AuditEvent.action).where(AuditEvent.target_type.in_(["category", "tag"]))
    return list(db.scalars(query.order_by(AuditEvent.id)))


def titles_on(client: TestClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return [a.get_text(strip=True) for a in soup(response.text).select(".card__title a")]


# --- categories


def test_an_editor_creates_a_category_with_a_slug_made_from_its_name(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_editor(client, db, settings)
    empty = client.get("/admin/categories")
    assert "There are no categories yet." in page_text(empty.text)
    done = submit(
        client,
        "/admin/categories/new",
        {"name": "Healthy lifestyle", "slug": "", "description": "Eating, moving, sleeping."},
        follow=True,
    )
    assert "The category “Healthy lifestyle” was created at /categories/healthy-lifestyle." in page_text(
        done.text
    )
    stored = db.get(Category, category_id(db, "healthy-lifestyle"))
    assert stored is not None and stored.description == "Eating, moving, sleeping."
    listing = soup(client.get("/admin/categories").text)
    row = [cell.get_text(strip=True) for cell in listing.select("tbody tr td")]
    assert row == ["Healthy lifestyle", "/categories/healthy-lifestyle", "0", "0"]
    ident = category_id(db, "healthy-lifestyle")
    same = {
        "name": "Healthy lifestyle",
        "slug": "healthy-lifestyle",
        "description": "Eating, moving, sleeping.",
    }
    submit(client, f"/admin/categories/{ident}", same)
    submit(client, f"/admin/categories/{ident}", {**same, "description": "Everyday habits."})
    assert actions(db) == ["category.created", "category.updated"]
    public = client.get("/categories/healthy-lifestyle")
    assert "Everyday habits." in page_text(public.text)
    assert "No articles have been published in this category yet." in page_text(public.text)


def test_a_duplicate_or_malformed_slug_is_refused_beside_the_field_with_the_values_kept(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, category="Mental health")
    as_editor(client, db, settings)
    taken = submit(
        client,
        "/admin/categories/new",
        {"name": "Mind", "slug": "mental-health", "description": "About the mind"},
    )
    assert taken.status_code == 422
    page = soup(taken.text)
    assert "already has this address" in page.select_one("#slug-error").get_text()
    assert page.select_one("#name")["value"] == "Mind"
    assert page.select_one("#description").get_text() == "About the mind"
    malformed = submit(
        client, "/admin/categories/new", {"name": "", "slug": "Not A Slug!", "description": ""}
    )
    assert malformed.status_code == 422
    errors = soup(malformed.text)
    assert errors.select_one("#name-error").get_text() == "Enter a name"
    assert "lowercase letters" in errors.select_one("#slug-error").get_text()
    db.expire_all()
    assert db.scalar(select(func.count(Category.id))) == 1
    assert actions(db) == []


def test_renaming_a_category_twice_keeps_both_old_addresses_redirecting(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="Sleep well", category="Mind")
    as_editor(client, db, settings)
    ident = category_id(db, "mind")
    page = f"/admin/categories/{ident}"
    first = submit(
        client, page, {"name": "Mind and mood", "slug": "mind-and-mood", "description": ""}, follow=True
    )
    assert "The category “Mind and mood” was saved." in page_text(first.text)
    submit(client, page, {"name": "Mental health", "slug": "mental-health", "description": "Body and mind"})
    for old in ("mind", "mind-and-mood"):
        moved = client.get(f"/categories/{old}", follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, "/categories/mental-health")
    assert client.get("/categories/mind?page=2", follow_redirects=False).headers["location"] == (
        "/categories/mental-health?page=2"
    )
    assert titles_on(client, "/categories/mind") == ["Sleep well"]
    editor_page = page_text(client.get(page).text)
    assert "/categories/mind-and-mood" in editor_page and "Former addresses" in editor_page
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "category.renamed")).all()
    assert [(e.before_state, e.after_state) for e in events] == [
        ("mind", "mind-and-mood"),
        ("mind-and-mood", "mental-health"),
    ]


def test_a_category_takes_back_its_own_former_slug_but_no_other_may_take_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, category="Mind")
    as_editor(client, db, settings)
    ident = category_id(db, "mind")
    submit(client, f"/admin/categories/{ident}", {"name": "Mood", "slug": "mood", "description": ""})
    refused = submit(client, "/admin/categories/new", {"name": "Mind", "slug": "mind", "description": ""})
    assert refused.status_code == 422
    assert "This address still leads to “Mood”" in soup(refused.text).select_one("#slug-error").get_text()
    back = submit(client, f"/admin/categories/{ident}", {"name": "Mind", "slug": "mind", "description": ""})
    assert back.status_code == 303
    db.expire_all()
    assert db.scalars(select(CategoryRedirect.old_slug)).all() == ["mood"]
    assert client.get("/categories/mood", follow_redirects=False).headers["location"] == "/categories/mind"


def test_renaming_to_a_slug_in_use_changes_nothing(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, category="Mind")
    factories.article(db, category="Heart")
    as_editor(client, db, settings)
    ident = category_id(db, "heart")
    refused = submit(
        client, f"/admin/categories/{ident}", {"name": "Cardiology", "slug": "mind", "description": "Hearts"}
    )
    assert refused.status_code == 422
    page = soup(refused.text)
    assert "The category “Mind” already has this address." in page.select_one("#slug-error").get_text()
    assert page.select_one("#name")["value"] == "Cardiology"
    assert page.select_one("h1").get_text() == "Category “Heart”"
    db.expire_all()
    heart = db.get(Category, ident)
    assert heart is not None and (heart.name, heart.slug, heart.description) == ("Heart", "heart", "")
    assert db.scalars(select(CategoryRedirect)).all() == []
    assert actions(db) == []


def test_a_category_in_use_cannot_be_deleted_and_its_page_links_to_the_articles(
    client: TestClient, db: Session, settings: Settings
) -> None:
    used = factories.article(db, title="Draft on stress", category="Mind", status=ArticleStatus.DRAFT)
    as_editor(client, db, settings)
    ident = category_id(db, "mind")
    page = soup(client.get(f"/admin/categories/{ident}").text)
    assert "1 article uses “Mind”, so it cannot be deleted." in page_text(str(page))
    assert page.select_one(f'a[href="/admin/articles/{used.id}"]').get_text() == "Draft on stress"
    assert page.select_one(f'form[action="/admin/categories/{ident}/delete"]') is None
    refused = submit(client, f"/admin/categories/{ident}", {}, action=f"/admin/categories/{ident}/delete")
    assert refused.status_code == 409
    assert "1 article uses “Mind”; give them another one first." in page_text(refused.text)
    assert db.get(Category, ident) is not None
    assert actions(db) == []


def test_an_unused_category_is_deleted_and_its_old_addresses_end(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_editor(client, db, settings)
    submit(client, "/admin/categories/new", {"name": "Spare", "slug": "", "description": ""})
    ident = category_id(db, "spare")
    submit(client, f"/admin/categories/{ident}", {"name": "Extra", "slug": "extra", "description": ""})
    page = soup(client.get(f"/admin/categories/{ident}").text)
    assert page.select_one(f'form[action="/admin/categories/{ident}/delete"] button').get_text() == (
        "Delete “Extra”"
    )
    done = submit(
        client, f"/admin/categories/{ident}", {}, action=f"/admin/categories/{ident}/delete", follow=True
    )
    assert "The category “Extra” was deleted." in page_text(done.text)
    db.expire_all()
    assert db.get(Category, ident) is None
    assert db.scalars(select(CategoryRedirect)).all() == []
    assert client.get("/categories/spare").status_code == 404
    assert actions(db) == ["category.created", "category.renamed", "category.deleted"]


def test_the_category_list_counts_articles_in_every_status_and_paginates(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, category="Alpha")
    factories.article(db, category="Alpha", status=ArticleStatus.DRAFT)
    for name in ("Bravo", "Charlie", "Delta", "Echo"):
        factories.article(db, category=name)
    as_editor(client, db, settings)
    first = soup(client.get("/admin/categories").text)
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in first.select("tbody tr")]
    assert rows[0] == ["Alpha", "/categories/alpha", "2", "1"]
    assert len(rows) == settings.page_size
    assert first.select_one('a[rel="next"]')["href"] == "/admin/categories?page=2"
    second = soup(client.get("/admin/categories?page=2").text)
    assert [td.get_text(strip=True) for td in second.select("tbody tr td:first-child")] == ["Echo"]
    assert client.get("/admin/categories?page=3").status_code == 404


# --- tags


def test_an_editor_creates_and_renames_a_tag_and_both_old_addresses_redirect(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="Night shifts", tags=["Sleep"])
    as_editor(client, db, settings)
    created = submit(client, "/admin/tags/new", {"name": "Vitamin D", "slug": ""}, follow=True)
    assert "The tag “Vitamin D” was created at /tags/vitamin-d." in page_text(created.text)
    duplicate = submit(client, "/admin/tags/new", {"name": "Vitamin D again", "slug": "vitamin-d"})
    assert duplicate.status_code == 422
    assert "The tag “Vitamin D” already has this address." in page_text(duplicate.text)
    ident = tag_id(db, "sleep")
    submit(client, f"/admin/tags/{ident}", {"name": "Rest", "slug": "rest"})
    submit(client, f"/admin/tags/{ident}", {"name": "Sleep and rest", "slug": "sleep-and-rest"})
    for old in ("sleep", "rest"):
        moved = client.get(f"/tags/{old}", follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, "/tags/sleep-and-rest")
    assert titles_on(client, "/tags/sleep") == ["Night shifts"]
    article_page = page_text(client.get("/articles/" + db.scalars(select(Article.slug)).one()).text)
    assert "Sleep and rest" in article_page
    assert actions(db) == ["tag.created", "tag.renamed", "tag.renamed"]


def test_merging_a_tag_moves_its_articles_without_duplicates_and_redirects_its_slugs(
    client: TestClient, db: Session, settings: Settings
) -> None:
    only_old = factories.article(db, title="Only old", tags=["Flu jab"])
    both = factories.article(db, title="Both", tags=["Flu jab", "Vaccination"])
    factories.article(db, title="Only new", tags=["Vaccination"])
    as_editor(client, db, settings)
    source, target = tag_id(db, "flu-jab"), tag_id(db, "vaccination")
    submit(client, f"/admin/tags/{source}", {"name": "Flu shot", "slug": "flu-shot"})

    choose = soup(client.get(f"/admin/tags/{source}").text)
    label = choose.select_one('label[for="into"]').get_text(strip=True)
    assert label == "Tag to merge “Flu shot” into"
    assert choose.select_one('form[method="get"] select#into') is not None
    review = client.get(f"/admin/tags/{source}/merge?into={target}")
    summary = page_text(soup(review.text).select_one(".callout").decode())
    assert (
        "2 articles carry “Flu shot”; after the merge they all carry “Vaccination” (1 already does)."
        in summary
    )
    assert "/tags/flu-shot, /tags/flu-jab will lead to /tags/vaccination." in summary
    db.expire_all()
    assert db.get(Tag, source) is not None  # reviewing changes nothing

    done = submit(client, f"/admin/tags/{source}/merge?into={target}", {"into": str(target)}, follow=True)
    assert "“Flu shot” was merged into “Vaccination”; 2 articles carried it." in page_text(done.text)
    db.expire_all()
    assert db.get(Tag, source) is None
    for item in (only_old, both):
        db.refresh(item)
        assert [t.slug for t in item.tags] == ["vaccination"]
    assert sorted(db.scalars(select(TagRedirect.old_slug)).all()) == ["flu-jab", "flu-shot"]
    for old in ("flu-jab", "flu-shot"):
        assert client.get(f"/tags/{old}", follow_redirects=False).headers["location"] == "/tags/vaccination"
    assert sorted(titles_on(client, "/tags/vaccination")) == ["Both", "Only new", "Only old"]
    api = client.get(f"/api/v1/articles/{both.slug}").json()
    assert api["tags"] == [{"slug": "vaccination", "name": "Vaccination", "names": {"en": "Vaccination"}}]
    assert actions(db) == ["tag.renamed", "tag.merged"]
    reserved = submit(client, "/admin/tags/new", {"name": "Flu jab", "slug": ""})
    assert reserved.status_code == 422
    assert "This address still leads to the tag “Vaccination”." in page_text(reserved.text)


def test_a_merge_without_a_valid_target_is_refused_beside_the_choice(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, tags=["Flu", "Cold"])
    as_editor(client, db, settings)
    ident = tag_id(db, "flu")
    for chosen in ("", str(ident), "999999", "abc", "99999999999999999999"):
        refused = submit(client, f"/admin/tags/{ident}/merge", {"into": chosen})
        assert refused.status_code == 422, chosen
        assert soup(refused.text).select_one("#into-error").get_text().startswith("Choose")
    assert client.get(f"/admin/tags/{ident}/merge?into={ident}").status_code == 422
    db.expire_all()
    assert db.get(Tag, ident) is not None
    assert actions(db) == []
    submit(client, f"/admin/tags/{ident}/merge", {"into": str(tag_id(db, "cold"))})
    alone = page_text(client.get(f"/admin/tags/{tag_id(db, 'cold')}").text)
    assert "There is no other tag to merge this one into." in alone


def test_a_tag_in_use_cannot_be_deleted_but_an_unused_one_can(
    client: TestClient, db: Session, settings: Settings
) -> None:
    used = factories.article(db, title="Carries it", tags=["Flu"])
    as_editor(client, db, settings)
    ident = tag_id(db, "flu")
    refused = submit(client, f"/admin/tags/{ident}", {}, action=f"/admin/tags/{ident}/delete")
    assert refused.status_code == 409
    assert "1 article uses “Flu”; give them another one first." in page_text(refused.text)
    assert soup(refused.text).select_one(f'a[href="/admin/articles/{used.id}"]') is not None
    submit(client, "/admin/tags/new", {"name": "Unused", "slug": ""})
    spare = tag_id(db, "unused")
    done = submit(client, f"/admin/tags/{spare}", {}, action=f"/admin/tags/{spare}/delete", follow=True)
    assert "The tag “Unused” was deleted." in page_text(done.text)
    db.expire_all()
    assert db.get(Tag, spare) is None and db.get(Tag, ident) is not None
    assert actions(db) == ["tag.created", "tag.deleted"]


def test_the_tag_list_shows_counts_and_an_empty_state(
    client: TestClient, db: Session, settings: Settings
) -> None:
    as_editor(client, db, settings)
    assert "There are no tags yet." in page_text(client.get("/admin/tags").text)
    factories.article(db, tags=["Flu"])
    factories.article(db, tags=["Flu"], status=ArticleStatus.ARCHIVED)
    rows = soup(client.get("/admin/tags").text).select("tbody tr td")
    assert [td.get_text(strip=True) for td in rows] == ["Flu", "/tags/flu", "2", "1"]


# --- who may


@pytest.mark.parametrize("kind", ["editor", "admin"])
def test_editors_and_admins_open_the_pages_and_see_them_in_the_navigation(
    kind: str, app: FastAPI, db: Session, settings: Settings
) -> None:
    from tests.viewers import browser_for

    client = browser_for(kind, app, db, settings)
    page = soup(client.get("/admin/categories").text)
    assert page.select_one('.admin-nav a[aria-current="page"]').get_text() == "Categories and tags"
    assert client.get("/admin/tags").status_code == 200
    client.__exit__(None, None, None)


def test_a_reviewer_is_refused_and_not_shown_the_link(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, tags=["Flu"])
    reviewer = factories.staff(db, settings, role=Role.REVIEWER)
    login(client, reviewer.email, factories.PASSWORD)
    assert "Categories and tags" not in page_text(client.get("/admin").text)
    for path in ("/admin/categories", "/admin/tags", f"/admin/tags/{tag_id(db, 'flu')}"):
        assert client.get(path).status_code == 403
    refused = submit(
        client, "/admin", {"name": "X", "slug": "x", "description": ""}, action="/admin/categories/new"
    )
    assert refused.status_code == 403
    db.expire_all()
    assert db.scalars(select(Category.slug).where(Category.slug == "x")).first() is None


def test_an_article_filed_under_a_former_name_joins_the_renamed_category_and_tag(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="First", category="Mind", tags=["Sleep"])
    as_editor(client, db, settings)
    submit(
        client,
        f"/admin/categories/{category_id(db, 'mind')}",
        {"name": "Mental health", "slug": "mental-health"},
    )
    submit(client, f"/admin/tags/{tag_id(db, 'sleep')}", {"name": "Rest", "slug": "rest"})
    # As `portal import` of an older file would: the old names, not the new ones.
    factories.article(db, title="Second", category="Mind", tags=["Sleep", "Rest"])
    db.expire_all()
    assert [c.slug for c in db.scalars(select(Category))] == ["mental-health"]
    assert [t.slug for t in db.scalars(select(Tag))] == ["rest"]
    assert (
        client.get("/categories/mind", follow_redirects=False).headers["location"]
        == "/categories/mental-health"
    )
    assert sorted(titles_on(client, "/tags/rest")) == ["First", "Second"]
