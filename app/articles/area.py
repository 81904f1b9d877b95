"""What the professional area holds, told to those outside it: counts and public titles only.

The landing page of `/professional` names, by topic, the published articles with content for
professionals and how many gated sections they hold. Titles and category names are public; the
gated text is only parsed here to count its blocks, and nothing of it leaves this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.articles import body_cache, service
from app.articles.models import Article, Category

# Titles named under each topic; the counts cover every article.
TITLES_PER_TOPIC = 5


@dataclass
class Topic:
    """One category's share of the area: its articles (newest first) and their gated parts."""

    category: Category | None
    articles: list[Article] = field(default_factory=list)
    whole: int = 0
    sections: int = 0

    @property
    def shown(self) -> list[Article]:
        return self.articles[:TITLES_PER_TOPIC]


@dataclass(frozen=True)
class Holdings:
    """The area in figures: articles with content for professionals, wholly or in sections."""

    topics: list[Topic]

    @property
    def articles(self) -> int:
        return sum(len(topic.articles) for topic in self.topics)

    @property
    def whole(self) -> int:
        return sum(topic.whole for topic in self.topics)

    @property
    def sections(self) -> int:
        return sum(topic.sections for topic in self.topics)


def holdings(db: Session, *, language: str | None = None) -> Holdings:
    """Count the published articles with content for professionals, and their gated sections, by topic."""
    topics: dict[int | None, Topic] = {}
    for article in service.maybe_gated(db, language=language):
        whole = not article.audience_rule.is_public
        # A whole article counts as one; its own blocks are no sections "inside open articles".
        sections = 0 if whole else len(body_cache.block_audiences(article.body))
        if not (whole or sections):
            continue  # `::: professional` written inside code, say: no block
        topic = topics.setdefault(article.category_id, Topic(article.category))
        topic.articles.append(article)
        topic.whole += whole
        topic.sections += sections
    # Named topics by name, then the articles filed under none.
    return Holdings(sorted(topics.values(), key=_by_name))


def _by_name(topic: Topic) -> tuple[bool, str]:
    return (topic.category is None, topic.category.label if topic.category else "")
