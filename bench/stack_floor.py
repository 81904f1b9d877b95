"""The stack's floor: the smallest app on the portal's stack, for the bench to serve beside the portal.

FastAPI, a SQLAlchemy ORM query and a Jinja2 template, and nothing of the portal's: one route reads
an article's title, summary and body from the bench's data set and puts them in a page. What it
costs in speed and memory is what any app on this stack pays before it does anything of its own.

Run as `uvicorn bench.stack_floor:app --workers 2` with BENCH_DATABASE_URL naming the data set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import DictLoader, Environment
from sqlalchemy import String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ article.title }}</title></head>
<body><main><h1>{{ article.title }}</h1><p>{{ article.summary }}</p><div>{{ article.body }}</div></main>
</body></html>"""


class Base(DeclarativeBase):
    pass


class Article(Base):
    """The columns of the portal's `article` table that the page shows."""

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


session_factory = sessionmaker(create_engine(os.environ.get("BENCH_DATABASE_URL", "sqlite://")))
templates = Environment(loader=DictLoader({"article.html": PAGE}), autoescape=True)
app = FastAPI()


def get_db() -> Iterator[Session]:
    with session_factory() as db:
        yield db


@app.get("/articles/{slug}", response_class=HTMLResponse)
def article(slug: str, db: Annotated[Session, Depends(get_db)]) -> str:
    """The article with this slug, or 404."""
    found = db.scalars(select(Article).where(Article.slug == slug)).one_or_none()
    if found is None:
        raise HTTPException(404)
    return templates.get_template("article.html").render(article=found)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """What the bench waits for before it loads the app."""
    return {"status": "ok"}
