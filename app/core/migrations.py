"""Run Alembic from code, with the database URL taken from Settings.

Alembic is imported inside each function: this module is imported by every worker (through the
`portal` command and the readiness check), and Alembic is a fifth of a worker's start-up.
"""

from __future__ import annotations

import os
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


def upgrade(database_url: str, revision: str = "head", *, default_language: str = "") -> None:
    """Bring the database schema up to `revision`; rows made before languages get `default_language`."""
    from alembic import command

    config = alembic_config(database_url)
    if default_language:
        config.attributes["default_language"] = default_language
    command.upgrade(config, revision)


def existing_rows_language() -> str:
    """The language a migration gives the rows written before there were languages.

    The one `upgrade` was given (`portal db upgrade` passes PORTAL_DEFAULT_LANGUAGE as the site
    checked it), else the PORTAL_DEFAULT_LANGUAGE variable (a bare `alembic upgrade`), else English.
    Only this is read, never the whole Settings: a migration must not depend on every other setting.
    """
    from alembic import context

    given = str(context.config.attributes.get("default_language", ""))
    return (given or os.environ.get("PORTAL_DEFAULT_LANGUAGE", "")).strip().lower() or "en"


def downgrade(database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
