"""Reading who is asking writes nothing but the session's use, at most once a minute and apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.access.models import AccessRequest, RequestState
from app.accounts.models import UserSession
from app.audit.models import AuditEvent
from app.core import clock
from app.core.config import Settings
from app.mail.models import OutboxMessage
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text

GATED = "Public part.\n\n::: professional\nMARKER-GATED\n:::\n"
TOUCH = "UPDATE user_session SET last_seen_at"
CACHE_STORE = "INSERT INTO CACHED_PAGE "


@pytest.fixture
def writes(app: FastAPI) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the application sends to the database, as it is sent.

    Storing a page built for the page caches is left out: it keeps what was shown, not who asked.
    """
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        stores_a_page = statement.lstrip().upper().startswith(CACHE_STORE)
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) and not stores_a_page:
            sent.append(" ".join(statement.split()))

    event.listen(app.state.engine, "before_cursor_execute", record)
    yield sent
    event.remove(app.state.engine, "before_cursor_execute", record)


def stored(db: Session) -> dict[str, object]:
    """What a write by a request would change: states, sessions, audit events, outbox."""
    db.expire_all()
    count = func.count()
    return {
        "states": db.execute(select(AccessRequest.id, AccessRequest.state)).all(),
        "sessions": db.execute(select(UserSession.id, UserSession.last_seen_at, UserSession.ended_at)).all(),
        "audit": db.scalar(select(count).select_from(AuditEvent)),
        "outbox": db.scalar(select(count).select_from(OutboxMessage)),
    }


def last_seen(db: Session) -> datetime:
    db.expire_all()
    value = db.scalars(select(UserSession.last_seen_at)).one()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pytest.mark.parametrize("idle", [True, False], ids=["idle session", "active session"])
def test_a_page_seen_after_access_lapsed_writes_nothing_and_shows_nothing_gated(
    app: FastAPI, db: Session, settings: Settings, writes: list[str], idle: bool
) -> None:
    settings.access_valid_days = 1
    settings.session_idle_minutes = 30 if idle else 60 * 24 * 7
    article = factories.article(db, slug="gated", body=GATED)
    request = factories.applicant(db, settings, state=RequestState.APPROVED)
    with TestClient(app) as client:
        login(client, request.user.email, factories.PASSWORD)
        assert "MARKER-GATED" in client.get(f"/articles/{article.slug}").text
        with clock.travel(timedelta(days=1, hours=1)):
            before = stored(db)
            writes.clear()

            home = client.get("/")
            gated = client.get(f"/articles/{article.slug}")
            account = client.get("/account", follow_redirects=False)

            assert writes == []
            assert stored(db) == before
    assert "Log in" in page_text(home.text)
    assert "MARKER-GATED" not in gated.text
    assert account.headers["location"] == "/login?next=%2Faccount"


def test_the_use_of_a_session_is_written_at_most_once_a_minute(
    app: FastAPI, client: TestClient, db: Session, settings: Settings, writes: list[str]
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    at_login = last_seen(db)

    def touches_by_three_pages() -> int:
        writes.clear()
        for _ in range(3):
            assert person.full_name in page_text(client.get("/account").text)
        return sum(statement.startswith(TOUCH) for statement in writes)

    assert touches_by_three_pages() == 0
    with clock.travel(timedelta(seconds=61)):
        assert touches_by_three_pages() == 1
        assert last_seen(db) > at_login + timedelta(seconds=60)
    with clock.travel(timedelta(seconds=61 + 50)):
        assert touches_by_three_pages() == 0
    with clock.travel(timedelta(seconds=61 + 61)):
        assert touches_by_three_pages() == 1
    assert writes == [w for w in writes if w.startswith(TOUCH)]


def test_a_refused_touch_leaves_the_page_answering(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    person = factories.applicant(db, settings).user
    login(client, person.email, factories.PASSWORD)
    at_login = last_seen(db)

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if " ".join(statement.split()).startswith(TOUCH):
            raise OperationalError(statement, {}, Exception("database is locked"))

    event.listen(app.state.engine, "before_cursor_execute", refuse)
    try:
        with clock.travel(timedelta(minutes=5)):
            response = client.get("/account")
    finally:
        event.remove(app.state.engine, "before_cursor_execute", refuse)

    assert response.status_code == 200
    assert person.full_name in page_text(response.text)
    assert last_seen(db) == at_login
