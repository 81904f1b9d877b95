"""The `portal` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import uvicorn

from app.core import migrations
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory

DEMO_DIR = Path(__file__).resolve().parent / "demo" / "articles"


@click.group()
def main() -> None:
    """Portico: a medical society's articles and its professional area."""


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    settings = Settings()
    migrations.upgrade(settings.database_url)
    click.echo("Database schema is up to date.")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_files(files: tuple[Path, ...]) -> None:
    """Import Markdown articles with YAML front matter; each file lands whole or not at all."""
    from app.articles.importer import ImportProblem, import_file

    factory = make_session_factory(make_engine(Settings().database_url))
    failed = 0
    for path in files:
        with factory() as session:
            try:
                article = import_file(session, path)
                session.commit()
            except ImportProblem as problem:
                session.rollback()
                failed += 1
                click.echo(f"error: {problem}", err=True)
                continue
            click.echo(f"imported {path} as /articles/{article.slug} ({article.status.value})")
    if failed:
        click.echo(f"{failed} of {len(files)} files were not imported.", err=True)
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Load the demo content into an empty database first.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str, port: int, demo: bool, reload: bool) -> None:
    """Serve the portal with uvicorn."""
    settings = Settings()
    if demo:
        from app.demo import seed

        seed.load_into_empty(settings)
    click.echo(f"Serving {settings.site_name} on http://{host}:{port}")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        proxy_headers=True,
        log_level=settings.log_level.lower(),
    )
