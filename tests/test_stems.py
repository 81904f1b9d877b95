"""The SQLite search index stores Snowball stems: a word must keep its stem from one release to the
next, or rows indexed before would no longer match the same query (a reindex would be needed)."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from app.search import stemming

DEMO_ARTICLES = Path(stemming.__file__).resolve().parents[1] / "demo" / "articles"

# Every distinct word of the demo articles, stemmed by `snowballstemmer` 3.1.1 (the pure-Python
# Snowball stemmers the index was built with before PyStemmer): a digest of the stems in order.
DEMO_STEMS = {
    "english": (1819, "943ed7cfbebfc916"),
    "german": (2389, "9ad93be1203fd637"),
}


def demo_words(language: str) -> list[str]:
    """The distinct words of the demo articles in one language, lowercased as the index has them."""
    folder = DEMO_ARTICLES / "de" if language == "german" else DEMO_ARTICLES
    text = " ".join(path.read_text() for path in sorted(folder.glob("*.md")))
    return sorted({unicodedata.normalize("NFKC", word).lower() for word in stemming.WORD.findall(text)})


@pytest.mark.parametrize("language", sorted(DEMO_STEMS))
def test_the_demo_articles_words_keep_the_stems_the_index_was_built_with(language: str) -> None:
    words = demo_words(language)
    stemmer = stemming._stemmer(language)
    digest = hashlib.sha256("\n".join(stemmer.stemWord(word) for word in words).encode()).hexdigest()
    assert (len(words), digest[:16]) == DEMO_STEMS[language]


@pytest.mark.parametrize(
    ("word", "language", "stem"),
    [
        ("Entzündungen", "german", "entzund"),
        ("Entzündung", "german", "entzund"),
        ("Depressionen", "german", "depression"),
        ("Schlafstörungen", "german", "schlafstor"),
        ("Straße", "german", "strass"),
        ("Strasse", "german", "strass"),
        ("depression", "english", "depress"),
        ("studies", "english", "studi"),
        ("study", "english", "studi"),
        ("inflammatory", "english", "inflammatori"),
        ("inflammation", "english", "inflamm"),
    ],
)
def test_well_known_words_have_their_snowball_stems(word: str, language: str, stem: str) -> None:
    assert stemming.stem(word, language) == stem


def test_every_stemmed_configuration_has_its_stemmer() -> None:
    for config in stemming.STEMMED:
        assert stemming.stem("Words", config)
