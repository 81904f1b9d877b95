"""references know their language

Revision ID: 4d8a0e6b3f15
Revises: 9c4e1b7a2d60
Create Date: 2026-12-04 17:00:00.000000

A reference's title may be in another language than the article citing it (an English paper in a
German article); pages mark it with that language. Empty: the article's, as for every reference
stored so far.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "4d8a0e6b3f15"
down_revision: str | Sequence[str] | None = "9c4e1b7a2d60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("reference", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("reference", schema=None) as batch_op:
        batch_op.drop_column("language")
