"""outbox keeps tokens only until sent: the copy to send, apart from the bodies kept

Revision ID: 6d791543b75a
Revises: c7632048b44c
Create Date: 2026-12-03 08:00:00.000000

A message whose link carries a token keeps it only in `text_to_send` and `html_to_send`, which
the sender clears once the message has left or failed for good; `text_body` and `html_body` show
the token as removed. Rows written before this revision held the token in their bodies: those
still waiting move it into the copy to send, and every body loses it. The downgrade puts the
waiting copies back into the bodies, as an older release expects them.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "6d791543b75a"
down_revision: str | Sequence[str] | None = "c7632048b44c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every emailed token so far travelled as the `token` query parameter of a link.
TOKEN_IN_LINK = re.compile(r"(token=)[^\s&\"'<>]+", re.IGNORECASE)
WAITING = ("pending", "sending")

outbox = sa.table(
    "outbox_message",
    sa.column("id", sa.Integer()),
    sa.column("status", sa.String(20)),
    sa.column("text_body", sa.Text()),
    sa.column("html_body", sa.Text()),
    sa.column("text_to_send", sa.Text()),
    sa.column("html_to_send", sa.Text()),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_to_send", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("html_to_send", sa.Text(), nullable=True))

    connection = op.get_bind()
    carrying = connection.execute(
        sa.select(outbox.c.id, outbox.c.status, outbox.c.text_body, outbox.c.html_body).where(
            outbox.c.text_body.contains("token=")
        )
    ).all()
    for row in carrying:
        waiting = row.status in WAITING
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                text_body=TOKEN_IN_LINK.sub(r"\1[removed]", row.text_body),
                html_body=TOKEN_IN_LINK.sub(r"\1[removed]", row.html_body),
                text_to_send=row.text_body if waiting else None,
                html_to_send=row.html_body if waiting else None,
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.execute(
        outbox.update()
        .where(outbox.c.text_to_send.is_not(None))
        .values(text_body=outbox.c.text_to_send, html_body=outbox.c.html_to_send)
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("html_to_send")
        batch_op.drop_column("text_to_send")
