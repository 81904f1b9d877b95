"""access periods: when approved access ends, which reminder went out, the daily review digest

Revision ID: 021d186e78aa
Revises: 7e848de50cfb
Create Date: 2026-11-28 18:00:00.000000

`access_request.state` gains the values `suspended` and `expired`; it is a plain VARCHAR(20)
without a CHECK constraint, so the column itself does not change. Requests approved before this
revision get an end of access 730 days (the default of PORTAL_ACCESS_VALID_DAYS) after their
decision; a reviewer can extend any of them by hand. The downgrade marks suspended and expired
requests withdrawn, so that an older release, which knows neither state, gives them no access.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "021d186e78aa"
down_revision: str | Sequence[str] | None = "7e848de50cfb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_VALID_DAYS = 730

access_request = sa.table(
    "access_request",
    sa.column("id", sa.Integer()),
    sa.column("state", sa.String(20)),
    sa.column("decided_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("access_until", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("access_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_days_before", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_access_request_access_until"), ["access_until"], unique=False)

    op.create_table(
        "review_digest",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_review_digest")),
    )

    # Dates computed here rather than in SQL, which differs between SQLite and PostgreSQL.
    connection = op.get_bind()
    approved = connection.execute(
        sa.select(access_request.c.id, access_request.c.decided_at, access_request.c.created_at).where(
            access_request.c.state == "approved"
        )
    ).all()
    for row in approved:
        start = row.decided_at or row.created_at
        connection.execute(
            access_request.update()
            .where(access_request.c.id == row.id)
            .values(access_until=start + timedelta(days=DEFAULT_VALID_DAYS))
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(
        access_request.update()
        .where(access_request.c.state.in_(["suspended", "expired"]))
        .values(state="withdrawn")
    )
    op.drop_table("review_digest")
    with op.batch_alter_table("access_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_request_access_until"))
        batch_op.drop_column("reminded_days_before")
        batch_op.drop_column("access_until")
