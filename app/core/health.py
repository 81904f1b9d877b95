"""Readiness: can we reach the database, and is its schema the one this code expects?"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core.migrations import alembic_config


def readiness_problem(engine: Engine) -> str | None:
    """Return why the app is not ready to serve, or None when it is."""
    # Imported here: Alembic is a fifth of a worker's start-up, and only this check needs it.
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return f"database unreachable: {type(error).__name__}"
    expected = set(expected_heads())
    if current != expected:
        have = ", ".join(sorted(current)) or "none"
        return (
            f"database schema is at {have}, expected {', '.join(sorted(expected))}: run `portal db upgrade`"
        )
    return None


@cache
def expected_heads() -> frozenset[str]:
    """The schema versions this code expects, read once: loading every migration file each time
    made /readyz miss its deadline on a busy machine."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


class ReadinessProbe:
    """`readiness_problem` with a deadline: a database that hangs makes /readyz say so in time.

    One check runs at a time, in its own thread; while a hung one is still running, later calls
    wait for it up to the deadline rather than starting more threads that would hang too.
    """

    def __init__(self, engine: Engine, *, deadline_seconds: float = 1.5) -> None:
        self._engine = engine
        self._deadline = deadline_seconds
        self._lock = threading.Lock()
        self._running: Future[str | None] | None = None

    def problem(self) -> str | None:
        """Return why the app is not ready, or None; never take much longer than the deadline."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._start()
            running = self._running
        try:
            return running.result(timeout=self._deadline)
        except FutureTimeout:
            return f"database did not answer within {self._deadline:g} s"

    def _start(self) -> Future[str | None]:
        future: Future[str | None] = Future()

        def check() -> None:
            try:
                future.set_result(readiness_problem(self._engine))
            except Exception as error:  # anything unforeseen is still an answer, not a hang
                future.set_result(f"readiness check failed: {type(error).__name__}")

        threading.Thread(target=check, name="readiness-check", daemon=True).start()
        return future
