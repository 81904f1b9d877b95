"""Absolute addresses and machine-readable dates, for documents read away from the site."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import Request

from app.articles.models import Article
from app.core import i18n
from app.core.config import Settings


class Link(Protocol):
    """The absolute URL of a named route."""

    def __call__(self, name: str, /, **params: Any) -> str: ...


def absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


def linker(request: Request) -> Link:
    """Absolute URLs on the configured public address, never on the Host header a client sent."""
    settings: Settings = request.app.state.settings

    def link(name: str, /, **params: Any) -> str:
        return absolute(settings, str(request.app.url_path_for(name, **params)))

    return link


def paths(request: Request) -> Link:
    """Paths of named routes without a language prefix, whatever the language of the request."""

    def path(name: str, /, **params: Any) -> str:
        return str(request.app.router.url_path_for(name, **params))

    return path


def other_languages(request: Request, name: str, /, **params: Any) -> dict[str, str]:
    """The absolute URL of a named route in each of the site's languages but the current one."""
    settings: Settings = request.app.state.settings
    codes = settings.language_codes
    path = paths(request)(name, **params)
    return {
        code: absolute(settings, f"/{code}{path}")
        for code in codes
        if len(codes) > 1 and code != i18n.current()
    }


def utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back without a zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timestamp(moment: datetime) -> str:
    """RFC 3339 / ISO 8601 in UTC, as Atom, sitemaps, OpenGraph and schema.org expect."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def published(article: Article) -> datetime:
    return utc(article.published_at or article.updated_at)


def last_change(article: Article) -> datetime:
    """When the article last changed, never earlier than its publication (scheduled articles)."""
    return max(published(article), utc(article.updated_at))
