"""Each language's words reduced to their stems, the same way at index time and in a query.

A language is searched with its text search configuration: PostgreSQL's of that name, and on
SQLite the Snowball stemmer PostgreSQL's is built from. The stemmers are PyStemmer's, the Snowball
project's C code, each made when its language is first stemmed (the pure-Python `snowballstemmer`
gives the same stems, but imported all its 30 languages into every worker: 3 MB). The
configuration is found from the language's code ("fr": "french"), so a new site language is
stemmed without code; a language neither knows is searched with `simple` (words lowercased, not
stemmed).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Protocol

import Stemmer
from babel import Locale, UnknownLocaleError

# The configurations PostgreSQL (15 and later) ships, each built from the Snowball stemmer of the
# same name: a language is stemmed only where both databases can.
STEMMED = frozenset(
    {
        "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish", "french",
        "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "lithuanian",
        "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian", "spanish", "swedish",
        "tamil", "turkish", "yiddish",
    }
)  # fmt: skip
NO_STEMMING = "simple"
WORD = re.compile(r"[^\W_]+")

# A stemmer keeps its state in the object, so is not safe to share between threads: one per thread.
_local = threading.local()


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 (the library's name)


@lru_cache(maxsize=64)
def text_config(language: str) -> str:
    """The text search configuration of a language: "german" for "de", "simple" if it has none."""
    try:
        name = Locale.parse(language).english_name or ""
    except (ValueError, UnknownLocaleError):
        return NO_STEMMING
    config = name.lower()
    return config if config in STEMMED and config in Stemmer.algorithms() else NO_STEMMING


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
        stemmers[config] = Stemmer.Stemmer(config)
    return stemmers[config]
