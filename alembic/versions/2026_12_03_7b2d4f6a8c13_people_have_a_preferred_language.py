"""people have a preferred language

Revision ID: 7b2d4f6a8c13
Revises: 5c1e0a7d9b42
Create Date: 2026-12-03 17:10:00.000000

`user_account.language` is the language of every email to a person and of the site after their
login. Accounts made before it get the site's default language, the one their emails were written
in until now: see `app.core.migrations.existing_rows_language` (what `portal db upgrade` passes,
else the PORTAL_DEFAULT_LANGUAGE variable, else en). The column has no server default, so the
schema is the same whatever that language is.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.migrations import existing_rows_language

# revision identifiers, used by Alembic.
revision: str = "7b2d4f6a8c13"
down_revision: str | Sequence[str] | None = "5c1e0a7d9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    default = existing_rows_language()
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    op.execute(sa.text("UPDATE user_account SET language = :code").bindparams(code=default))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("language")
