"""category and tag slug redirects: former slugs keep leading to the renamed or merged-into one

Revision ID: 8b9b6c4292ad
Revises: 90d4e271f0f7
Create Date: 2026-11-28 19:20:00.000000

Two small tables, one row per former slug. The downgrade drops them: the categories and tags
themselves are untouched, only the old addresses stop redirecting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8b9b6c4292ad"
down_revision: str | Sequence[str] | None = "90d4e271f0f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "category_redirect",
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_category_redirect_category_id_category"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_category_redirect")),
    )
    with op.batch_alter_table("category_redirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_category_redirect_category_id"), ["category_id"], unique=False)

    op.create_table(
        "tag_redirect",
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_tag_redirect_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_tag_redirect")),
    )
    with op.batch_alter_table("tag_redirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_redirect_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tag_redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_redirect_tag_id"))
    op.drop_table("tag_redirect")
    with op.batch_alter_table("category_redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_redirect_category_id"))
    op.drop_table("category_redirect")
