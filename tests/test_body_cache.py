"""A body is rendered once per variant, and a variant is only ever served to viewers it fits."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.articles import body_cache, markdown
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import page_text, soup
from tests.viewers import browser_for

BODY = """Open to everyone.

::: professional physician
Physicians only: start low.
:::

::: professional pharmacist
Pharmacists only: check interactions.
:::

::: professional
Every profession: the long view.
:::
"""

SEES = {
    "physician": {"Open to everyone.", "Physicians only", "Every profession"},
    "pharmacist": {"Open to everyone.", "Pharmacists only", "Every profession"},
    "visitor": {"Open to everyone."},
    "unconsented": {"Open to everyone."},
    "pending": {"Open to everyone."},
    "admin": {"Open to everyone.", "Physicians only", "Pharmacists only", "Every profession"},
}
GATED = {"Physicians only", "Pharmacists only", "Every profession"}


def test_each_viewer_reads_exactly_its_own_variant_after_others_were_cached(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    article = factories.article(db, slug="dosing", body=BODY)
    path = f"/articles/{article.slug}"
    # Twice each, in an order where every variant is cached before a differing viewer arrives.
    for kind in [*SEES, *reversed(SEES)]:
        text = page_text(browser_for(kind, app, db, settings).get(path).text)
        seen = {phrase for phrase in GATED | {"Open to everyone."} if phrase in text}
        assert seen == SEES[kind], kind


def test_api_and_page_share_one_rendering_per_variant(
    app: FastAPI, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = factories.article(db, slug="shared-render", body=BODY)
    calls: list[str] = []
    original = markdown.render_body

    def counting(source: str, **kwargs: object) -> markdown.RenderedBody:
        calls.append(source)
        return original(source, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(body_cache, "render_body", counting)
    visitor = browser_for("visitor", app, db, settings)
    for path in (f"/articles/{article.slug}", f"/api/v1/articles/{article.slug}") * 2:
        assert visitor.get(path).status_code == 200
    assert len(calls) == 1


def test_a_save_retires_the_old_rendering(app: FastAPI, db: Session, settings: Settings) -> None:
    factories.article(db, slug="changing", body="The first text.")
    visitor = browser_for("visitor", app, db, settings)
    assert "The first text." in page_text(visitor.get("/articles/changing").text)
    factories.article(db, slug="changing", body="The second text.")
    text = page_text(visitor.get("/articles/changing").text)
    assert "The second text." in text and "The first text." not in text


def test_the_cache_holds_rendered_text_up_to_its_size_and_forgets_the_least_read() -> None:
    cache: body_cache._Lru[str] = body_cache._Lru(10, len)
    made: list[str] = []

    def read(key: str) -> str:
        def make() -> str:
            made.append(key)
            return key * 3

        return cache.get(key, make)

    for key in ("a", "b", "c", "a", "d"):  # 12 bytes with "d": "b", read least lately, goes
        read(key)
    made.clear()
    for key in ("a", "d", "b"):
        read(key)
    assert made == ["b"] and cache.weight == 9


def test_a_body_larger_than_the_whole_cache_is_served_but_not_kept() -> None:
    cache: body_cache._Lru[str] = body_cache._Lru(10, len)
    assert cache.get("big", lambda: "x" * 11) == "x" * 11
    assert cache.weight == 0


def test_every_locked_block_of_one_audience_gets_its_panel_from_the_cache(
    client: TestClient, db: Session
) -> None:
    body = "::: professional dentist\nOne.\n:::\n\nOpen.\n\n::: professional dentist\nTwo.\n:::\n"
    factories.article(db, slug="twice", body=body)
    for _ in range(2):  # rendered, then from the cache
        page = client.get("/articles/twice").text
        assert len(soup(page).select(".prose .locked-panel")) == 2 and "locked-panel-" not in page


def test_the_tenth_audience_of_a_body_gets_its_own_panel(client: TestClient, db: Session) -> None:
    # A slot's marker ends where its number does: the first slot's is no prefix of the tenth's.
    nine = ["physician", "dentist", "pharmacist", "veterinarian", "psychotherapist", "naturopath"]
    nine += ["physiotherapist", "therapist", "other"]
    audiences = [*nine, "dentist pharmacist"]
    body = "\n\n".join(
        f"::: professional {audience}\nLocked text {n}.\n:::" for n, audience in enumerate(audiences)
    )
    factories.article(db, slug="ten", body=body)
    for _ in range(2):  # rendered, then from the cache
        prose = soup(client.get("/articles/ten").text).select_one(".prose")
        titles = [page_text(str(title)) for title in prose.select(".locked-panel__title")]
        assert titles[-1] == "🔒︎ For dentists, pharmacists" and titles.count("🔒︎ For physicians") == 1
        assert not [text for text in prose.find_all(string=True, recursive=False) if text.strip()]
