"""Build the application. Nothing is created at import time: call `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.articles import views as article_views
from app.core import errors, logging
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.core.web import STATIC_DIR, build_templates
from app.site import views as site_views


def create_app(settings: Settings | None = None) -> FastAPI:
    """Wire settings, database, templates and routes into one FastAPI application."""
    settings = settings or Settings()
    logging.configure(settings)
    production = settings.env == "production"
    app = FastAPI(
        title=settings.site_name,
        docs_url=None if production else "/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.templates = build_templates()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(site_views.router)
    app.include_router(article_views.router)
    errors.install(app)
    return app
