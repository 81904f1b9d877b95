"""Every public page costs a few SQL statements, however many tags, references or related articles.

A visitor's page is counted as it is built (the shared page cache off) and as it is served once
stored: one statement, the cache's lookup. A logged-in reader's likewise: built, and served from
the page stored for their variant (two statements: who is asking, and the lookup).

Counted with SQLAlchemy's `before_cursor_execute` event on the app's own engines. The periodic
`last_seen_at` touch of a session is a separate, rate-limited write: it is left out of the count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.access.models import AccessRequest
from app.accounts.models import User
from app.core.config import Settings
from tests import factories
from tests.asgi_client import TestClient
from tests.conftest import soup
from tests.viewers import browser_for

VISITOR_LIMIT = 4
LOGGED_IN_LIMIT = 5
ARTICLES = 6
TAGS = [f"Topic {n}" for n in range(12)]
REFERENCES = [factories.reference(f"ref{n}", title=f"Study {n}") for n in range(10)]
BODY = "\n\n".join(
    [
        "## Background",
        *(f"A finding[^ref{n}]." for n in range(10)),
        "::: professional physician\nDose carefully[^ref1].\n:::",
        "::: professional\nFor every profession.\n:::",
    ]
)
PAGES = [
    "/",
    "/articles",
    "/articles/topic-1",
    "/categories/mental-health",
    "/tags/topic-3",
    "/search?q=finding",
    "/feed.xml",
    "/sitemap.xml",
    "/api/v1/articles",
    "/api/v1/articles/topic-1",
    "/professional",
]


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs, leaving out the session touch."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if not statement.lstrip().upper().startswith("UPDATE USER_SESSION SET LAST_SEEN_AT"):
            statements.append(statement)

    # The page cache reads through an engine of its own on SQLite (`db.make_reader`).
    engines = {app.state.engine, app.state.page_reader}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def library(db: Session) -> None:
    """Several articles, each with many tags and references, all related to each other."""
    for n in range(1, ARTICLES + 1):
        factories.article(
            db,
            slug=f"topic-{n}",
            title=f"Finding {n}",
            body=BODY,
            tags=TAGS,
            references=REFERENCES,
            featured=n <= 3,
        )


def statements_for(app: FastAPI, client: TestClient, path: str) -> list[str]:
    client.get(path)  # warm up: what a process loads once is not the page's cost
    with counted(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return statements


def summary(statements: list[str]) -> str:
    """One line per statement: enough to see which query repeats."""
    return f"{len(statements)} statements:\n" + "\n".join(" ".join(s.split())[:160] for s in statements)


def counts_of_every_page(app: FastAPI, client: TestClient) -> dict[str, list[str]]:
    """The statements each of PAGES costs, built for the same reader and library one after another.

    One library for all of them: building it is most of such a test's time, and each page is asked
    for once before it is counted, so what an earlier page loaded is not counted for a later one
    any more than for itself.
    """
    return {path: statements_for(app, client, path) for path in PAGES}


def over(counts: dict[str, list[str]], allowed: Callable[[int], bool]) -> str:
    """Each page whose count is not allowed, with its statements; empty when all are."""
    return "\n\n".join(f"{path}: {summary(s)}" for path, s in counts.items() if not allowed(len(s)))


@pytest.mark.usefixtures("library")
def test_a_visitor_page_costs_at_most_four_statements(app_with: Callable[..., FastAPI]) -> None:
    # Counted as each page is built, without the shared page cache, which would answer the second
    # request with its one lookup (tests/test_page_cache.py).
    app = app_with(page_cache_seconds=0)
    with TestClient(app) as visitor:
        counts = counts_of_every_page(app, visitor)
    problems = over(counts, lambda n: n <= VISITOR_LIMIT)
    assert not problems, problems


@pytest.mark.usefixtures("library")
def test_a_visitor_page_from_the_shared_cache_costs_one_statement(app: FastAPI) -> None:
    with TestClient(app) as visitor:
        counts = counts_of_every_page(app, visitor)
    problems = over(counts, lambda n: n == 1)
    assert not problems, problems


@pytest.mark.usefixtures("library")
def test_a_physician_page_costs_at_most_five_statements(
    app_with: Callable[..., FastAPI], db: Session, settings: Settings
) -> None:
    # Counted as each page is built, without the logged-in readers' page cache, which would answer
    # with who is asking and its lookup (below).
    app = app_with(page_cache_seconds=0)
    physician = browser_for("physician", app, db, settings)
    counts = counts_of_every_page(app, physician)
    physician.__exit__(None, None, None)
    problems = over(counts, lambda n: n <= LOGGED_IN_LIMIT)
    assert not problems, problems


@pytest.mark.usefixtures("library")
def test_a_physician_page_from_the_readers_cache_costs_two_statements(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    physician = browser_for("physician", app, db, settings)
    for path in PAGES:
        physician.get(path)  # the first request for a path only learns whether its route is shared
    counts = counts_of_every_page(app, physician)
    # Who is asking (session, user, request, consent), and the page stored for their variant.
    problems = over(counts, lambda n: n == 2)
    assert not problems, problems


REVIEW_QUEUE_LIMIT = 3


def waiting_requests(db: Session, settings: Settings, count: int) -> None:
    """`count` pending requests: one through the real lifecycle, the rest copies of its rows.

    Every fifth shares a licence number with another account, every third has a document.
    """
    model = factories.applicant(db, settings)
    for n in range(1, count):
        user = User(
            email=f"copy{n}@clinic.example",
            password_hash=model.user.password_hash,
            full_name=f"Dr. Copy {n}",
            profession=model.profession,
            language=model.user.language,
        )
        db.add(user)
        db.flush()
        fields = {c.key: getattr(model, c.key) for c in AccessRequest.__table__.columns if c.key != "id"}
        fields |= {
            "user_id": user.id,
            "licence_number": model.licence_number if n % 5 == 0 else factories.npi(),
        }
        fields["document_path"] = f"/nowhere/{n}.pdf" if n % 3 == 0 else None
        db.add(AccessRequest(**fields))
    db.commit()


def test_the_review_queue_of_fifty_requests_costs_a_few_statements(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    waiting_requests(db, settings, 50)
    reviewer = browser_for("reviewer", app, db, settings)
    for path in ("/admin/requests", "/admin/requests?checks=failed&document=attached&waiting=0"):
        statements = statements_for(app, reviewer, path)
        # Who is asking, the requests with their people, and the licence numbers other accounts use.
        assert len(statements) <= REVIEW_QUEUE_LIMIT, summary(statements)
    page = soup(reviewer.get("/admin/requests").text)
    assert len(page.select("tbody tr")) == 50
    assert len(page.select("tbody .check--invalid")) == 10  # the model and its nine copies
    failed = soup(reviewer.get("/admin/requests?checks=failed&document=attached").text)
    assert len(failed.select("tbody tr")) == 3  # copies 15, 30 and 45


@pytest.mark.usefixtures("library")
def test_an_applicants_landing_page_costs_at_most_five_statements(
    app_with: Callable[..., FastAPI], db: Session, settings: Settings
) -> None:
    # The professional area as one whose request is pending sees it: what it holds, by topic.
    app = app_with(page_cache_seconds=0)
    applicant = browser_for("pending", app, db, settings)
    factories.article(db, slug="unfiled", title="Unfiled", audience="physician", category="Pharmacology")
    statements = statements_for(app, applicant, "/professional")
    applicant.__exit__(None, None, None)
    assert len(statements) <= LOGGED_IN_LIMIT, summary(statements)
