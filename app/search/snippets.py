"""Snippets cut from a row's own text around the words whose stems a query holds (for SQLite).

SQLite's index holds stems, so its `snippet()` would show stems; the snippet is cut here from the
text as written instead, the words marked between the highlight sentinels. It reads only the row
it is given, which is one the viewer may read.
"""

from __future__ import annotations

from re import Match

from app.search.sections import MARK_END, MARK_START
from app.search.stemming import NO_STEMMING, WORD, stem

# Words shown before the first match, so a snippet does not start on it.
LEAD = 3


def cut(text: str, stems: set[str], config: str, *, size: int) -> str:
    """The `size` words of `text` with the most matches, matched words marked, "…" where cut."""
    words = list(WORD.finditer(text))
    if not words:
        return ""
    # A stem begins with its word's first letter: most words need no stemming to be ruled out.
    initials = {s[:1] for s in stems}
    hits = [
        n
        for n, word in enumerate(words)
        if stem(word.group()[:1], NO_STEMMING) in initials and stem(word.group(), config) in stems
    ]
    start = _best_start(words, hits, stems, config, size)
    end = min(len(words), start + size)
    shown = set(hits)
    parts, position = [], words[start].start()
    for n in range(start, end):
        word = words[n]
        parts.append(text[position : word.start()])
        parts.append(f"{MARK_START}{word.group()}{MARK_END}" if n in shown else word.group())
        position = word.end()
    before = "…" if start > 0 else ""
    after = "…" if end < len(words) else ""
    return before + "".join(parts) + after


def _best_start(words: list[Match[str]], hits: list[int], stems: set[str], config: str, size: int) -> int:
    """Where the window holding the most distinct stems (then the most matches) begins."""
    best, best_score = 0, (0, 0)
    for first, hit in enumerate(hits):
        start = max(0, min(hit - LEAD, len(words) - size))
        inside = [n for n in hits[first:] if n < start + size]
        score = (len({stem(words[n].group(), config) for n in inside}), len(inside))
        if score > best_score:
            best, best_score = start, score
    return best
