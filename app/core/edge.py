"""The layers around the whole application, outside even Starlette's handler for server errors.

Middleware added with `add_middleware` sits inside that handler, so a 500 page would leave
without the security headers. `Portal.build_middleware_stack` wraps the finished stack instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.datastructures import URLPath
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp

from app.core.config import Settings
from app.core.headers import SecurityHeaders
from app.core.languages import LanguageLayer, localised
from app.core.page_cache import PageCache
from app.core.proxies import TrustedProxies
from app.core.reader_cache import ReadAs, ReaderPages
from app.core.requestlog import RequestLog
from app.core.slow_clients import BodyTimeout

# Enough for every link of the site's own pages and the slugs of the articles read most.
REVERSED_PATHS = 4096


class Portal(FastAPI):
    """FastAPI with `edge` as its outermost layers; `state.settings` must be set before serving.

    It also remembers the paths it has built from route names: Starlette's `url_path_for` tries
    every route in turn on each call, and a page asks for some twenty links.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._paths: dict[tuple[object, ...], URLPath] = {}
        self._paths_for_routes = 0

    def build_middleware_stack(self) -> ASGIApp:
        state = self.state
        layers = super().build_middleware_stack()
        readers = getattr(state, "read_as", None)
        return wrap(layers, state.settings, state.engine, state.page_reader, readers)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        key = (name, *sorted(path_params.items()))
        try:
            found = self._paths.get(key)
        except TypeError:  # a parameter that cannot be a key: build the path without remembering it
            return super().url_path_for(name, **path_params)
        # A route added since (the tests add some) may change what a name means: start afresh.
        if self._paths_for_routes != len(self.router.routes) or len(self._paths) >= REVERSED_PATHS:
            self._paths.clear()
            self._paths_for_routes = len(self.router.routes)
            found = None
        if found is None:
            found = self._paths[key] = super().url_path_for(name, **path_params)
        # In the language of the page being built: /de/articles/... on a German page.
        path = localised(found)
        return found if path is found else URLPath(path, found.protocol)


def wrap(
    app: ASGIApp,
    settings: Settings,
    engine: Engine,
    reader: Engine,
    read_as: ReadAs | None = None,
) -> ASGIApp:
    """Put the edge layers around `app`, the outermost last."""
    # Any other Host would be written into redirects and absolute links: answer 400 instead.
    app = LanguageLayer(app, settings)
    app = TrustedHostMiddleware(app, allowed_hosts=settings.allowed_host_names, www_redirect=False)
    # Inside the headers and the log, so a 408 carries both.
    app = BodyTimeout(app, settings.body_timeout_seconds)
    app = SecurityHeaders(app, hsts=settings.env == "production")
    # Outside the security headers, so a stored page keeps them; inside the proxies, so the key has
    # the client's scheme and host. A host that is not allowed is never stored (it gets a 400).
    if read_as is not None:
        # Also outside the security headers, for the same reason; inside the visitors' cache,
        # which answers only requests without any cookie.
        app = ReaderPages(app, engine=engine, reader=reader, settings=settings, read_as=read_as)
    app = PageCache(app, engine=engine, reader=reader, settings=settings)
    app = TrustedProxies(app, proxies=settings.trusted_proxy_networks)
    # Outermost, so even a refused host or a failure is logged with its id and its full time.
    return RequestLog(app)
