"""What an article holds for professionals, in the two figures stored with it at every save.

`gated_sections`: the gated blocks of a body open to all (a closed article's own blocks are no
sections "inside open articles": it counts as one whole). `gated_professions`: who may read some
part of it that is not public, as `policy.readable` expects its professions; empty when nothing
is gated. The professional area counts and lists articles from these columns, never by parsing
bodies, so its pages read a bounded number of rows however many articles there are.
"""

from __future__ import annotations

from app.articles.markdown import gated_audiences, gated_readers
from app.core.policy import parse_audience, stored_professions


def stored_gating(body: str, audience: str) -> tuple[int, str]:
    """The article's gated sections inside an open body, and the professions of its gated parts."""
    rule = parse_audience(audience)
    if not rule.is_public:
        return 0, stored_professions(rule.professions)
    return len(gated_audiences(body)), stored_professions(gated_readers(body))
