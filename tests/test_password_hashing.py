"""Password hashing runs on a few low-priority threads per worker; a login past their waiting places
is asked to try again, with what was typed kept, instead of queueing without end."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import UserSession
from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.conftest import page_text, soup
from tests.factories import PASSWORD

BUSY = "Many people are signing in at this moment."


@contextmanager
def hashing_threads_taken(settings: Settings) -> Iterator[None]:
    """Hold every hashing thread of this process for `settings` until the block ends."""
    release = threading.Event()
    started = threading.Barrier(settings.password_hashing_threads + 1)

    def hold() -> None:
        started.wait()
        release.wait()

    holders = [
        threading.Thread(target=security._hashing(settings).run, args=(hold,))
        for _ in range(settings.password_hashing_threads)
    ]
    for holder in holders:
        holder.start()
    started.wait()
    try:
        yield
    finally:
        release.set()
        for holder in holders:
            holder.join()


def _client_with(settings: Settings, **hashing: float) -> tuple[Settings, TestClient]:
    changed = settings.model_copy(update=hashing)
    return changed, TestClient(create_app(changed))


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
def test_passwords_are_hashed_at_a_lower_priority_than_pages(settings: Settings) -> None:
    def own_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    niceness = security._hashing(settings).run(own_niceness)
    assert niceness >= os.getpriority(os.PRIO_PROCESS, 0) + security.HASHING_NICENESS or niceness == 19
    # The thread that asked keeps its own priority: pages are served at the normal one.
    assert own_niceness() == os.getpriority(os.PRIO_PROCESS, 0)


def test_a_login_past_the_waiting_places_is_asked_to_try_again_with_its_address_kept(
    settings: Settings, db: Session
) -> None:
    person = factories.applicant(db, settings).user
    changed, client = _client_with(settings, password_hashing_threads=1, password_hashing_waiting=0)
    with client, hashing_threads_taken(changed):
        busy = login(client, person.email, PASSWORD)
        assert busy.status_code == 503
        assert busy.headers["retry-after"]
        assert BUSY in page_text(busy.text)
        assert soup(busy.text).select_one('input[name="email"]')["value"] == person.email  # type: ignore[index]
        assert db.scalars(select(UserSession).where(UserSession.user_id == person.id)).all() == []
    with client:
        assert login(client, person.email, PASSWORD).status_code == 303


def test_a_login_that_waits_too_long_for_a_hashing_thread_is_asked_to_try_again(
    settings: Settings, db: Session
) -> None:
    person = factories.applicant(db, settings).user
    changed, client = _client_with(
        settings, password_hashing_threads=1, password_hashing_waiting=4, password_hashing_wait_seconds=0.05
    )
    with client, hashing_threads_taken(changed):
        busy = login(client, person.email, PASSWORD)
        assert busy.status_code == 503
        assert BUSY in page_text(busy.text)
    with client:
        assert login(client, person.email, PASSWORD).status_code == 303


def test_hashing_threads_end_before_the_server_forks_and_start_again_when_needed(settings: Settings) -> None:
    def hashing_threads() -> list[str]:
        return [thread.name for thread in threading.enumerate() if thread.name.startswith("password-hashing")]

    stored = security.hash_password(settings, PASSWORD)
    assert hashing_threads()
    security.stop_hashing_threads()
    assert hashing_threads() == []
    assert security.verify_password(settings, PASSWORD, stored) == (True, None)
