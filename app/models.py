"""Every model, imported once so that `Base.metadata` knows every table (Alembic, tests)."""

from app.access.models import AccessRequest
from app.accounts.models import AuthToken, User, UserSession
from app.articles.models import (
    Article,
    ArticleRevision,
    Category,
    CategoryRedirect,
    Reference,
    SlugRedirect,
    Tag,
    TagRedirect,
)
from app.audit.models import AuditEvent
from app.contact.models import ContactMessage, ContactReply
from app.core.content_version import CachedPage, ContentVersion
from app.mail.models import OutboxMessage
from app.media.models import MediaFile, MediaUsage
from app.search.models import SearchEntry, SearchSource

__all__ = [
    "AccessRequest",
    "Article",
    "ArticleRevision",
    "AuditEvent",
    "AuthToken",
    "CachedPage",
    "Category",
    "CategoryRedirect",
    "ContactMessage",
    "ContactReply",
    "ContentVersion",
    "MediaFile",
    "MediaUsage",
    "OutboxMessage",
    "Reference",
    "SearchEntry",
    "SearchSource",
    "SlugRedirect",
    "Tag",
    "TagRedirect",
    "User",
    "UserSession",
]
