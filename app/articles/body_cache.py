"""Rendered bodies, kept per (article, version, variant) so a page does not render Markdown again.

What a viewer reads of a body depends only on which of its gated blocks `may_read` lets them
read, so the variant is exactly that set of block audiences: two viewers share a rendering only
when the rule agrees for every block of that article. The box around a readable block names its
readers in the page's language, so the key holds the language too. The panel in place of a locked block fits
each viewer (log in, pending, other professions), so it is filled in per request, never cached.
A save raises the article's version, which retires every variant of the old text; the key also
holds a digest of the text and the time of the save, so a reused id never meets an old entry.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from markupsafe import Markup
from sqlalchemy import inspect

from app.articles import figures
from app.articles.markdown import (
    LockedPart,
    ReferenceData,
    RenderedBody,
    gated_audiences,
    render_body,
    whole_part,
)
from app.articles.models import Article
from app.core import i18n
from app.core.policy import Audience, Viewer, may_read

# Bounded by size, not count: a body may hold 200 KB of Markdown, so 1,024 of them could take
# hundreds of MB in every worker. 8 MB keeps every variant of the few hundred articles most read.
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_AUDIENCE_LISTS = 4096
# What a reference or a heading costs beside its text (objects, numbers, anchors), roughly.
ENTRY_OVERHEAD_BYTES = 200

Value = TypeVar("Value")


class _Lru(Generic[Value]):
    """A thread-safe map of at most `limit` in weight (one per entry unless `weigh` says otherwise)
    that forgets the entries used least recently; an entry heavier than the limit is not kept."""

    def __init__(self, limit: int, weigh: Callable[[Value], int] = lambda _: 1) -> None:
        self._limit = limit
        self._weigh = weigh
        self._items: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Value]) -> Value:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = make()
        weight = self._weigh(value)
        if weight > self._limit:
            return value
        with self._lock:
            if key in self._items:  # made twice at once: keep one copy
                self._weight -= self._items.pop(key)[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self._limit:
                self._weight -= self._items.popitem(last=False)[1][1]
        return value

    @property
    def weight(self) -> int:
        return self._weight


@dataclass(frozen=True)
class _Variant:
    """A body rendered with a secret marker in each locked slot, and the audience of each slot."""

    body: RenderedBody
    markers: tuple[str, ...]
    locked: tuple[LockedPart, ...]


def _size(variant: _Variant) -> int:
    """About how many bytes a rendered body holds: its HTML, headings and references."""
    body = variant.body
    size = len(body.html) + sum(len(entry.text) + ENTRY_OVERHEAD_BYTES for entry in body.toc)
    for cited in body.references:
        reference = cited.reference
        size += ENTRY_OVERHEAD_BYTES + len(reference.authors) + len(reference.title) + len(reference.url)
    return size


_bodies: _Lru[_Variant] = _Lru(MAX_BODY_BYTES, _size)
_audiences: _Lru[tuple[Audience, ...]] = _Lru(MAX_AUDIENCE_LISTS)
_whole: _Lru[LockedPart] = _Lru(MAX_AUDIENCE_LISTS)


def variant_key(viewer: Viewer, audiences: tuple[Audience, ...]) -> frozenset[Audience]:
    """The block audiences of a body this viewer may read: equal keys, equal rendered text."""
    return frozenset(audience for audience in audiences if may_read(viewer, audience))


def body_for(
    article: Article,
    viewer: Viewer,
    *,
    references: Callable[[], Sequence[ReferenceData]],
    panel: Callable[[LockedPart], str],
) -> RenderedBody:
    """The article's body for this viewer, rendered once per variant and filled with their panels."""
    if not _is_stored_unchanged(article):
        # A preview or an unsaved edit: its text is not the one its version names.
        return render_body(
            article.body,
            viewer=viewer,
            references=references(),
            panel=panel,
            sizes=figures.sizes_for(article),
            language=article.language,
        )
    digest = _digest(article.body)
    audiences = block_audiences(article.body, digest)
    # The boxes around readable blocks name their readers in the page's language.
    variant = variant_key(viewer, audiences)
    key = (article.id, article.version, article.updated_at, digest, i18n.current(), variant)
    rendered = _bodies.get(key, lambda: _render_variant(article, viewer, references()))
    html = str(rendered.body.html)
    for marker, part in zip(rendered.markers, rendered.locked, strict=True):
        # One panel per audience, so one marker may stand in several slots.
        html = html.replace(marker, panel(part))
    # The cached HTML was sanitised when rendered; the panels come from our own templates.
    return replace(rendered.body, html=Markup(html))  # noqa: S704


def _render_variant(article: Article, viewer: Viewer, references: Sequence[ReferenceData]) -> _Variant:
    # The marker is secret, so no text an author writes can be mistaken for a slot.
    nonce = secrets.token_hex(12)
    locked: list[LockedPart] = []

    def marker(part: LockedPart) -> str:
        locked.append(part)
        return _marker(nonce, len(locked))

    body = render_body(
        article.body,
        viewer=viewer,
        references=references,
        panel=marker,
        sizes=figures.sizes_for(article),
        language=article.language,
    )
    markers = tuple(_marker(nonce, n) for n in range(1, len(locked) + 1))
    return _Variant(body, markers, tuple(locked))


def _marker(nonce: str, number: int) -> str:
    # Closed at both ends: the first slot's marker must not be the start of the tenth's.
    return f"locked-panel-{nonce}-{number}-end"


def block_audiences(body: str, digest: bytes = b"") -> tuple[Audience, ...]:
    """The audience of every gated block of a body, parsed once per text."""
    digest = digest or _digest(body)
    return _audiences.get(digest, lambda: tuple(gated_audiences(body)))


def _digest(body: str) -> bytes:
    return hashlib.blake2b(body.encode(), digest_size=16).digest()


def whole_locked(article: Article) -> LockedPart:
    """What the panel in place of a closed article stands for: its audience and how long it is."""
    if not _is_stored_unchanged(article):
        return whole_part(article.body, article.audience_rule)
    key = (_digest(article.body), article.audience)
    return _whole.get(key, lambda: whole_part(article.body, article.audience_rule))


def _is_stored_unchanged(article: Article) -> bool:
    state = inspect(article)
    return article.id is not None and state.persistent and not state.modified
