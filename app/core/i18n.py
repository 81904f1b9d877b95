"""The language a request or an email is in, the interface text in it, and dates in its style.

English is the language of the source: every msgid is the English text, so English needs no
catalog. Every other language is a gettext catalog, `app/locale/<code>/LC_MESSAGES/messages.po`,
extracted from Python and Jinja2 with Babel and compiled to `.mo` by the build (`make catalogs`).
A third language is a catalog and a setting (PORTAL_LANGUAGES), not code.

The language is a context variable: the language layer (`core/languages.py`) sets it for a
request from its address, and `using(code)` sets it around an email or a job, so templates, forms
and services translate with `gettext` without handing the language along.
"""

from __future__ import annotations

import gettext as gnu_gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import TypeVar

SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
# The Babel locale whose conventions each language's dates and numbers follow. The society is
# European: its English pages write "2 December 2026", not "December 2, 2026".
FORMAT_LOCALES = {"en": "en_GB", "de": "de_DE"}

_language: ContextVar[str] = ContextVar("portal_language", default=SOURCE_LANGUAGE)


def current() -> str:
    """The language of the request or email being built."""
    return _language.get()


@contextmanager
def using(code: str) -> Iterator[None]:
    """Build what happens inside in `code` (an email to a person, a page in a test)."""
    token = _language.set(code)
    try:
        yield
    finally:
        _language.reset(token)


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_catalog(code: str) -> bool:
    return code == SOURCE_LANGUAGE or catalog_path(code).is_file()


def catalog_languages() -> list[str]:
    """The languages the site could speak: English and every language with a catalog."""
    found = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted({SOURCE_LANGUAGE, *found})


@cache
def translations(code: str) -> gnu_gettext.NullTranslations:
    """The compiled catalog of `code`, loaded once per process."""
    if code == SOURCE_LANGUAGE or not has_catalog(code):
        return gnu_gettext.NullTranslations()
    source = catalog_path(code)
    compiled = source.with_suffix(".mo")
    if compiled.is_file() and compiled.stat().st_mtime >= source.stat().st_mtime:
        with compiled.open("rb") as file:
            return gnu_gettext.GNUTranslations(file)
    # A catalog edited since the last build: compile it in memory, so a page never shows old text.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as file:
        catalog = read_po(file, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gnu_gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """`message` (English) in the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for `count` in the current language (German and English: one/other)."""
    return translations(_language.get()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, where the same English words translate differently."""
    return translations(_language.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (the name extraction tools know)
    """Mark a constant for the catalog; it is translated with `gettext` where it is shown."""
    return message


def _format_locale(code: str | None = None) -> str:
    code = code or _language.get()
    return FORMAT_LOCALES.get(code, code)


def _in_zone(value: datetime, zone: tzinfo | None) -> datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(zone or UTC)


def format_date(value: date | datetime | None, *, zone: tzinfo | None = None, style: str = "long") -> str:
    """A date as the current language writes it ("2. Dezember 2026"), on the society's calendar."""
    if value is None:
        return ""
    from babel.dates import format_date as babel_date

    day = _in_zone(value, zone).date() if isinstance(value, datetime) else value
    return babel_date(day, format=style, locale=_format_locale())


def format_datetime(value: datetime | None, *, zone: tzinfo | None = None, style: str = "medium") -> str:
    """A moment as the current language writes it, in the society's time zone."""
    if value is None:
        return ""
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(_in_zone(value, zone), format=style, tzinfo=zone, locale=_format_locale())


def format_time(value: datetime | None, *, zone: tzinfo | None = None) -> str:
    """A time of day ("14:30") in the society's time zone."""
    if value is None:
        return ""
    from babel.dates import format_time as babel_time

    return babel_time(_in_zone(value, zone), format="short", tzinfo=zone, locale=_format_locale())


def format_zone_name(value: datetime | None, *, zone: tzinfo | None = None) -> str:
    """The zone's short name at that moment, as the current language writes it ("MESZ", "CET")."""
    if value is None:
        return ""
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(_in_zone(value, zone), format="z", tzinfo=zone, locale=_format_locale())


def format_number(value: float) -> str:
    """A number with the current language's separators ("1.234,5" in German)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=_format_locale())


K = TypeVar("K")


class Labels(Mapping[K, str]):
    """A table of texts marked with `N_`, each read in the current language.

    Module-level tables (profession names, history entries) are built once, at import, in no
    language; reading an entry translates it, so every page, form and email that looks one up
    shows it in its own language without translating it itself.
    """

    def __init__(self, texts: Mapping[K, str]) -> None:
        self._texts = dict(texts)

    def __getitem__(self, key: K) -> str:
        return gettext(self._texts[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def source(self, key: K) -> str:
        """The entry in English, the language of the code (for data, not for people)."""
        return self._texts[key]
