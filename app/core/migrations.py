"""Run Alembic from code, with the database URL taken from Settings.

Alembic is imported inside each function: this module is imported by every worker (through the
`portal` command and the readiness check), and Alembic is a fifth of a worker's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.config import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
