"""The API's description (`/api/openapi.json`) and its interactive page (`/api/docs`).

Neither is published in production: they map every route and parameter for anyone probing the
site, and readers have no use for them. In development the Swagger UI page loads its script and
stylesheet from a CDN and starts with an inline script, which the site-wide policy would block,
so that page carries a policy of its own: the CDN, and the inline script by its nonce.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
CDN = "https://cdn.jsdelivr.net"


def openapi_url(*, production: bool) -> str | None:
    return None if production else OPENAPI_URL


def install(app: FastAPI, *, production: bool) -> None:
    """Serve the Swagger UI page outside production."""
    if not production:
        app.add_route(DOCS_URL, swagger_page, include_in_schema=False)


async def swagger_page(request: Request) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    page = get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} API")
    html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">', 1)
    policy = "; ".join(
        (
            "default-src 'self'",
            f"script-src {CDN} 'nonce-{nonce}'",
            # Swagger UI sets style attributes as it draws; this page is development-only.
            f"style-src {CDN} 'unsafe-inline'",
            "img-src 'self' data: https:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    headers = {"Content-Security-Policy": policy, "Cache-Control": "no-store"}
    return HTMLResponse(html, headers=headers)
