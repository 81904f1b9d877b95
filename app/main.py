"""Build the application. Nothing is created at import time: call `create_app(settings)`."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, Depends, FastAPI
from starlette.routing import BaseRoute

from app.access import account_views, identity, readers
from app.access import views as access_views
from app.access.dependencies import current_viewer
from app.accounts import consent_views, password_views, second_factor_views
from app.accounts import views as login_views
from app.admin import article_revisions as admin_article_revisions
from app.admin import articles as admin_articles
from app.admin import audit_log as admin_audit_log
from app.admin import bulk_views as admin_bulk
from app.admin import dashboard as admin_dashboard
from app.admin import media as admin_media
from app.admin import messages as admin_messages
from app.admin import people as admin_people
from app.admin import staff as admin_staff
from app.admin import taxonomy_views as admin_taxonomy
from app.admin import views as admin_views
from app.api import docs as api_docs
from app.api import views as api_views
from app.articles import figures, hub
from app.articles import views as article_views
from app.contact import views as contact_views
from app.core import errors, flash_cookie, health, logging, page_cache, worker_memory
from app.core.caching import PrivatePages
from app.core.compression import PublicGZip
from app.core.config import Settings
from app.core.db import Engines, make_engines, make_session_factory
from app.core.edge import Portal
from app.core.etag import ETags
from app.core.flash_cookie import FlashCookie
from app.core.head import HeadAsGet
from app.core.limits import BodySizeLimit
from app.core.policy import public
from app.core.ratelimit import RateLimiter
from app.core.static_files import VersionedStaticFiles
from app.core.web import STATIC_DIR, build_templates, numbers_in_range
from app.feeds import share
from app.feeds import views as feed_views
from app.media import service as media_service
from app.media import views as media_views
from app.privacy import views as privacy_views
from app.search import views as search_views
from app.site import health_views
from app.site import views as site_views

# Room for the text fields of a form beside its largest allowed upload.
FORM_OVERHEAD_BYTES = 256 * 1024


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Cap the request threads and trim memory after bursts; in development, deliver mail too."""
    settings: Settings = app.state.settings
    worker_memory.cap_request_threads(settings)
    trimming = asyncio.create_task(worker_memory.trim_after_bursts())
    stop = threading.Event()
    if settings.env == "development" and settings.smtp_url:
        from app.mail import sender  # smtplib and the message classes: no page sends mail itself

        worker = threading.Thread(
            target=sender.run_loop,
            args=(app.state.session_factory, sender.SmtpTransport(settings)),
            kwargs={"settings": settings, "interval": settings.mail_poll_seconds, "stop": stop},
            name="mail-sender",
            daemon=True,
        )
        worker.start()
    yield
    stop.set()
    trimming.cancel()


@cache
def site_routes() -> tuple[BaseRoute, ...]:
    """Every page of the site with the guards of its router, built once per process for all its apps.

    FastAPI works out a route's dependencies, signature and parameter models the first time a
    request or a `url_for` reaches it (about 2 ms a route, 0.2 s for the whole site) and keeps the
    result on the included router. Including the routers here rather than into each app makes
    that work once per process instead of once per app: the test suite builds an app per test.
    Nothing here depends on settings. `app.dependency_overrides` does not reach these routes; the
    tests build each app from its settings instead.
    """
    site = APIRouter(strict_content_type=True)
    # Every page knows who is looking, so the header and the access rule agree. Routes open to
    # everyone say so here; the others declare their guard on each route (see tests/test_routes.py).
    for router in (
        site_views.router,
        article_views.router,
        search_views.router,
        feed_views.router,
        api_views.router,
        media_views.router,
        contact_views.router,
        hub.router,
    ):
        site.include_router(
            router, dependencies=[Depends(public), Depends(numbers_in_range), Depends(current_viewer)]
        )
    for router in (
        access_views.router,
        login_views.router,
        account_views.router,
        admin_dashboard.router,
        admin_views.router,
        admin_bulk.router,
        admin_media.router,
        admin_messages.router,
        admin_people.router,
        admin_audit_log.router,
        admin_staff.router,
        admin_taxonomy.router,
        admin_articles.router,
        admin_article_revisions.router,
        password_views.router,
        consent_views.router,
        privacy_views.router,
        second_factor_views.router,
    ):
        # Members who have not accepted the current terms are asked to, before anything else.
        site.include_router(
            router,
            dependencies=[
                Depends(numbers_in_range),
                Depends(current_viewer),
                Depends(consent_views.consent_gate),
            ],
        )
    # Health checks never open a database session, not even to see who is asking.
    site.include_router(health_views.router, dependencies=[Depends(public)])
    return tuple(site.routes)


def warm_site_routes() -> None:
    """Do now the work `site_routes` describes, for every route, as a first request would.

    `portal serve` calls this before it forks its workers, so each of them starts with it done
    (0.2 s of CPU that every worker otherwise spent on its first request) and shares it with the
    others in the pages it inherits. A path that no route matches makes FastAPI visit them all.
    The page cache's digest of the build is read here too, for the same reason.
    """
    nowhere = {"type": "http", "path": "/\x00", "method": "GET", "root_path": "", "headers": []}
    for route in site_routes():
        route.matches(nowhere)
    page_cache.build_digest()  # read by each worker's first lookup otherwise


def create_app(settings: Settings | None = None, *, engines: Engines | None = None) -> FastAPI:
    """Wire settings, database, templates and routes into one FastAPI application.

    `engines` are the database's engines when they outlive the app: the test suite keeps one pair
    per database for the whole run, because SQLAlchemy caches each statement's compiled SQL on its
    engine, and compiling every statement again for each test's new engine was a sixth of its CPU.
    """
    settings = settings or Settings()
    logging.configure(settings)
    production = settings.env == "production"
    app = Portal(
        title=settings.site_name,
        docs_url=None,
        redoc_url=None,
        openapi_url=api_docs.openapi_url(production=production),
        lifespan=lifespan,
    )
    app.state.settings = settings
    engine, reader = engines or make_engines(settings.database_url, settings)
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    # The shared page cache's lookups (app/core/page_cache.py).
    app.state.page_reader = reader
    app.state.readiness = health.ReadinessProbe(app.state.engine)
    app.state.templates = build_templates()
    share.register(app.state.templates.env)
    app.state.rate_limiter = RateLimiter(settings)
    app.state.identify = identity.identify
    # Uploaded figures get their width and height (articles cannot import the media library).
    figures.use_media_sizes(media_service.image_sizes)
    # Logged-in readers' pages stored per variant (app/core/reader_cache.py).
    app.state.read_as = readers.reading_rule(settings, app.state.session_factory)
    app.mount("/static", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    app.router.routes.extend(site_routes())
    api_docs.install(app, production=production)
    errors.install(app)
    # The flash cookie carries one-time messages and the CSRF secret, never who is logged in.
    app.add_middleware(
        FlashCookie,
        secret_key=settings.secret_key,
        session_cookie=flash_cookie.cookie_name(production=production),
        max_age=flash_cookie.MAX_AGE,
        https_only=production,
        same_site="lax",
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.upload_max_bytes + FORM_OVERHEAD_BYTES)
    app.add_middleware(PrivatePages)
    # Inside ETags, so a compressed page gets its own validator (a strong ETag names one encoding).
    app.add_middleware(PublicGZip)
    # Outside PrivatePages, so it sees the final headers: it validates only what stays public.
    app.add_middleware(ETags)
    app.add_middleware(HeadAsGet)
    return app
