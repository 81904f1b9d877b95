"""Readiness: can we reach the database, and is its schema the one this code expects?"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.core.migrations import alembic_config


def readiness_problem(engine: Engine) -> str | None:
    """Return why the app is not ready to serve, or None when it is."""
    # Imported here: Alembic is a fifth of a worker's start-up, and only this check needs it.
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return f"database unreachable: {type(error).__name__}"
    expected = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    if current != expected:
        have = ", ".join(sorted(current)) or "none"
        return (
            f"database schema is at {have}, expected {', '.join(sorted(expected))}: run `portal db upgrade`"
        )
    return None
