"""One cap on an article body for the editor and the importer, said beside the body with the text
kept: its size, its nesting and how much Markdown it holds (bench/render_worst_case.py shows that
what passes renders quickly)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.articles import body_limits
from app.articles.markdown import PARSER, check_body
from app.articles.models import Article
from app.core.config import Settings
from app.main import FORM_OVERHEAD_BYTES, create_app
from app.publishing.importer import ImportProblem, import_file
from tests.asgi_client import TestClient
from tests.browsing import submit
from tests.conftest import soup
from tests.test_admin_articles import count, create, editor_client, form
from tests.test_import import GOOD, write

PARAGRAPH = "Sleep shapes how we feel, and how we feel shapes how we sleep. " * 15 + "\n\n"


def body_of(size: int) -> str:
    """Plain prose of about `size` bytes."""
    return (PARAGRAPH * (size // len(PARAGRAPH) + 1))[:size]


def nested_quotes(depth: int) -> str:
    return "".join("> " * level + "A quoted line.\n" for level in range(1, depth + 1))


def nested_list(depth: int) -> str:
    return "".join("  " * level + "- An item\n" for level in range(depth))


def body_error(response) -> str:  # type: ignore[no-untyped-def]
    return soup(response.text).select_one("#body-error").get_text()


@pytest.fixture
def editor(app: FastAPI, db: Session, settings: Settings) -> TestClient:
    return editor_client(app, db, settings)


def test_a_long_article_within_the_cap_is_saved(editor: TestClient, db: Session) -> None:
    body = body_of(150 * 1024)
    response = create(editor, body=body)
    assert response.status_code == 303
    assert db.query(Article).one().body == body


@pytest.mark.parametrize("size", [body_limits.ARTICLE_MAX_BYTES + 1, 2 * 1024 * 1024])
def test_a_body_over_the_cap_is_refused_beside_the_field_with_the_text_kept(
    editor: TestClient, db: Session, size: int
) -> None:
    body = body_of(size)
    response = create(editor, body=body, title="A very long article")
    assert response.status_code == 422
    kilobytes = -(-size // 1024)
    assert body_error(response) == (
        f"The body is {kilobytes:,} KB; an article can hold at most 200 KB. "
        "Split it into two articles, or shorten it."
    )
    assert soup(response.text).select_one("#body").text == body
    assert soup(response.text).select_one("#title")["value"] == "A very long article"
    assert count(db, Article) == 0


def test_a_body_up_to_the_request_limit_still_gets_the_form_back(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    small = settings.model_copy(update={"upload_max_bytes": 1024 * 1024})
    limited = create_app(small)
    client = editor_client(limited, db, small)
    body = body_of(small.upload_max_bytes + FORM_OVERHEAD_BYTES - 64 * 1024)
    response = create(client, body=body)
    assert response.status_code == 422
    assert "an article can hold at most 200 KB" in body_error(response)
    assert soup(response.text).select_one("#body").text == body
    client.__exit__(None, None, None)
    limited.state.engine.dispose()


@pytest.mark.parametrize(
    ("body", "line", "depth"),
    [(nested_quotes(9), 9, 9), (nested_list(9), 9, 9), (nested_list(12), 9, 9)],
    ids=["quotes", "lists", "lists past the parser's own limit"],
)
def test_blocks_nested_too_deeply_are_refused_with_their_line(
    editor: TestClient, db: Session, body: str, line: int, depth: int
) -> None:
    response = create(editor, body=body)
    assert response.status_code == 422
    assert body_error(response) == (
        f"line {line}: blocks are nested {depth} deep here (lists, quotes and ::: blocks inside one "
        "another); at most 8 levels can be shown. Flatten the structure."
    )
    assert soup(response.text).select_one("#body").text == body
    assert count(db, Article) == 0


def test_blocks_nested_up_to_the_limit_are_accepted() -> None:
    assert check_body(nested_quotes(8) + "\n" + nested_list(8), set()) == []


def test_a_body_with_too_much_markup_is_refused(editor: TestClient, db: Session) -> None:
    body = "A *b* " * 3000  # two markup characters each: 6,000
    assert check_body(body, set()) == []
    response = create(editor, body=body * 3)
    assert response.status_code == 422
    assert body_error(response) == (
        "The body has 18,000 Markdown markup characters (such as * _ [ ] ` | # > and line breaks); "
        f"an article can hold at most {body_limits.MAX_MARKUP:,}. Split it into two articles."
    )


def test_a_body_with_too_many_elements_is_refused_at_the_line_where_it_passes_the_cap(
    editor: TestClient, db: Session
) -> None:
    # A link is three elements and the space after it one more, for two markup characters ([ and ]).
    paragraphs = ["[a](b) " * 10 for _ in range(body_limits.MAX_ELEMENTS // 40 + 10)]
    body = "\n\n".join(paragraphs)
    response = create(editor, body=body)
    assert response.status_code == 422
    line, message = body_error(response).split(": ", 1)
    assert message == (
        f"the body holds more than {body_limits.MAX_ELEMENTS:,} Markdown elements (paragraphs, list "
        "items, links, emphasis, table cells and the like) by this line; split it into two articles."
    )
    assert line.startswith("line ") and body.count("\n") // 2 < int(line.removeprefix("line ")) < body.count(
        "\n"
    )


def test_the_preview_of_a_body_over_the_cap_shows_no_panes(editor: TestClient, db: Session) -> None:
    body = body_of(body_limits.ARTICLE_MAX_BYTES + 1)
    response = submit(editor, "/admin/articles/new", form(body=body), action="/admin/articles/new/preview")
    assert "an article can hold at most 200 KB" in body_error(response)
    page = soup(response.text)
    assert page.select(".preview-pane") == []
    assert "Fix the body to see the preview." in page.select_one(".editor__panes").get_text()
    assert page.select_one("#body").text == body


def test_the_importer_refuses_a_body_over_the_cap(db: Session, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + body_of(body_limits.ARTICLE_MAX_BYTES))
    with pytest.raises(ImportProblem) as raised:
        import_file(db, path, media_dir=tmp_path / "media")
    assert str(raised.value) == (
        f"{path}: The body is 201 KB; an article can hold at most 200 KB. "
        "Split it into two articles, or shorten it."
    )


def test_the_importer_refuses_deep_nesting_at_its_line(db: Session, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "\n" + nested_quotes(9))
    with pytest.raises(ImportProblem) as raised:
        import_file(db, path, media_dir=tmp_path / "media")
    assert raised.value.line == GOOD.count("\n") + 1 + 9
    assert "blocks are nested 9 deep here" in raised.value.message


def test_every_character_the_parser_stops_at_counts_as_markup() -> None:
    stops = {chr(code) for code in range(1, 0x2000) if PARSER.inline.terminator_re.match(chr(code))}
    assert stops and all(body_limits.MARKUP.match(char) for char in stops | {"|"})
