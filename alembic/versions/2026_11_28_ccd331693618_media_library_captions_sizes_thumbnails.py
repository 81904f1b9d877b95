"""media library: captions, image sizes, thumbnails, who uploaded a file and when it changed

Revision ID: ccd331693618
Revises: 8b9b6c4292ad
Create Date: 2026-11-28 19:20:00.000000

Files stored before this revision keep no uploader and no thumbnail (the library shows a label
in its place); their `updated_at` starts as their `created_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ccd331693618"
down_revision: str | Sequence[str] | None = "8b9b6c4292ad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

media_file = sa.table(
    "media_file",
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caption", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("thumbnail_path", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("uploaded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_media_file_uploaded_by_id"), ["uploaded_by_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_media_file_uploaded_by_id_user_account"),
            "user_account",
            ["uploaded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(media_file.update().values(updated_at=media_file.c.created_at))
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("caption", existing_type=sa.Text(), server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("media_file", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_media_file_uploaded_by_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_media_file_uploaded_by_id"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("uploaded_by_id")
        batch_op.drop_column("thumbnail_path")
        batch_op.drop_column("height")
        batch_op.drop_column("width")
        batch_op.drop_column("caption")
