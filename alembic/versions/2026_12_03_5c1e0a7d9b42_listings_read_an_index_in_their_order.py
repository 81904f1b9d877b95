"""listings read an index in their order

Revision ID: 5c1e0a7d9b42
Revises: 5a0c2e7d9b41
Create Date: 2026-12-03 14:10:00.000000

Published articles are listed newest first, in all, in one category or the featured ones, and a
tag's page looks its articles up by tag. With indexes on `status` and `category_id` alone, the
database read every published article and sorted them for each page (or, for the featured, read
every article newer than the newest featured one). The new indexes start with the same columns,
so they also serve what the old ones did (status filters, the category foreign key).
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5c1e0a7d9b42"
down_revision: str | Sequence[str] | None = "5a0c2e7d9b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_status_published_at_id", ["status", "published_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_article_category_id_status_published_at_id",
            ["category_id", "status", "published_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_article_featured_status_published_at_id",
            ["featured", "status", "published_at", "id"],
            unique=False,
        )
        batch_op.drop_index("ix_article_status")
        batch_op.drop_index("ix_article_category_id")
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.create_index("ix_article_tag_tag_id_article_id", ["tag_id", "article_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tag_tag_id_article_id")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index("ix_article_category_id", ["category_id"], unique=False)
        batch_op.create_index("ix_article_status", ["status"], unique=False)
        batch_op.drop_index("ix_article_featured_status_published_at_id")
        batch_op.drop_index("ix_article_category_id_status_published_at_id")
        batch_op.drop_index("ix_article_status_published_at_id")
