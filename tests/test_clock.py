"""The application's clock is the one tests move, so time-based rules are tested without sleeping."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.core.db import utcnow


def test_travel_moves_the_application_clock_and_comes_back() -> None:
    before = utcnow()
    with clock.travel(timedelta(days=30)):
        assert timedelta(days=30) <= utcnow() - before < timedelta(days=30, minutes=1)
    assert utcnow() - before < timedelta(minutes=1)
