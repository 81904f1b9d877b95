"""articles store what they hold for professionals; decisions are indexed by time

Revision ID: 5e7a3c9d1b42
Revises: 9c4e1f7a2b60
Create Date: 2026-12-04 17:10:00.000000

`article.gated_sections` and `article.gated_professions` (app/articles/gating.py) let the
professional area count and list its articles without parsing bodies (its figures from one
covering index); the rows stored so far are filled in here, their bodies parsed in batches.
`access_request.decided_at` is indexed for the usual review time, taken over the newest
decisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.articles.gating import stored_gating

# revision identifiers, used by Alembic.
revision: str = "5e7a3c9d1b42"
down_revision: str | Sequence[str] | None = "9c4e1f7a2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
DECIDED_INDEX = "ix_access_request_decided_at"
HOLDINGS_INDEX = "ix_article_gated_holdings"
HOLDINGS_COLUMNS = [
    "status",
    "language",
    "published_at",
    "category_id",
    "gated_professions",
    "gated_sections",
    "audience",
]


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gated_sections", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("gated_professions", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(HOLDINGS_INDEX, HOLDINGS_COLUMNS, unique=False)
    with op.batch_alter_table("access_request", schema=None) as batch_op:
        batch_op.create_index(DECIDED_INDEX, ["decided_at"], unique=False)
    _fill()


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("access_request", schema=None) as batch_op:
        batch_op.drop_index(DECIDED_INDEX)
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(HOLDINGS_INDEX)
        batch_op.drop_column("gated_professions")
        batch_op.drop_column("gated_sections")


def _fill() -> None:
    """Parse the bodies that may hold gated content, a batch of rows at a time, in id order."""
    connection = op.get_bind()
    article = sa.table(
        "article",
        sa.column("id", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("audience", sa.String),
        sa.column("gated_sections", sa.Integer),
        sa.column("gated_professions", sa.String),
    )
    maybe = sa.or_(article.c.audience != "", article.c.body.contains("::: professional"))
    update = (
        article.update()
        .where(article.c.id == sa.bindparam("row_id"))
        .values(gated_sections=sa.bindparam("sections"), gated_professions=sa.bindparam("professions"))
    )
    last = 0
    while True:
        query = (
            sa.select(article.c.id, article.c.body, article.c.audience)
            .where(maybe, article.c.id > last)
            .order_by(article.c.id)
            .limit(BATCH)
        )
        rows = connection.execute(query).all()
        if not rows:
            return
        values = []
        for row_id, body, audience in rows:
            sections, professions = stored_gating(body, audience)
            values.append({"row_id": row_id, "sections": sections, "professions": professions})
        connection.execute(update, values)
        last = rows[-1].id
