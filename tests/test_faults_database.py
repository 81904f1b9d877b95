"""PostgreSQL cut, refused or restarted under load: every request is answered, no write is lost.

The app reaches PostgreSQL through tests/faultproxy.py. Requests during a cut get 503; each form
that was acknowledged is stored exactly once; requests succeed again once the cut ends, without a
restart. How soon is the machine's as much as the app's: `make bench-faults` measures it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.contact.models import ContactMessage
from app.core.config import Settings
from app.main import create_app
from tests.asgi_client import TestClient
from tests.browsing import csrf_from
from tests.conftest import FAST_HASHING, SharedEngines
from tests.faultproxy import FaultProxy, fault_proxy, required_url

pytestmark = pytest.mark.faults

ANSWERED = {200, 303, 503}
# Far beyond the pool's pre-ping and timeouts: a stream still failing by then never recovers.
GIVE_UP_SECONDS = 30.0


@pytest.fixture
def direct_url(request: pytest.FixtureRequest, shared_engines: SharedEngines) -> Iterator[str]:
    """A migrated PostgreSQL database of this worker, emptied afterwards."""
    required_url("PORTAL_TEST_DATABASE_URL", "PostgreSQL outages")
    url: str = request.getfixturevalue("postgres_database")
    yield url
    shared_engines.empty(url)


def app_on(url: str) -> FastAPI:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        database_url=url,
        allowed_hosts="testserver",
        contact_rate_limit="100000/hour",
        db_pool_timeout_seconds=1,
        db_connect_timeout_seconds=1,
        _env_file=None,
        **FAST_HASHING,
    )
    return create_app(settings)


@pytest.fixture
def proxied(direct_url: str) -> Iterator[tuple[FastAPI, FaultProxy]]:
    """The app, reaching PostgreSQL only through a fault proxy."""
    parsed = make_url(direct_url)
    with fault_proxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        through = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        application = app_on(through)
        yield application, proxy
        application.state.engine.dispose()


@dataclass
class Stream:
    """One client sending the same kind of request again and again, noting each answer and when."""

    client: TestClient
    write: bool
    answers: list[tuple[float, int, str]] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        token = csrf_from(self.client, "/contact") if self.write else ""
        number = 0
        while not stop.is_set():
            number += 1
            subject = f"outage test {number}"
            if self.write:
                form = {
                    "csrf_token": token,
                    "name": "Ann",
                    "email": "ann@example.org",
                    "subject": subject,
                    "message": "Did this arrive?",
                    "consent": "yes",
                }
                response = self.client.post("/contact", data=form, follow_redirects=False)
            else:
                response = self.client.get("/articles")
            self.answers.append((time.monotonic(), response.status_code, subject))
            time.sleep(0.02)

    def first_success_after(self, moment: float) -> float | None:
        return next((at - moment for at, status, _ in self.answers if at >= moment and status < 400), None)

    def acknowledged(self) -> list[str]:
        return [subject for _, status, subject in self.answers if status == 303]


def under_load(
    application: FastAPI, *, fault: Callable[[], object], heal: Callable[[], object], during: float = 2.0
) -> tuple[list[Stream], float]:
    """Run a reader and a writer, apply `fault` for `during` seconds, and return when it was healed."""
    streams = [Stream(TestClient(application, raise_server_exceptions=False), write=w) for w in (False, True)]
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop,)) for s in streams]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    fault()
    time.sleep(during)
    heal()
    healed_at = time.monotonic()
    deadline = healed_at + GIVE_UP_SECONDS
    while time.monotonic() < deadline and any(s.first_success_after(healed_at) is None for s in streams):
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    return streams, healed_at


def check_recovery(streams: list[Stream], healed_at: float, direct_url: str) -> None:
    statuses = {status for stream in streams for _, status, _ in stream.answers}
    assert statuses <= ANSWERED, f"answers other than 2xx, 303 or 503: {statuses - ANSWERED}"
    assert 503 in statuses, "the fault never showed: the test proves nothing"
    for stream in streams:
        recovered = stream.first_success_after(healed_at)
        assert recovered is not None, "no success after the fault was healed"
    writer = streams[1]
    engine = create_engine(direct_url)
    with engine.connect() as connection:
        stored = connection.execute(
            select(ContactMessage.subject, func.count()).group_by(ContactMessage.subject)
        ).all()
    engine.dispose()
    counts = dict(stored)
    assert writer.acknowledged(), "no write was acknowledged"
    assert all(counts.get(subject) == 1 for subject in writer.acknowledged()), "an acknowledged write is lost"
    assert all(count == 1 for count in counts.values()), "a write was stored twice"


def test_a_cut_and_refused_database_answers_503_and_recovers_without_losing_writes(
    proxied: tuple[FastAPI, FaultProxy], direct_url: str
) -> None:
    application, proxy = proxied
    streams, healed_at = under_load(application, fault=lambda: (proxy.refuse(), proxy.cut()), heal=proxy.heal)
    check_recovery(streams, healed_at, direct_url)


def test_a_database_that_stops_answering_gives_503_within_the_pool_timeout(
    proxied: tuple[FastAPI, FaultProxy], direct_url: str
) -> None:
    application, proxy = proxied
    streams, healed_at = under_load(application, fault=lambda: (proxy.hang(), proxy.cut()), heal=proxy.heal)
    check_recovery(streams, healed_at, direct_url)


def test_the_first_request_after_the_backends_are_terminated_succeeds(direct_url: str) -> None:
    application = app_on(direct_url)
    with TestClient(application) as client:
        assert client.get("/articles").status_code == 200
        terminate_backends(direct_url)
        assert client.get("/articles").status_code == 200
        token = csrf_from(client, "/contact")
        terminate_backends(direct_url)
        form = {"csrf_token": token, "name": "Ann", "email": "ann@example.org", "subject": "After"}
        response = client.post("/contact", data={**form, "message": "Hi", "consent": "yes"})
        assert response.status_code == 200
    with application.state.session_factory() as db:
        assert db.scalar(select(func.count()).where(ContactMessage.subject == "After")) == 1
    application.state.engine.dispose()


def test_readyz_answers_503_at_its_deadline_while_the_database_hangs(
    proxied: tuple[FastAPI, FaultProxy],
) -> None:
    application, proxy = proxied
    with TestClient(application) as client:
        assert client.get("/readyz").status_code == 200
        proxy.hang()
        proxy.cut()
        response = client.get("/readyz")
        # The hung check never returns, so this reason can only come from the probe's own deadline
        # (1.5 s); how long the answer took on this machine is the machine's, and is not asserted.
        assert response.status_code == 503
        assert response.json()["reason"] == "database did not answer within 1.5 s"
        assert client.get("/healthz").status_code == 200
        proxy.heal()


def terminate_backends(url: str) -> None:
    """End every other connection to this database, as `pg_terminate_backend` does in production."""
    name = make_url(url).database
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    admin.dispose()
