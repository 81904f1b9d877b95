"""The editor's live preview: the typed body as one chosen reader would see it, as a fragment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.articles.models import Article
from app.core.config import Settings
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import SharedEngines, page_text, soup
from tests.test_admin_articles import count, editor_client, form

PANE = "/admin/articles/preview/pane"
PUBLIC = "Open words."
PHYSICIANS = "Dosing for physicians only."
PHARMACISTS = "Interactions for pharmacists only."
BODY = (
    f"{PUBLIC} See the trial.[^walker]\n\n::: professional physician\n{PHYSICIANS}\n:::\n\n"
    f"::: professional pharmacist\n{PHARMACISTS}\n:::\n"
)
WALKER = {
    "ref-0-key": "walker",
    "ref-0-authors": "Walker M",
    "ref-0-title": "Why we sleep",
    "ref-0-journal": "Sleep",
    "ref-0-year": "2009",
    "ref-0-doi": "10.1000/sleep.1",
    "ref-0-pmid": "123456",
}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, shared_engines: SharedEngines) -> Iterator[str]:
    """SQLite alone: the live preview reads nothing from the database (only the login does)."""
    url: str = request.getfixturevalue("sqlite_database")
    yield url
    shared_engines.empty(url)


@pytest.fixture
def editor(app: FastAPI, db: Session, settings: Settings) -> TestClient:
    return editor_client(app, db, settings)


def pane(client: TestClient, viewer: str, **fields: Any) -> str:
    response = submit(client, "/admin/articles/new", form(viewer=viewer, **fields), action=PANE)
    assert response.status_code == 200
    return response.text


def test_each_reader_sees_only_what_the_access_rule_lets_them_read(editor: TestClient, db: Session) -> None:
    seen = {viewer: page_text(pane(editor, viewer, body=BODY, **WALKER)) for viewer in
            ("visitor", "physician", "pharmacist", "staff")}  # fmt: skip
    assert PUBLIC in seen["visitor"] and "Request access" in seen["visitor"]
    assert PHYSICIANS not in seen["visitor"] and PHARMACISTS not in seen["visitor"]
    assert PHYSICIANS in seen["physician"] and PHARMACISTS not in seen["physician"]
    assert PHARMACISTS in seen["pharmacist"] and PHYSICIANS not in seen["pharmacist"]
    assert PHYSICIANS in seen["staff"] and PHARMACISTS in seen["staff"]
    assert "What pharmacists see" in seen["pharmacist"] and "What a visitor sees" in seen["visitor"]
    assert count(db, Article) == 0


def test_the_fragment_holds_the_pane_and_its_references_not_a_page(editor: TestClient) -> None:
    html = pane(editor, "visitor", body=BODY, **WALKER)
    page = soup(html)
    assert page.select_one("html") is None and page.select_one("nav") is None
    assert page.select_one(".preview-pane__title").get_text() == "Sleep and mood"
    cited = page.select_one(".references li").get_text(" ", strip=True)
    assert "Walker M. Why we sleep." in cited and "doi:10.1000/sleep.1" in cited and "PubMed 123456" in cited


def test_an_article_for_prescribers_is_locked_for_a_visitor_but_not_for_a_dentist(editor: TestClient) -> None:
    fields = {"body": "Secret clinical text.", "audience": "prescribers"}
    visitor = page_text(pane(editor, "visitor", **fields))
    assert "Secret clinical text." not in visitor and "How sleep shapes mood." in visitor
    assert "For prescribers" in visitor
    assert "Secret clinical text." in page_text(pane(editor, "dentist", **fields))


def test_what_a_save_would_refuse_in_the_body_is_named_above_the_pane(editor: TestClient) -> None:
    page = soup(pane(editor, "visitor", body="See [^missing]."))
    problems = page.select_one(".live-preview__problems").get_text()
    assert "citation [^missing] has no matching reference" in problems
    assert "See [missing?]." in page.select_one(".preview-pane").get_text()
    unclear = soup(pane(editor, "visitor", audience="professions"))
    assert unclear.select_one(".preview-pane") is None
    assert "Tick at least one profession" in unclear.get_text()


def test_the_live_preview_needs_the_forms_token(editor: TestClient) -> None:
    response = editor.post(PANE, data={"body": PHYSICIANS, "viewer": "staff"})
    assert response.status_code == 403 and PHYSICIANS not in response.text


def test_each_reference_is_a_row_of_labelled_fields_that_names_its_citation(editor: TestClient) -> None:
    # Refused for its empty summary: the page comes back with the reference as typed.
    response = submit(editor, "/admin/articles/new", form(summary="", body=BODY, **WALKER))
    assert response.status_code == 422
    row = soup(response.text).select(".reference-row")[0]
    assert row.legend.get_text() == "Reference 1"
    labels = {label.get_text(" ", strip=True): label["for"] for label in row.select("label")}
    assert labels["Reference 1: DOI"] == "ref-0-doi" and labels["Reference 1: PubMed ID"] == "ref-0-pmid"
    assert row.select_one("#ref-0-doi")["value"] == "10.1000/sleep.1"
    assert row.select_one("#ref-0-pmid")["value"] == "123456"
    # Without scripts the citation is there to copy; the script shows the button that inserts it.
    assert (
        row.select_one(".reference-row__cite").get_text(" ", strip=True)
        == "Cite it as [^walker] Insert citation"
    )
    assert row.select_one("button[data-cite='ref-0-key']").has_attr("hidden")


def test_a_block_for_an_unknown_audience_is_named_not_rendered_in_either_preview(editor: TestClient) -> None:
    # Half-typed while the live preview follows the typing: `::: professional phys`.
    body = f"{PUBLIC}\n\n::: professional phys\n{PHYSICIANS}\n:::\n"
    live = soup(pane(editor, "visitor", body=body))
    assert "unknown audience 'phys'" in live.select_one(".live-preview__problems").get_text()
    assert live.select_one(".preview-pane") is None and PHYSICIANS not in live.get_text()
    full = submit(editor, "/admin/articles/new", form(body=body), action="/admin/articles/new/preview")
    assert full.status_code == 200 and "unknown audience 'phys'" in page_text(full.text)
    assert PHYSICIANS in soup(full.text).select_one("#body").get_text()  # kept where it was typed
    assert soup(full.text).select_one(".preview-pane") is None
