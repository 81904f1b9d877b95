"""contact messages and replies

Revision ID: 90d4e271f0f7
Revises: 021d186e78aa
Create Date: 2026-11-28 19:00:44.236032

Messages sent with the public contact form (linked to their sender by email address only) and
the replies staff send from the inbox. Both tables are new; the downgrade drops them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "90d4e271f0f7"
down_revision: str | Sequence[str] | None = "021d186e78aa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "contact_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_message")),
    )
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_message_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_message_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_message_handled_at"), ["handled_at"], unique=False)

    op.create_table(
        "contact_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_contact_reply_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["contact_message.id"],
            name=op.f("fk_contact_reply_message_id_contact_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_reply")),
    )
    with op.batch_alter_table("contact_reply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_reply_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("contact_reply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_reply_message_id"))

    op.drop_table("contact_reply")
    with op.batch_alter_table("contact_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_message_handled_at"))
        batch_op.drop_index(batch_op.f("ix_contact_message_email"))
        batch_op.drop_index(batch_op.f("ix_contact_message_created_at"))

    op.drop_table("contact_message")
