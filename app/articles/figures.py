"""How big each figure of an article is drawn, so its `<img>` has a width and height.

The site's own images (`/static/...`) are measured here. Uploaded files are the media library's,
and the library imports articles, so `create_app` hands its lookup down with `use_media_sizes`,
as it hands down who is asking; without it an uploaded figure is shown without a size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.orm import Session, object_session

from app.articles.models import Article
from app.core.image_size import Size, static_sizes

MediaSizes = Callable[[Session, Sequence[str]], Mapping[str, Size]]
_media_sizes: list[MediaSizes] = []


def use_media_sizes(lookup: MediaSizes) -> None:
    """Measure uploaded files with `lookup` from now on (one lookup per process)."""
    _media_sizes[:] = [lookup]


def sizes_for(article: Article) -> Callable[[Sequence[str]], Mapping[str, Size]]:
    """What measures the figures of `article`: in its database session, only when it is rendered."""

    def measure(sources: Sequence[str]) -> Mapping[str, Size]:
        found = static_sizes(sources)
        rest = [src for src in sources if src not in found]
        db = object_session(article)
        if rest and db is not None:
            for lookup in _media_sizes:
                found.update(lookup(db, rest))
        return found

    return measure
