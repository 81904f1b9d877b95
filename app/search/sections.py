"""Split an article into the texts each audience may read, exactly as the renderer cuts them.

The body is parsed by the same Markdown parser that renders it, and every `::: professional`
block goes to the audience the renderer would show it to: the block's own audience, narrowed by
the article's audience and by any block around it. What is left outside every block is public,
unless the whole article has an audience. An audience that does not parse reaches staff only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from markdown_it.token import Token

from app.articles.markdown import GATE, block_audience, parse
from app.core.policy import Audience, AudienceError, Profession, parse_audience

# Who may read a text: None is everyone; a set of professions (possibly empty) is those and staff.
Readers = frozenset[Profession] | None

# Highlight sentinels: private-use characters, removed from all indexed text so only the search
# engine's snippet function can put them there.
MARK_START = "\ue000"
MARK_END = "\ue001"
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")


@dataclass(frozen=True)
class Section:
    """Text of an article that one set of readers may read."""

    readers: Readers
    title: str
    body: str


def clean(text: str) -> str:
    """Drop control characters and the highlight sentinels from text about to be indexed."""
    return _UNWANTED.sub(" ", text)


def sections(*, title: str, summary: str, body: str, audience: str) -> list[Section]:
    """The public section (title, summary, public body) first, then one per gated audience."""
    texts: dict[Readers, list[str]] = {}
    stack: list[Readers] = [_readers(partial(parse_audience, audience))]
    for token in parse(body):
        if token.type == f"container_{GATE}_open":
            stack.append(_narrow(stack[-1], _readers(partial(block_audience, token))))
        elif token.type == f"container_{GATE}_close":
            if len(stack) > 1:
                stack.pop()
        elif text := _block_text(token):
            texts.setdefault(stack[-1], []).append(text)
    public = Section(None, clean(title), clean("\n".join([summary, *texts.pop(None, [])])))
    return [public, *(Section(readers, "", clean("\n".join(parts))) for readers, parts in texts.items())]


def _readers(audience: Callable[[], Audience]) -> Readers:
    try:
        parsed = audience()
    except AudienceError:
        return frozenset()
    return None if parsed.is_public else parsed.professions


def _narrow(outer: Readers, inner: Readers) -> Readers:
    if outer is None:
        return inner
    if inner is None:
        return outer
    return outer & inner


def _block_text(token: Token) -> str:
    if token.type in ("fence", "code_block"):
        return token.content.strip()
    if token.type == "inline":
        return "".join(_inline_text(child) for child in token.children or []).strip()
    return ""


def _inline_text(child: Token) -> str:
    if child.type in ("text", "code_inline"):
        return child.content
    if child.type in ("softbreak", "hardbreak"):
        return " "
    if child.type == "image":
        return f" {child.content} {child.attrGet('title') or ''} "
    return ""
