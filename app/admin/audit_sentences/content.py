"""Sentences for the work on content and records: articles, media, categories and tags, the
messages sent to the society, the outbox."""

from __future__ import annotations

from markupsafe import Markup

from app.admin.audit_sentences.grammar import Told, say, says
from app.core.i18n import gettext as _

# Where a category or tag lives; the trail records its slug in the states (articles/taxonomy.py).
ADDRESSES = {"category": "/categories/", "tag": "/tags/"}


@says("article.created")
def _article_created(told: Told) -> Markup:
    return say(_("%(actor)s created %(target)s"), told)


@says("article.saved")
def _article_saved(told: Told) -> Markup:
    return say(_("%(actor)s saved %(target)s"), told)


@says("article.published")
def _article_published(told: Told) -> Markup:
    return say(_("%(actor)s published %(target)s"), told)


@says("article.scheduled")
def _article_scheduled(told: Told) -> Markup:
    return say(_("%(actor)s scheduled %(target)s for publication"), told)


@says("article.unpublished")
def _article_unpublished(told: Told) -> Markup:
    return say(_("%(actor)s took %(target)s back to a draft"), told)


@says("article.archived")
def _article_archived(told: Told) -> Markup:
    return say(_("%(actor)s archived %(target)s"), told)


@says("media.uploaded")
def _media_uploaded(told: Told) -> Markup:
    # Recorded as "name.png, 12345 bytes" (media/library.py).
    file = told.event.reason.rsplit(", ", 1)[0]
    return say(_("%(actor)s uploaded %(target)s (%(file)s)"), told, file=file)


@says("media.edited")
def _media_edited(told: Told) -> Markup:
    return say(_("%(actor)s changed the text alternative or caption of %(target)s"), told)


@says("media.deleted")
def _media_deleted(told: Told) -> Markup:
    # Recorded as "name.png" or "name.png; used by articles #1, #2" (media/library.py).
    file = told.event.reason.split("; ", 1)[0]
    return say(_("%(actor)s deleted %(target)s (%(file)s)"), told, file=file)


def _address(told: Told, slug: str) -> str:
    return ADDRESSES.get(told.event.target_type, "/") + slug


@says("category.created", "tag.created")
def _taxonomy_created(told: Told) -> Markup:
    address = _address(told, told.event.after_state)
    return say(_("%(actor)s created %(target)s at %(address)s"), told, address=address)


@says("category.renamed", "tag.renamed")
def _taxonomy_renamed(told: Told) -> Markup:
    before, after = _address(told, told.event.before_state), _address(told, told.event.after_state)
    if before == after:
        return say(_("%(actor)s renamed %(target)s"), told)
    message = _("%(actor)s renamed %(target)s; its address moved from %(before)s to %(after)s")
    return say(message, told, before=before, after=after)


@says("category.updated")
def _taxonomy_updated(told: Told) -> Markup:
    return say(_("%(actor)s changed the description of %(target)s"), told)


@says("category.deleted", "tag.deleted")
def _taxonomy_deleted(told: Told) -> Markup:
    address = _address(told, told.event.before_state)
    return say(_("%(actor)s deleted %(target)s at %(address)s"), told, address=address)


@says("tag.merged")
def _tag_merged(told: Told) -> Markup:
    before, after = _address(told, told.event.before_state), _address(told, told.event.after_state)
    message = _("%(actor)s merged the tag at %(before)s into the tag at %(after)s")
    return say(message, told, before=before, after=after)


@says("contact.replied")
def _contact_replied(told: Told) -> Markup:
    return say(_("%(actor)s replied to %(target)s"), told)


@says("contact.handled")
def _contact_handled(told: Told) -> Markup:
    return say(_("%(actor)s marked %(target)s as handled"), told)


@says("contact.reopened")
def _contact_reopened(told: Told) -> Markup:
    return say(_("%(actor)s reopened %(target)s"), told)


@says("outbox.viewed")
def _outbox_viewed(told: Told) -> Markup:
    return say(_("%(actor)s opened the outbox"), told)
