"""email tokens remember the password they were issued under

Revision ID: e80e8aa1eea3
Revises: 6d791543b75a
Create Date: 2026-12-03 09:00:00.000000

`auth_token.password_mark` is a digest of the owner's password hash when the token was issued; a
reset link stops working once the password has changed. Tokens issued before this revision have
an empty mark, so their reset links stop working at once: they lived an hour at most anyway.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e80e8aa1eea3"
down_revision: str | Sequence[str] | None = "6d791543b75a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_mark", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_column("password_mark")
