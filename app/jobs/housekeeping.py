"""Jobs outside the access lifecycle: scheduled articles, old tokens, sessions and messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthToken, UserSession
from app.articles.models import Article, ArticleStatus
from app.audit import service as audit
from app.contact.models import ContactMessage
from app.core import content_version, page_store
from app.core.config import Settings
from app.core.db import changed_rows, claim


def publish_scheduled(db: Session, settings: Settings, now: datetime) -> int:
    """Publish scheduled articles whose publication time has come."""
    due = (Article.status == ArticleStatus.SCHEDULED, Article.published_at <= now)
    published = 0
    for article_id in db.scalars(select(Article.id).where(*due).order_by(Article.published_at)).all():
        if not claim(db, Article, article_id, where=due, values={"status": ArticleStatus.PUBLISHED}):
            db.rollback()
            continue
        audit.record(
            db,
            actor=None,
            action="article.published",
            target_type="article",
            target_id=article_id,
            before=ArticleStatus.SCHEDULED,
            after=ArticleStatus.PUBLISHED,
        )
        content_version.bump(db)
        db.commit()
        published += 1
    return published


def purge_tokens(db: Session, settings: Settings, now: datetime) -> int:
    """Delete email tokens that were used or have expired: they can never work again."""
    purged = changed_rows(
        db, delete(AuthToken).where(or_(AuthToken.used_at.is_not(None), AuthToken.expires_at <= now))
    )
    db.commit()
    return purged


def purge_sessions(db: Session, settings: Settings, now: datetime) -> int:
    """Delete sessions that were ended or have run past their idle or absolute limit."""
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    purged = changed_rows(
        db,
        delete(UserSession).where(
            or_(
                UserSession.ended_at.is_not(None),
                UserSession.expires_at <= now,
                UserSession.last_seen_at <= idle_since,
            )
        ),
    )
    db.commit()
    return purged


def purge_handled_messages(db: Session, settings: Settings, now: datetime) -> int:
    """Delete contact messages (and their replies) handled longer ago than the retention period."""
    closed_before = now - timedelta(days=settings.contact_retention_days)
    purged = changed_rows(
        db,
        delete(ContactMessage).where(
            ContactMessage.handled_at.is_not(None), ContactMessage.handled_at <= closed_before
        ),
    )
    db.commit()
    return purged


def prune_cached_pages(db: Session, settings: Settings, now: datetime) -> int:
    """Delete shared pages of an older content version or past their age, and any past the cap."""
    max_age = timedelta(seconds=settings.page_cache_seconds)
    pruned = page_store.prune(db, now=now, max_age=max_age, max_entries=settings.page_cache_max_entries)
    db.commit()
    return pruned
