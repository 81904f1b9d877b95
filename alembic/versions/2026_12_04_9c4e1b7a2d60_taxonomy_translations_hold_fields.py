"""taxonomy translations hold fields

Revision ID: 9c4e1b7a2d60
Revises: 3f6b2a9c1d57
Create Date: 2026-12-04 16:40:00.000000

A category's or tag's `translations` held one name per language ({"de": "Immunologie"}); a
category's description is translated too, so each language now holds its fields
({"de": {"name": "Immunologie", "description": "..."}}). The column stays JSON with the same
server default; only the rows change. Downgrading keeps the names and drops the descriptions.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9c4e1b7a2d60"
down_revision: str | Sequence[str] | None = "3f6b2a9c1d57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite(change: Callable[[Any], Any]) -> None:
    connection = op.get_bind()
    for name in ("category", "tag"):
        table = sa.table(name, sa.column("id", sa.Integer()), sa.column("translations", sa.JSON()))
        for row_id, translations in connection.execute(sa.select(table.c.id, table.c.translations)).all():
            new = {code: change(value) for code, value in (translations or {}).items()}
            new = {code: value for code, value in new.items() if value}
            if new != translations:
                connection.execute(sa.update(table).where(table.c.id == row_id).values(translations=new))


def upgrade() -> None:
    """Upgrade schema."""
    _rewrite(lambda value: {"name": value} if isinstance(value, str) and value else value)


def downgrade() -> None:
    """Downgrade schema."""
    _rewrite(lambda value: value.get("name", "") if isinstance(value, dict) else value)
