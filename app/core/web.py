"""Templates and the small helpers every HTML view shares."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core.config import PROJECT_ROOT
from app.core.policy import PROFESSION_LABELS

MAX_PAGE = 1_000_000
TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@cache
def static_version(path: str) -> str:
    """A short content hash, so browsers refetch a static file exactly when it changes."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def format_date(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """The site-relative path of a named route, so links work behind any proxy."""
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **params))


def build_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.globals["static_version"] = static_version
    env.globals["url_for"] = url_for
    env.globals["profession_labels"] = PROFESSION_LABELS
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page template with the site settings in its context."""
    templates: Jinja2Templates = request.app.state.templates
    settings = request.app.state.settings
    full = {"settings": settings, **(context or {})}
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def page_number(page: int | str | None) -> int:
    """Read a `?page=` value; anything that is not a positive number means the first page."""
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        return 1
    # Far past any real list: still a "no such page", without overflowing the database's integers.
    return min(number, MAX_PAGE) if number > 0 else 1
