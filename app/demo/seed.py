"""Demo content for a new database: the articles under demo/articles, loaded like any import."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from app.articles.importer import import_file
from app.articles.models import Article
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory

DEMO_ARTICLES = Path(__file__).resolve().parent / "articles"


def load_into_empty(settings: Settings) -> None:
    """Import the demo articles unless the database already holds articles."""
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        if session.scalar(select(func.count()).select_from(Article)):
            click.echo("Database already has content; demo not loaded.")
            return
        for path in sorted(DEMO_ARTICLES.glob("*.md")):
            import_file(session, path)
        session.commit()
        click.echo(f"Loaded {len(list(DEMO_ARTICLES.glob('*.md')))} demo articles.")
    engine.dispose()
