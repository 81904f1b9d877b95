"""consent: each acceptance of the terms and the privacy notice, with its version and time

Revision ID: 6ce33c6da23a
Revises: 7fb44d05a7f5
Create Date: 2026-11-28 18:05:00.000000

Requests made before this revision recorded their acceptance on the request itself
(`access_request.terms_version`, `terms_accepted_at`); the upgrade copies those into the new table,
both documents being accepted together on the form, so nobody is asked again for a version they
already accepted. The downgrade drops the table; the requests keep their own copy.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "6ce33c6da23a"
down_revision: str | Sequence[str] | None = "7fb44d05a7f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENTS = ("terms", "privacy_notice")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.Enum(*DOCUMENTS, name="consentdocument", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_consent_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_user_id"), ["user_id"], unique=False)
    for document in DOCUMENTS:
        op.execute(
            sa.text(
                "INSERT INTO consent (user_id, document, version, accepted_at) "
                "SELECT user_id, :document, terms_version, terms_accepted_at FROM access_request "
                "ORDER BY id"
            ).bindparams(document=document)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_user_id"))

    op.drop_table("consent")
