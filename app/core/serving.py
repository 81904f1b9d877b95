"""How uvicorn serves the portal: `portal serve`, the tests' live servers, and any hand-made command.

- No access log: uvicorn's writes every query string, and with it the tokens of emailed links.
  The app writes its own line per request instead (app/core/requestlog.py).
- No `server: uvicorn` header: it tells a prober which software to try.
- No proxy headers: the app believes `X-Forwarded-*` only from PORTAL_TRUSTED_PROXIES
  (app/core/proxies.py); uvicorn's own handling would trust 127.0.0.1 whatever the setting says.
- No WebSockets: the portal has none, and uvicorn would otherwise load the `websockets` library
  into every worker (3.7 MB each) to offer them.

How long a worker may take to answer its supervisor is a setting
(`PORTAL_WORKER_HEALTHCHECK_SECONDS`), passed by `portal serve` beside these.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import configure_mappers

SERVER_OPTIONS: dict[str, Any] = {
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "ws": "none",
}

# glibc's own setting; unset, it gives each thread that allocates an arena of its own (up to 8 per
# core), and the request threads keep tens of MB in them that a worker never gives back.
MALLOC_ARENAS = "2"
M_ARENA_MAX = -8  # mallopt's parameter number for MALLOC_ARENA_MAX (malloc.h)


def prepare_workers(workers: int, *, database_url: str, warm: Callable[[], None]) -> None:
    """Before uvicorn starts: import the app's modules, and let workers start as copies.

    uvicorn spawns each worker as a fresh interpreter that imports everything again (seconds of
    CPU per worker, all workers at once). Forked from a process that has the modules loaded, a
    worker only builds its app (engine, templates, settings: nothing is shared but code), so it
    answers within a fraction of a second of its start, or of its restart, and the pages holding
    the modules are shared between workers rather than copied into each. gc.freeze() keeps the
    collector from writing to those objects, which would copy the pages after all.

    Forking is only safe in a process with a single thread: with the development ticker running
    beside the server, workers are spawned as before.
    """
    import gc
    import multiprocessing
    import threading

    from app.core.security import stop_hashing_threads

    _limit_malloc_arenas()
    # The collector would run hundreds of times while the modules load and free nothing: about
    # 0.1 s of CPU before the first answer. Whatever they leave behind is collected once, below.
    gc.disable()
    try:
        # `warm` loads the app (app.main's `warm_site_routes`: core does not import the top).
        # The ORM's mappings, the routes' dependencies and the database's SQLAlchemy dialect are
        # the same in every worker: set them up once, in the shared pages (0.3 s of CPU a worker).
        configure_mappers()
        warm()
        make_url(database_url).get_dialect()
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()
    stop_hashing_threads()  # left by the demo's passwords, if `--demo` loaded them
    if workers > 1 and threading.active_count() == 1:
        import uvicorn._subprocess

        # uvicorn asks this context for every worker it starts (uvicorn/_subprocess.py).
        setattr(uvicorn._subprocess, "spawn", multiprocessing.get_context("fork"))  # noqa: B010


def _limit_malloc_arenas() -> None:
    """Apply MALLOC_ARENA_MAX (2 unless set) to this process and, through it, to every worker."""
    import contextlib
    import ctypes

    value = os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    # Not glibc, or a value glibc would ignore too: nothing to apply.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, int(value))
