"""Countries a licence may come from or a practice may be in (ISO 3166-1 alpha-2)."""

from __future__ import annotations

import unicodedata
from functools import cache

from app.core import i18n

COUNTRIES: dict[str, str] = {
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "BR": "Brazil",
    "CA": "Canada",
    "CH": "Switzerland",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "EE": "Estonia",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "GR": "Greece",
    "HR": "Croatia",
    "HU": "Hungary",
    "IE": "Ireland",
    "IL": "Israel",
    "IN": "India",
    "IS": "Iceland",
    "IT": "Italy",
    "JP": "Japan",
    "LI": "Liechtenstein",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "LV": "Latvia",
    "MT": "Malta",
    "NL": "Netherlands",
    "NO": "Norway",
    "NZ": "New Zealand",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "RS": "Serbia",
    "SE": "Sweden",
    "SI": "Slovenia",
    "SK": "Slovakia",
    "TR": "Türkiye",
    "UA": "Ukraine",
    "US": "United States",
    "ZA": "South Africa",
}


def country_choices() -> list[tuple[str, str]]:
    """The countries as a form offers them: (code, name in the current language), by name."""
    names = dict(COUNTRIES)
    if i18n.current() != i18n.SOURCE_LANGUAGE:
        territories = _territories(i18n.FORMAT_LOCALES.get(i18n.current(), i18n.current()))
        names = {code: territories.get(code, name) for code, name in names.items()}
    return sorted(names.items(), key=lambda item: _sort_key(item[1]))


@cache
def _territories(locale: str) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(locale).territories)


def _sort_key(name: str) -> str:
    # "Österreich" sorts with the O's, as a reader looks for it.
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
