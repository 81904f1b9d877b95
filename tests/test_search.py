"""Search finds what a viewer may read, and nothing of the rest: not in results, counts or snippets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.access.models import RequestState
from app.articles.models import ArticleStatus
from app.cli import main
from app.core.config import Settings
from app.core.db import utcnow
from app.core.policy import Profession
from app.search import service
from app.search.models import SearchEntry
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup

GATED_BODY = """Open words about quinoa and sleep.

::: professional
Dosing notes: zorbulate twice daily.
:::

::: professional prescribers
Prescription notes: vexaprine for adults.
:::

Closing words about quinoa.
"""


@dataclass
class Results:
    """What a person sees on a search page."""

    html: str
    titles: list[str]
    snippets: list[str]
    summary: str

    @property
    def marks(self) -> list[str]:
        return [m.get_text() for m in BeautifulSoup(self.html, "html.parser").select(".search-results mark")]


def search(client: TestClient, query: str, page: int | None = None) -> Results:
    params: dict[str, str | int] = {"q": query}
    if page:
        params["page"] = page
    response = client.get("/search", params=params)
    assert response.status_code == 200
    html = soup(response.text)
    summary = html.select_one(".search-summary, .empty-state")
    return Results(
        response.text,
        [a.get_text(strip=True) for a in html.select(".search-result .card__title a")],
        [str(s) for s in html.select(".search-result__snippet")],
        page_text(str(summary)) if summary else "",
    )


def log_in_as(client: TestClient, db: Session, settings: Settings, kind: str) -> TestClient:
    """Log the client in as a fresh person of this kind: a request state, a profession, or staff."""
    if kind == "staff":
        email = factories.staff(db, settings).email
    elif kind in RequestState.__members__.values():
        email = factories.applicant(db, settings, state=RequestState(kind)).user.email
    else:
        email = factories.applicant(
            db, settings, state=RequestState.APPROVED, profession=Profession(kind)
        ).user.email
    login(client, email, factories.PASSWORD)
    return client


def test_an_empty_query_shows_the_search_form(client: TestClient) -> None:
    html = soup(client.get("/search").text)
    form = html.select_one('main form[role="search"]')
    assert form is not None and form["method"] == "get"
    field = form.select_one('input[name="q"]')
    assert field is not None and html.select_one(f'label[for="{field["id"]}"]') is not None
    assert html.select(".search-result") == []


def test_public_text_is_ranked_and_highlighted(client: TestClient, db: Session) -> None:
    factories.article(db, title="Sleep and mood", body="How rest shapes the day.")
    factories.article(db, title="Evenings", body="A long text. " * 40 + "Sleeping well matters.")
    factories.article(db, title="Nutrition", body="Nothing on that here.")
    results = search(client, "sleep")
    assert results.titles == ["Sleep and mood", "Evenings"]
    assert results.summary == "2 articles match “sleep”."
    assert "<mark>Sleeping</mark> well matters" in results.snippets[1]
    html = soup(results.html)
    assert html.select_one('main input[name="q"]')["value"] == "sleep"  # type: ignore[index]


def test_every_word_must_match_and_no_match_says_so(client: TestClient, db: Session) -> None:
    factories.article(db, title="Sleep and mood", body="Rest.")
    assert search(client, "sleep mood").titles == ["Sleep and mood"]
    results = search(client, "sleep walrus")
    assert results.titles == []
    assert results.summary.startswith("No articles match “sleep walrus”.")


@pytest.mark.parametrize("kind", ["visitor", "pending", "therapist"])
def test_a_gated_word_is_found_by_no_one_who_may_not_read_it(
    kind: str, client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="Quinoa notes", body=GATED_BODY)
    if kind != "visitor":
        log_in_as(client, db, settings, kind)
    hidden = ["vexaprine"] if kind == "therapist" else ["zorbulate", "vexaprine", "dosing"]
    for word in hidden:
        results = search(client, word)
        assert results.titles == [] and results.snippets == []
        assert results.summary.startswith(f"No articles match “{word}”.")
    # The article is still found by its public words, and its snippet shows only those.
    results = search(client, "quinoa")
    assert results.titles == ["Quinoa notes"]
    assert results.summary == "1 article matches “quinoa”."
    for word in hidden:
        assert word not in results.html.lower()


def test_counts_leave_out_articles_matching_only_in_gated_text(client: TestClient, db: Session) -> None:
    factories.article(db, title="Open", body="Zorbulate is mentioned openly here.")
    factories.article(db, title="Gated", body=GATED_BODY)
    results = search(client, "zorbulate")
    assert results.titles == ["Open"]
    assert results.summary == "1 article matches “zorbulate”."


@pytest.mark.parametrize("profession", ["therapist", "physician"])
def test_a_professional_finds_gated_text_of_their_audience_highlighted(
    profession: str, client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="Quinoa notes", body=GATED_BODY)
    log_in_as(client, db, settings, profession)
    results = search(client, "zorbulate")
    assert results.titles == ["Quinoa notes"]
    assert results.marks == ["zorbulate"]
    assert "Dosing notes" in results.snippets[0]
    assert "vexaprine" not in results.snippets[0]
    prescribers = search(client, "vexaprine")
    assert prescribers.titles == (["Quinoa notes"] if profession == "physician" else [])
    assert "zorbulate" not in prescribers.html


def test_staff_find_every_gated_text(client: TestClient, db: Session, settings: Settings) -> None:
    factories.article(db, title="Quinoa notes", body=GATED_BODY)
    factories.article(db, title="Clinic only", body="Body about kelmorine.", audience="psychotherapist")
    log_in_as(client, db, settings, "staff")
    for word in ("zorbulate", "vexaprine", "kelmorine"):
        results = search(client, word)
        assert len(results.titles) == 1 and results.marks == [word]


def test_a_whole_gated_article_is_found_by_visitors_only_by_title_and_summary(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(
        db,
        title="Lithium monitoring",
        summary="What clinics check.",
        body="Serum quarnelite levels every three months.",
        audience="prescribers",
    )
    assert search(client, "lithium").titles == ["Lithium monitoring"]
    assert search(client, "clinics").titles == ["Lithium monitoring"]
    for word in ("quarnelite", "serum", "months"):
        assert search(client, word).titles == []
    assert "quarnelite" not in search(client, "lithium").html.lower()
    log_in_as(client, db, settings, "pharmacist")
    assert search(client, "quarnelite").marks == ["quarnelite"]


def test_a_block_inside_a_gated_article_needs_both_audiences(
    client: TestClient, db: Session, settings: Settings
) -> None:
    body = (
        "For all prescribers.\n\n::: professional physician psychotherapist\nPhysicians only: dravex.\n:::\n"
    )
    factories.article(db, title="Nested", body=body, audience="prescribers")
    log_in_as(client, db, settings, "pharmacist")
    assert search(client, "dravex").titles == []
    assert search(client, "prescribers").titles == ["Nested"]
    other = TestClient(client.app)
    with other:
        log_in_as(other, db, settings, "psychotherapist")
        assert search(other, "dravex").titles == []
        log_in_as(other, db, settings, "physician")
        assert search(other, "dravex").titles == ["Nested"]


def test_drafts_and_scheduled_articles_never_appear(
    client: TestClient, db: Session, settings: Settings
) -> None:
    factories.article(db, title="Draft plimsoll", status=ArticleStatus.DRAFT)
    factories.article(
        db,
        title="Scheduled plimsoll",
        status=ArticleStatus.SCHEDULED,
        published_at=utcnow() + timedelta(days=2),
    )
    factories.article(
        db, title="Future plimsoll", status=ArticleStatus.PUBLISHED, published_at=utcnow() + timedelta(days=2)
    )
    factories.article(db, title="Archived plimsoll", status=ArticleStatus.ARCHIVED)
    assert search(client, "plimsoll").titles == []
    log_in_as(client, db, settings, "staff")
    assert search(client, "plimsoll").titles == []


def test_saving_again_reindexes_the_article(client: TestClient, db: Session) -> None:
    factories.article(db, slug="moving", title="Moving", body="Public talk of brelvane.")
    assert search(client, "brelvane").titles == ["Moving"]
    factories.article(db, slug="moving", title="Moving", body="::: professional\nNow brelvane is gated.\n:::")
    assert search(client, "brelvane").titles == []


def test_an_article_changed_without_reindexing_drops_out_of_search(client: TestClient, db: Session) -> None:
    article = factories.article(db, title="Stale", body="Public talk of brelvane.")
    article.body = "::: professional\nNow brelvane is gated.\n:::"
    db.commit()
    assert search(client, "brelvane").titles == []
    assert search(client, "stale").titles == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"sleep',
        "*",
        "sleep*",
        "-sleep",
        "NEAR(",
        "NEAR(sleep mood)",
        "a OR",
        "sleep AND NOT mood",
        "(sleep",
        "title:sleep",
        "^sleep",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\\",
        "%_",
        "\u0000sleep",
        "\ue000sleep\ue001",
        "ﬁsh café 睡眠 😴",
        "sleep " * 400,
        "x" * 2000,
    ],
)
def test_odd_queries_give_a_page(query: str, client: TestClient, db: Session) -> None:
    factories.article(db, title="Sleep and mood", body="Rest.")
    results = search(client, query)
    assert "<script>alert" not in results.html
    field = soup(results.html).select_one('main input[name="q"]')
    assert field is not None and len(str(field["value"])) <= service.MAX_QUERY_CHARS


def test_queries_are_reduced_to_plain_words() -> None:
    assert service.query_terms('NEAR("a" b*) OR -c') == ["near", "a", "b", "or", "c"]
    assert service.query_terms("<b>Café</b>") == ["b", "café"]
    assert service.query_terms("x" * 2000) == ["x" * service.MAX_QUERY_CHARS]
    assert len(service.query_terms(" ".join(f"w{n}" for n in range(50)))) == service.MAX_TERMS


def test_snippets_show_markup_in_the_text_as_text(client: TestClient, db: Session) -> None:
    body = "Write <b>bold</b> & <script>alert(1)</script> with care, as 2 < 5 mg ostrelin daily."
    factories.article(db, title="Markup", body=body)
    results = search(client, "ostrelin")
    snippet = soup(results.snippets[0])
    assert snippet.find("b") is None and snippet.find("script") is None
    assert [m.get_text() for m in snippet.select("mark")] == ["ostrelin"]
    assert "&amp;" in results.snippets[0] and "&lt; 5 mg" in results.snippets[0]
    assert "<script>alert(1)</script>" not in results.html
    if db.get_bind().dialect.name == "sqlite":
        # PostgreSQL's headline drops tag-like words altogether; SQLite keeps them, escaped.
        assert "&lt;b&gt;bold&lt;/b&gt;" in results.snippets[0]


def test_results_are_paginated_keeping_the_query(client: TestClient, db: Session) -> None:
    for number in range(6):
        factories.article(db, title=f"Tandem {number}", published_at=utcnow() - timedelta(days=number + 1))
    first = search(client, "tandem")
    assert first.titles == ["Tandem 0", "Tandem 1", "Tandem 2", "Tandem 3"]
    assert first.summary == "6 articles match “tandem”."
    next_link = soup(first.html).select_one('a[rel="next"]')
    assert next_link is not None
    second = client.get(str(next_link["href"]))
    assert [a.get_text(strip=True) for a in soup(second.text).select(".search-result .card__title a")] == [
        "Tandem 4",
        "Tandem 5",
    ]
    assert 'value="tandem"' in second.text
    assert "only 2 pages" in search(client, "tandem", page=9).summary
    assert search(client, "tandem", page="x").titles == first.titles  # type: ignore[arg-type]


def test_a_word_in_many_articles_is_ranked_among_the_newest_matches(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "SEARCH_CANDIDATES", 3)
    factories.article(db, title="Tandem tandem old", published_at=utcnow() - timedelta(days=9))
    for number in range(3):
        factories.article(db, title=f"Tandem {number}", published_at=utcnow() - timedelta(days=number + 1))
    # Newer gated matches a visitor may not read take none of the visitor's places.
    for _ in range(4):
        factories.article(db, title="Clinic", body="::: professional\nTandem notes.\n:::")
    found = search(client, "tandem")
    assert found.titles == ["Tandem 0", "Tandem 1", "Tandem 2"]
    assert (
        found.summary
        == "Many articles match “tandem”: here are the best 3 of the newest. More words find fewer."
    )
    assert search(client, "tandem old").titles == ["Tandem tandem old"]


def test_gated_text_does_not_change_the_order_of_a_visitors_results(client: TestClient, db: Session) -> None:
    # Corpus statistics (bm25's IDF) would count the gated rows and put "Second" first.
    factories.article(db, title="First", body="Alpha alpha gamma.", published_at=utcnow() - timedelta(days=1))
    factories.article(
        db, title="Second", body="Alpha gamma gamma.", published_at=utcnow() - timedelta(days=2)
    )
    before = search(client, "alpha gamma").titles
    assert before == ["First", "Second"]
    for _ in range(8):
        factories.article(db, title="Clinic", body="::: professional\nAlpha alpha alpha notes.\n:::")
    assert search(client, "alpha gamma").titles == before


def test_the_reindex_command_rebuilds_search_for_every_article(
    client: TestClient, db: Session, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.article(db, title="Sleep and mood", body="How rest shapes the day.")
    db.execute(delete(SearchEntry))
    db.commit()
    assert search(client, "sleep").titles == []
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["db", "reindex"])
    assert result.exit_code == 0 and "Search index rebuilt for 1 articles." in result.output
    assert search(client, "sleep").titles == ["Sleep and mood"]
