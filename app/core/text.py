"""Small text helpers shared by every domain."""

from __future__ import annotations

import re
import unicodedata

from app.core.db import MAX_ID

_NON_WORD = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG = re.compile(SLUG_PATTERN)


def row_number(text: str) -> int | None:
    """The id or version typed, if it is plain ASCII digits a database integer can hold; else None."""
    # str.isdigit() also accepts "²" and other scripts' digits, which int() refuses or misreads.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def is_slug(text: str) -> bool:
    """True for the lowercase-hyphenated words every URL slug is made of."""
    return len(text) <= 200 and _SLUG.fullmatch(text) is not None


# German writes its umlauts out when they cannot be written ("Entzündung" -> "entzuendung"); just
# dropping the dots would read as other words ("schon" is not "schön"). Other languages keep the plain
# letter, so an English slug or anchor stays what it has always been.
_SPELLED_OUT = {
    "de": str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
}


def slugify(text: str, language: str = "") -> str:
    """Turn a title into a URL slug: ASCII, lowercase, words joined by hyphens.

    In German, ä, ö, ü and ß are written out as ae, oe, ue and ss.
    """
    if table := _SPELLED_OUT.get(language):
        text = text.translate(table)
    # Dashes and other punctuation separate words ("gut–brain" -> "gut-brain"), accents just go.
    spaced = "".join(" " if unicodedata.category(c).startswith(("P", "Z", "S")) else c for c in text)
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return _NON_WORD.sub("-", ascii_text.lower()).strip("-")[:120] or "untitled"


def query_text(text: str, limit: int = 200) -> str:
    """A search box's text, trimmed, without control characters (PostgreSQL refuses NUL)."""
    return "".join(char for char in text if char.isprintable() or char == " ").strip()[:limit]
