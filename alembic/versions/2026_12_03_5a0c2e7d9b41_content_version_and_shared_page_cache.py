"""content version and the shared page cache

Revision ID: 5a0c2e7d9b41
Revises: e80e8aa1eea3
Create Date: 2026-12-03 14:00:00.000000

`content_version` holds one number that every change a visitor could see raises (no row reads as
0); `cached_page` holds visitors' pages stored under the version they were built at.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5a0c2e7d9b41"
down_revision: str | Sequence[str] | None = "e80e8aa1eea3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.create_table(
        "cached_page",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("plain_etag", sa.String(length=40), nullable=False),
        sa.Column("gzip_etag", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cached_page")),
    )
    with op.batch_alter_table("cached_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cached_page_stored_at"), ["stored_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("cached_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cached_page_stored_at"))
    op.drop_table("cached_page")
    op.drop_table("content_version")
