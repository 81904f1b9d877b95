"""Redis away: rate limits count in memory with one warning a minute, and go back to Redis after.

Login, the contact form and the access request never fail because Redis does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.ratelimit import RETRY_REDIS_SECONDS, WARN_EVERY_SECONDS, RateLimiter
from app.main import create_app
from tests import factories
from tests.asgi_client import TestClient
from tests.browsing import login
from tests.faultproxy import FaultProxy, fault_proxy, required_url
from tests.test_mail import free_port

pytestmark = pytest.mark.faults

Events = list[dict[str, Any]]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def warnings(events: Events) -> Events:
    return [e for e in events if e["event"] == "ratelimit.redis_unavailable"]


def limiter_on(url: str, clock: Clock) -> RateLimiter:
    settings = Settings(redis_url=url, redis_timeout_seconds=0.2, _env_file=None)  # type: ignore[call-arg]
    return RateLimiter(settings, clock=clock)


def test_limits_still_count_when_redis_cannot_be_reached_with_one_warning_a_minute() -> None:
    clock = Clock()
    limiter = limiter_on(f"redis://127.0.0.1:{free_port()}/0", clock)
    with structlog.testing.capture_logs() as events:
        assert [limiter.allow("2/minute", "login-ip", "10.0.0.1") for _ in range(3)] == [True, True, False]
        assert len(warnings(events)) == 1 and not limiter.using_redis
        clock.now += WARN_EVERY_SECONDS
        limiter.allow("2/minute", "login-ip", "10.0.0.2")
        assert len(warnings(events)) == 2


@pytest.fixture
def proxied_redis() -> Iterator[tuple[str, FaultProxy]]:
    """A Redis URL that goes through a fault proxy."""
    url = make_url(required_url("PORTAL_TEST_REDIS_URL", "rate limits while Redis is away"))
    with fault_proxy(url.host or "127.0.0.1", url.port or 6379) as proxy:
        yield f"redis://127.0.0.1:{proxy.port}/{url.database or 0}", proxy


def test_limits_go_back_to_redis_when_it_returns(proxied_redis: tuple[str, FaultProxy]) -> None:
    url, proxy = proxied_redis
    clock = Clock()
    limiter = limiter_on(url, clock)
    limiter.reset()
    assert limiter.allow("5/minute", "faults", "a") and limiter.using_redis
    proxy.refuse()
    proxy.cut()
    assert limiter.allow("5/minute", "faults", "a") and not limiter.using_redis
    proxy.heal()
    assert limiter.allow("5/minute", "faults", "a") and not limiter.using_redis  # not asked again yet
    clock.now += RETRY_REDIS_SECONDS
    assert limiter.allow("5/minute", "faults", "a") and limiter.using_redis
    limiter.reset()


def test_login_works_while_redis_is_cut_and_the_warning_is_logged_once(
    proxied_redis: tuple[str, FaultProxy], settings: Settings, db: Session
) -> None:
    url, proxy = proxied_redis
    member = factories.applicant(db, settings).user
    db.commit()
    application = create_app(settings.model_copy(update={"redis_url": url, "redis_timeout_seconds": 0.2}))
    with TestClient(application) as client, structlog.testing.capture_logs() as events:
        proxy.hang()
        proxy.cut()
        for _ in range(3):
            assert login(client, member.email, factories.PASSWORD).status_code == 303
            client.cookies.clear()
        assert len(warnings(events)) == 1
    application.state.engine.dispose()
