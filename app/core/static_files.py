"""Static files: a year in every cache when the address names the file's current version.

Templates link static files as `/static/site.css?v=<hash>` (`web.static_version`), so an address
with the right hash always means the same bytes and may be kept for good; any other address gets a
short life, so a stale or missing version is refetched soon.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.web import static_version

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


class VersionedStaticFiles(StaticFiles):
    """Serve static files with a cache lifetime that depends on the `v` the address carries."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = IMMUTABLE if _current(path, scope) else SHORT
        return response


def _current(path: str, scope: Scope) -> bool:
    wanted = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [])
    try:
        return wanted == [static_version(path)]
    except OSError:
        return False
