"""media files and where articles use them

Revision ID: 34e98558ca22
Revises: bd1643d08818
Create Date: 2026-11-28 17:17:58.749600

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "34e98558ca22"
down_revision: str | Sequence[str] | None = "bd1643d08818"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "media_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("alt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_file")),
    )
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_file_sha256"), ["sha256"], unique=False)

    op.create_table(
        "media_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("audiences", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["article.id"], name=op.f("fk_media_usage_article_id_article"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_file.id"],
            name=op.f("fk_media_usage_media_id_media_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_usage")),
    )
    with op.batch_alter_table("media_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_usage_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_usage_media_id"), ["media_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("media_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_usage_media_id"))
        batch_op.drop_index(batch_op.f("ix_media_usage_article_id"))

    op.drop_table("media_usage")
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_file_sha256"))

    op.drop_table("media_file")
