"""The layers around the whole application, outside even Starlette's handler for server errors.

Middleware added with `add_middleware` sits inside that handler, so a 500 page would leave
without the security headers. `Portal.build_middleware_stack` wraps the finished stack instead.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp

from app.core.config import Settings
from app.core.headers import SecurityHeaders
from app.core.page_cache import PageCache
from app.core.proxies import TrustedProxies
from app.core.requestlog import RequestLog
from app.core.slow_clients import BodyTimeout


class Portal(FastAPI):
    """FastAPI with `edge` as its outermost layers; `state.settings` must be set before serving."""

    def build_middleware_stack(self) -> ASGIApp:
        state = self.state
        return wrap(super().build_middleware_stack(), state.settings, state.engine, state.page_reader)


def wrap(app: ASGIApp, settings: Settings, engine: Engine, reader: Engine) -> ASGIApp:
    """Put the edge layers around `app`, the outermost last."""
    # Any other Host would be written into redirects and absolute links: answer 400 instead.
    app = TrustedHostMiddleware(app, allowed_hosts=settings.allowed_host_names, www_redirect=False)
    # Inside the headers and the log, so a 408 carries both.
    app = BodyTimeout(app, settings.body_timeout_seconds)
    app = SecurityHeaders(app, hsts=settings.env == "production")
    # Outside the security headers, so a stored page keeps them; inside the proxies, so the key has
    # the client's scheme and host. A host that is not allowed is never stored (it gets a 400).
    app = PageCache(app, engine=engine, reader=reader, settings=settings)
    app = TrustedProxies(app, proxies=settings.trusted_proxy_networks)
    # Outermost, so even a refused host or a failure is logged with its id and its full time.
    return RequestLog(app)
