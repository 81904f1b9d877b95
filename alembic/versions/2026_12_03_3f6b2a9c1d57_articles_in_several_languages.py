"""articles in several languages

Revision ID: 3f6b2a9c1d57
Revises: 7b2d4f6a8c13
Create Date: 2026-12-03 17:20:00.000000

Each article has a language, and the versions of one article in several languages share a
translation group (the original's id) holding at most one article per language. The articles
written so far are in the site's default language (`app.core.migrations.existing_rows_language`:
what `portal db upgrade` passes, else the PORTAL_DEFAULT_LANGUAGE variable, else en), each the
original of its own group; the column has no server default, so the schema never depends on it.
Categories and tags keep their names in other languages beside the default one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.migrations import existing_rows_language

# revision identifiers, used by Alembic.
revision: str = "3f6b2a9c1d57"
down_revision: str | Sequence[str] | None = "7b2d4f6a8c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("translation_group_id", sa.Integer(), nullable=True))
    op.execute(
        sa.text("UPDATE article SET language = :language, translation_group_id = id").bindparams(
            language=existing_rows_language()
        )
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_article_translation_group_id"), ["translation_group_id"], unique=False
        )
        batch_op.create_unique_constraint(
            op.f("uq_article_translation_group_id_language"), ["translation_group_id", "language"]
        )
        batch_op.create_foreign_key(
            op.f("fk_article_translation_group_id_article"),
            "article",
            ["translation_group_id"],
            ["id"],
            ondelete="SET NULL",
        )
    for table in ("category", "tag"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("translations", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    for table in ("tag", "category"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("translations")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_article_translation_group_id_article"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_article_translation_group_id_language"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_article_translation_group_id"))
        batch_op.drop_column("translation_group_id")
        batch_op.drop_column("language")
