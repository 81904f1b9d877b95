"""article versions and full revisions: each save records what it saved, and who saved it

Revision ID: c7632048b44c
Revises: ccd331693618
Create Date: 2026-11-28 19:10:00.000000

`article` gains `version` (raised by one on every save; the editor refuses a save made on an older
version) and `author_id` (the staff member who created it). `article_revision` now holds the full
state a save left (slug, category, tags, hero image, status, publish time, who saved it) instead
of the state before a save.

Existing rows: revision N used to be the state before save N+1, which is the state after save N,
so their numbers and contents keep their meaning. Their new columns are filled from the article as
it is now (the old rows never recorded them), and every article gets one more revision holding its
current state; its version is that revision's number. The downgrade drops that last revision
again, so the older release finds the rows it wrote.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c7632048b44c"
down_revision: str | Sequence[str] | None = "ccd331693618"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

article = sa.table(
    "article",
    sa.column("id", sa.Integer()),
    sa.column("slug", sa.String(200)),
    sa.column("title", sa.String(300)),
    sa.column("summary", sa.Text()),
    sa.column("body", sa.Text()),
    sa.column("audience", sa.String(300)),
    sa.column("author_name", sa.String(200)),
    sa.column("hero_image", sa.String(500)),
    sa.column("hero_alt", sa.String(500)),
    sa.column("status", sa.String(20)),
    sa.column("category_id", sa.Integer()),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
revision_table = sa.table(
    "article_revision",
    sa.column("id", sa.Integer()),
    sa.column("article_id", sa.Integer()),
    sa.column("number", sa.Integer()),
    sa.column("title", sa.String(300)),
    sa.column("slug", sa.String(200)),
    sa.column("summary", sa.Text()),
    sa.column("body", sa.Text()),
    sa.column("audience", sa.String(300)),
    sa.column("category_name", sa.String(120)),
    sa.column("tags_json", sa.Text()),
    sa.column("author_name", sa.String(200)),
    sa.column("hero_image", sa.String(500)),
    sa.column("hero_alt", sa.String(500)),
    sa.column("references_json", sa.Text()),
    sa.column("status", sa.String(20)),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("saved_by_label", sa.String(320)),
    sa.column("saved_at", sa.DateTime(timezone=True)),
)
category = sa.table("category", sa.column("id", sa.Integer()), sa.column("name", sa.String(120)))
tag = sa.table("tag", sa.column("id", sa.Integer()), sa.column("name", sa.String(120)))
article_tag = sa.table(
    "article_tag", sa.column("article_id", sa.Integer()), sa.column("tag_id", sa.Integer())
)
reference = sa.table(
    "reference",
    *(sa.column(name, sa.String()) for name in ("key", "authors", "title", "journal", "volume")),
    *(sa.column(name, sa.String()) for name in ("issue", "pages", "doi", "pmid", "url")),
    sa.column("id", sa.Integer()),
    sa.column("year", sa.Integer()),
    sa.column("article_id", sa.Integer()),
)
REFERENCE_FIELDS = (
    "key",
    "authors",
    "title",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "url",
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_article_author_id"), ["author_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_article_author_id_user_account"),
            "user_account",
            ["author_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("article_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slug", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("category_name", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("tags_json", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("author_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("hero_image", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("hero_alt", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("saved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("saved_by_label", sa.String(length=320), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_article_revision_saved_by_id_user_account"),
            "user_account",
            ["saved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _record_current_states(op.get_bind())
    # The defaults only served the rows above; the models give every new row its values.
    with op.batch_alter_table("article_revision", schema=None) as batch_op:
        for name in (
            "slug",
            "category_name",
            "tags_json",
            "author_name",
            "hero_alt",
            "status",
            "saved_by_label",
        ):
            batch_op.alter_column(name, server_default=None)


def _record_current_states(connection: sa.Connection) -> None:
    for row in connection.execute(sa.select(article)).all():
        category_name = connection.scalar(sa.select(category.c.name).where(category.c.id == row.category_id))
        tags = connection.scalars(
            sa.select(tag.c.name)
            .join(article_tag, article_tag.c.tag_id == tag.c.id)
            .where(article_tag.c.article_id == row.id)
            .order_by(tag.c.name)
        ).all()
        refs = connection.execute(
            sa.select(*(reference.c[name] for name in REFERENCE_FIELDS))
            .where(reference.c.article_id == row.id)
            .order_by(reference.c.id)
        ).all()
        state = {
            "slug": row.slug,
            "category_name": category_name or "",
            "tags_json": json.dumps(list(tags)),
            "author_name": row.author_name,
            "hero_image": row.hero_image,
            "hero_alt": row.hero_alt,
            "status": row.status,
            "published_at": row.published_at,
        }
        connection.execute(
            revision_table.update().where(revision_table.c.article_id == row.id).values(**state)
        )
        last = connection.scalar(
            sa.select(sa.func.max(revision_table.c.number)).where(revision_table.c.article_id == row.id)
        )
        number = (last or 0) + 1
        connection.execute(
            revision_table.insert().values(
                article_id=row.id,
                number=number,
                title=row.title,
                summary=row.summary,
                body=row.body,
                audience=row.audience,
                references_json=json.dumps([dict(r._mapping) for r in refs]),
                saved_by_label="system",
                saved_at=datetime.now(UTC),
                **state,
            )
        )
        connection.execute(article.update().where(article.c.id == row.id).values(version=number))


def downgrade() -> None:
    """Downgrade schema."""
    connection = op.get_bind()
    # Before this revision the newest state lived only in the article: drop its revision again.
    latest = (
        sa.select(revision_table.c.id)
        .join(article, article.c.id == revision_table.c.article_id)
        .where(revision_table.c.number == article.c.version)
    )
    connection.execute(revision_table.delete().where(revision_table.c.id.in_(latest)))
    with op.batch_alter_table("article_revision", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_article_revision_saved_by_id_user_account"), type_="foreignkey"
        )
        for name in (
            "saved_by_label",
            "saved_by_id",
            "published_at",
            "status",
            "hero_alt",
            "hero_image",
            "author_name",
            "tags_json",
            "category_name",
            "slug",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_article_author_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_article_author_id"))
        batch_op.drop_column("version")
        batch_op.drop_column("author_id")
