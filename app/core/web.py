"""Templates and the small helpers every HTML view shares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette._utils import get_route_path

from app.core import i18n, language_links, languages
from app.core.config import PROJECT_ROOT
from app.core.csrf import csrf_token
from app.core.db import MAX_ID
from app.core.i18n import N_
from app.core.pagination import Page
from app.core.policy import (
    PROFESSION_LABELS,
    PROFESSION_NAMES,
    PROFESSION_NAMES_IN_TEXT,
    Capability,
    audience_in_text,
    audience_label,
    can,
)
from app.core.staff_menu import staff_menu

T = TypeVar("T")

MAX_PAGE = 1_000_000
TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@cache
def static_version(path: str) -> str:
    """A short content hash, so browsers refetch a static file exactly when it changes."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


# What happened to a request or an access, as its history lists it (read in the page's language).
HISTORY_LABELS = i18n.Labels(
    {
        "request.submitted": N_("Request sent"),
        "request.verified": N_("Email address confirmed; request in the review queue"),
        "request.info_requested": N_("The reviewers asked a question"),
        "request.answered": N_("Question answered; request back in the queue"),
        "request.approved": N_("Approved"),
        "request.rejected": N_("Not approved"),
        "request.withdrawn": N_("Request withdrawn"),
        "request.renewal_submitted": N_("Renewal sent for review"),
        "request.document_added": N_("Credential document sent with the answer"),
        "request.document_deleted": N_("Credential document deleted"),
        "request.document_downloaded": N_("Credential document downloaded by a reviewer"),
        "access.expired": N_("Access expired"),
        "access.suspended": N_("Access suspended"),
        "access.reinstated": N_("Access reinstated"),
        "access.extended": N_("Access extended"),
        "access.renewed": N_("Access renewed"),
    }
)


def _zone(context: Any) -> tzinfo | None:
    settings = context.get("settings")
    return settings.zone if settings is not None else None


@jinja2.pass_context
def date_filter(context: Any, value: date | datetime | None, style: str = "long") -> str:
    """`{{ moment | date }}`: the day in the page's language, on the society's calendar."""
    return i18n.format_date(value, zone=_zone(context), style=style)


@jinja2.pass_context
def datetime_filter(context: Any, value: datetime | None, style: str = "medium") -> str:
    """`{{ moment | datetime }}`: day and time in the page's language and the society's time zone."""
    return i18n.format_datetime(value, zone=_zone(context), style=style)


@jinja2.pass_context
def time_filter(context: Any, value: datetime | None) -> str:
    """`{{ moment | time }}`: the time of day in the society's time zone."""
    return i18n.format_time(value, zone=_zone(context))


@jinja2.pass_context
def zone_name_filter(context: Any, value: datetime | None) -> str:
    """`{{ moment | zone_name }}`: the society's time zone at that moment ("CET", "CEST")."""
    return i18n.format_zone_name(value, zone=_zone(context))


@jinja2.pass_context
def url_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """The site-relative path of a named route, so links work behind any proxy."""
    request: Request = context["request"]
    return str(request.app.url_path_for(name, **params))


def page_path(request: Request) -> str:
    """The page's address within the site, without its language prefix: "/articles/x"."""
    return get_route_path(request.scope)


def waiting_time(since: datetime | None, now: datetime) -> str:
    """How long something has waited, in the largest whole unit: "3 days", "5 hours"."""
    if since is None:
        return ""
    since = since if since.tzinfo else since.replace(tzinfo=now.tzinfo)
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes >= 1440:
        return i18n.ngettext("%(num)d day", "%(num)d days", minutes // 1440) % {"num": minutes // 1440}
    if minutes >= 60:
        return i18n.ngettext("%(num)d hour", "%(num)d hours", minutes // 60) % {"num": minutes // 60}
    return i18n.ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes}


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Show `message` once, on the next page this browser opens."""
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def pop_flashes(request: Request) -> list[dict[str, str]]:
    return request.session.pop("flash", []) if "session" in request.scope else []


def signed_in_user(request: Request) -> Any:
    """The user the guards found for this request, for the header; None for visitors."""
    return getattr(request.state, "user", None)


def other_language(code: str) -> Markup:
    """` lang="en"` for text in language `code` on a page in another one; nothing for the page's own.

    Screen readers then speak that text, and browsers hyphenate and spell-check it, in its language.
    """
    if not code or code == i18n.current():
        return Markup("")
    return Markup(' lang="{}"').format(code)


@cache
def build_templates() -> Jinja2Templates:
    """The site's templates, one environment per process for every app built in it.

    Nothing here depends on settings (pages get those in their context), and compiling a template
    costs milliseconds: a process that builds several apps (the test suite builds one per test)
    compiles and loads each template once.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Read the language of the page being rendered at each call: one environment serves them all.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    env.globals["language"] = i18n.current
    env.globals["page_path"] = page_path
    env.globals["in_language"] = languages.in_language
    env.globals["language_versions"] = language_links.versions
    env.globals["language_default_url"] = language_links.default_url
    env.globals["language_name"] = language_links.language_name
    env.globals["other_language"] = other_language
    env.filters["date"] = date_filter
    env.filters["datetime"] = datetime_filter
    env.filters["time"] = time_filter
    env.filters["zone_name"] = zone_name_filter
    env.filters["number"] = i18n.format_number
    env.globals["static_version"] = static_version
    env.globals["url_for"] = url_for
    env.globals["csrf_token"] = csrf_token
    env.globals["pop_flashes"] = pop_flashes
    env.globals["signed_in_user"] = signed_in_user
    env.globals["waiting_time"] = waiting_time
    env.globals["history_labels"] = HISTORY_LABELS
    env.globals["profession_labels"] = PROFESSION_LABELS
    env.globals["profession_name"] = PROFESSION_NAMES
    env.globals["profession_names"] = PROFESSION_NAMES_IN_TEXT
    env.globals["audience_label"] = audience_label
    env.globals["audience_in_text"] = audience_in_text
    env.globals["can"] = can
    env.globals["Capability"] = Capability
    env.globals["staff_menu"] = staff_menu
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page template with the site settings in its context.

    A page answered with an error status that shows a form's errors is a refused form: its title
    starts "Error:" (`refused` in base.html), so a screen reader says so before anything else.
    """
    templates: Jinja2Templates = request.app.state.templates
    settings = request.app.state.settings
    full = {"settings": settings, **(context or {})}
    full["refused"] = status_code >= 400 and any(
        value for key, value in full.items() if key == "errors" or key.endswith("_errors")
    )
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def page_number(page: int | str | None) -> int:
    """Read a `?page=` value; anything that is not a positive number means the first page."""
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        return 1
    # Far past any real list: still a "no such page", without overflowing the database's integers.
    return min(number, MAX_PAGE) if number > 0 else 1


async def numbers_in_range(request: Request) -> None:
    """Answer 404 for a number in the path that no row can have (a dependency of every router)."""
    for value in request.path_params.values():
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > MAX_ID:
            raise HTTPException(404, "There is no such page.")


def page_or_404(page: Page[T]) -> Page[T]:
    """A page of a list; past the end of the list is a 404 (the first page may be empty)."""
    if page.number > 1 and not page.items:
        raise HTTPException(404, "There is no such page in this list.")
    return page


def get_or_404(
    db: Session, model: type[T], row_id: int, message: str, *, shown: Callable[[T], bool] | None = None
) -> T:
    """Load a row by id, or answer 404 with `message` (also when `shown` says this page does not show it)."""
    found = db.get(model, row_id)
    if found is None or (shown is not None and not shown(found)):
        raise HTTPException(404, message)
    return found
