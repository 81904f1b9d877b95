"""Each language's words reduced to their stems, the same way at index time and in a query.

A language is searched with its text search configuration: PostgreSQL's of that name, and on
SQLite the Snowball stemmer PostgreSQL's is built from. A language without one here is searched
with `simple` (words lowercased, not stemmed), so a new site language needs no code; giving it
stems is a line in `TEXT_SEARCH_CONFIGS` and `portal db reindex`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Protocol

import snowballstemmer

TEXT_SEARCH_CONFIGS = {"de": "german", "en": "english"}
NO_STEMMING = "simple"
WORD = re.compile(r"[^\W_]+")

# A Snowball stemmer keeps its state in the object: one per thread.
_local = threading.local()


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 (the library's name)


def text_config(language: str) -> str:
    """The text search configuration of a language: "german" for "de", "simple" if it has none."""
    return TEXT_SEARCH_CONFIGS.get(language, NO_STEMMING)


def stems(text: str, config: str) -> list[str]:
    """The stem of each word of `text` in order, as configuration `config` reduces them."""
    return [stem(word, config) for word in WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str, config: str) -> str:
    """One word's stem: lowercased, stemmed, then without diacritics ("Entzündungen": "entzund")."""
    lowered = unicodedata.normalize("NFKC", word).lower()
    if config != NO_STEMMING:
        lowered = _stemmer(config).stemWord(lowered)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stemmer(config: str) -> _Stemmer:
    stemmers: dict[str, _Stemmer] = _local.__dict__.setdefault("stemmers", {})
    if config not in stemmers:
        stemmers[config] = snowballstemmer.stemmer(config)
    return stemmers[config]
