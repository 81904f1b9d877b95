"""Managing categories and tags: create, rename, merge, delete. Services flush; the caller commits.

A changed slug is kept as a redirect to the category or tag itself (not to the next slug), so a
chain of renames leads every former address straight to the current one. A slug that still
redirects belongs to the category or tag it leads to: only that one may take it back.

The search index holds article text only, never category or tag names, so nothing here needs
re-indexing; pages, feeds and the API read the names live, and each change raises the content
version so that no visitor is served a page with the old names.
"""

from __future__ import annotations

from sqlalchemy import (
    Integer,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.articles.models import (
    Article,
    Category,
    CategoryRedirect,
    Tag,
    TagRedirect,
    article_tag,
)
from app.audit import service as audit
from app.core import content_version
from app.core.db import changed_rows
from app.core.i18n import gettext as _
from app.core.i18n import ngettext


class TaxonomyRefused(Exception):
    """A change that cannot be made; `field` is the form field the message belongs beside."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _claim_category_slug(db: Session, slug: str, own: Category | None) -> None:
    own_id = own.id if own else None
    other = Category.id != own_id if own_id is not None else true()
    holder = db.scalar(select(Category).where(Category.slug == slug, other))
    if holder is not None:
        message = _("The category “%(name)s” already has this address.") % {"name": holder.name}
        raise TaxonomyRefused(message, "slug")
    redirect = db.get(CategoryRedirect, slug)
    if redirect is not None and redirect.category_id != own_id:
        former = db.get(Category, redirect.category_id)
        name = former.name if former else _("another category")
        message = _("This address still leads to “%(name)s”, which used it before.") % {"name": name}
        raise TaxonomyRefused(message, "slug")
    if redirect is not None:
        db.delete(redirect)  # the category takes its own former address back


def _claim_tag_slug(db: Session, slug: str, own: Tag | None) -> None:
    own_id = own.id if own else None
    other = Tag.id != own_id if own_id is not None else true()
    holder = db.scalar(select(Tag).where(Tag.slug == slug, other))
    if holder is not None:
        message = _("The tag “%(name)s” already has this address.") % {"name": holder.name}
        raise TaxonomyRefused(message, "slug")
    redirect = db.get(TagRedirect, slug)
    if redirect is not None and redirect.tag_id != own_id:
        former = db.get(Tag, redirect.tag_id)
        name = former.name if former else _("another tag")
        raise TaxonomyRefused(_("This address still leads to the tag “%(name)s”.") % {"name": name}, "slug")
    if redirect is not None:
        db.delete(redirect)  # the tag takes its own former address back


# The redirect rows are merged, not added: a category or tag the importer created at a slug that
# another one had left keeps its address, and the stale redirect row gives way.


def _flush(db: Session) -> None:
    """Flush; a unique slug taken meanwhile by someone else is refused like any taken slug."""
    try:
        db.flush()
    except IntegrityError:
        raise TaxonomyRefused(_("This address was just taken; choose another."), "slug") from None


def _describe(item: Category | Tag) -> str:
    return f"“{item.name}” at /{'categories' if isinstance(item, Category) else 'tags'}/{item.slug}"


def _audit(db: Session, item: Category | Tag, action: str, actor: User, ip: str, **states: str) -> None:
    kind = "category" if isinstance(item, Category) else "tag"
    audit.record(
        db,
        actor=actor,
        action=f"{kind}.{action}",
        target_type=kind,
        target_id=item.id,
        before=states.get("before", "")[:40],
        after=states.get("after", "")[:40],
        reason=states.get("reason", ""),
        ip=ip,
    )


# A category's or tag's fields in the other languages: {"de": {"name": ..., "description": ...}}.
Translations = dict[str, dict[str, str]]


def create_category(
    db: Session,
    *,
    name: str,
    slug: str,
    description: str,
    translations: Translations | None = None,
    actor: User,
    ip: str = "",
) -> Category:
    """Create a category at a free slug, and audit it."""
    _claim_category_slug(db, slug, None)
    category = Category(name=name, slug=slug, description=description, translations=translations or {})
    db.add(category)
    _flush(db)
    _audit(db, category, "created", actor, ip, after=slug, reason=f"Created {_describe(category)}")
    content_version.bump(db)
    return category


def update_category(
    db: Session,
    category: Category,
    *,
    name: str,
    slug: str,
    description: str,
    translations: Translations | None = None,
    actor: User,
    ip: str = "",
) -> Category:
    """Rename a category or change its description or translations; a former slug keeps redirecting."""
    before = _describe(category)
    old_slug = category.slug
    translations = category.translations if translations is None else translations
    renamed = (name, slug) != (category.name, old_slug)
    if not renamed and (description, translations) == (category.description, category.translations):
        return category
    if slug != old_slug:
        _claim_category_slug(db, slug, category)
        db.merge(CategoryRedirect(old_slug=old_slug, category_id=category.id))
    category.name, category.slug, category.description = name, slug, description
    category.translations = translations
    _flush(db)
    reason = (
        f"{before} is now {_describe(category)}"
        if renamed
        else f"New description or translations of {before}"
    )
    action = "renamed" if renamed else "updated"
    _audit(db, category, action, actor, ip, before=old_slug, after=slug, reason=reason)
    content_version.bump(db)
    return category


def delete_category(db: Session, category: Category, *, actor: User, ip: str = "") -> None:
    """Delete a category that no article uses (checked in the same statement), and audit it."""
    _audit(db, category, "deleted", actor, ip, before=category.slug, reason=f"Deleted {_describe(category)}")
    in_use = exists().where(Article.category_id == category.id)
    if changed_rows(db, delete(Category).where(Category.id == category.id, ~in_use)) != 1:
        raise TaxonomyRefused(_in_use_message(db, category))
    content_version.bump(db)
    db.expunge(category)


def _in_use_message(db: Session, item: Category | Tag) -> str:
    if isinstance(item, Category):
        count = db.scalar(select(func.count(Article.id)).where(Article.category_id == item.id)) or 0
    else:
        count = db.scalar(select(func.count()).where(article_tag.c.tag_id == item.id)) or 0
    text = ngettext(
        "%(num)d article uses “%(name)s”; give them another one first.",
        "%(num)d articles use “%(name)s”; give them another one first.",
        count,
    )
    return text % {"num": count, "name": item.name}


def create_tag(
    db: Session, *, name: str, slug: str, translations: Translations | None = None, actor: User, ip: str = ""
) -> Tag:
    """Create a tag at a free slug, and audit it."""
    _claim_tag_slug(db, slug, None)
    tag = Tag(name=name, slug=slug, translations=translations or {})
    db.add(tag)
    _flush(db)
    _audit(db, tag, "created", actor, ip, after=slug, reason=f"Created {_describe(tag)}")
    content_version.bump(db)
    return tag


def rename_tag(
    db: Session,
    tag: Tag,
    *,
    name: str,
    slug: str,
    translations: Translations | None = None,
    actor: User,
    ip: str = "",
) -> Tag:
    """Rename a tag or change its names in other languages; its former slug keeps redirecting to it."""
    before = _describe(tag)
    old_slug = tag.slug
    translations = tag.translations if translations is None else translations
    renamed = (name, slug) != (tag.name, old_slug)
    if not renamed and translations == tag.translations:
        return tag
    if slug != old_slug:
        _claim_tag_slug(db, slug, tag)
        db.merge(TagRedirect(old_slug=old_slug, tag_id=tag.id))
    tag.name, tag.slug, tag.translations = name, slug, translations
    _flush(db)
    action, reason = (
        ("renamed", f"{before} is now {_describe(tag)}")
        if renamed
        else ("updated", f"New translations of {before}")
    )
    _audit(db, tag, action, actor, ip, before=old_slug, after=slug, reason=reason)
    content_version.bump(db)
    return tag


def merge_tags(db: Session, source: Tag, *, into: Tag, actor: User, ip: str = "") -> int:
    """Give every article of `source` the tag `into`, remove `source`, redirect its slugs to `into`.

    Returns how many articles carried `source`.
    """
    if source.id == into.id:
        raise TaxonomyRefused(_("Choose another tag than the one being merged."), "into")
    carrying = select(article_tag.c.article_id).where(article_tag.c.tag_id == source.id)
    has_target = select(article_tag.c.article_id).where(article_tag.c.tag_id == into.id)
    count = db.scalar(select(func.count()).select_from(carrying.subquery())) or 0
    target = cast(literal(into.id), Integer)
    missing = carrying.where(article_tag.c.article_id.not_in(has_target)).add_columns(target)
    db.execute(insert(article_tag).from_select(["article_id", "tag_id"], missing))
    db.execute(delete(article_tag).where(article_tag.c.tag_id == source.id))
    db.execute(update(TagRedirect).where(TagRedirect.tag_id == source.id).values(tag_id=into.id))
    db.merge(TagRedirect(old_slug=source.slug, tag_id=into.id))
    reason = f"Merged {_describe(source)} into {_describe(into)}; {count} articles carried it"
    _audit(db, source, "merged", actor, ip, before=source.slug, after=into.slug, reason=reason)
    db.execute(delete(Tag).where(Tag.id == source.id).execution_options(synchronize_session=False))
    db.expunge(source)
    content_version.bump(db)
    # Loaded articles still list the removed tag; read them afresh.
    db.expire_all()
    return count


def delete_tag(db: Session, tag: Tag, *, actor: User, ip: str = "") -> None:
    """Delete a tag no article carries (checked in the same statement), and audit it."""
    _audit(db, tag, "deleted", actor, ip, before=tag.slug, reason=f"Deleted {_describe(tag)}")
    in_use = exists().where(article_tag.c.tag_id == tag.id)
    if changed_rows(db, delete(Tag).where(Tag.id == tag.id, ~in_use)) != 1:
        raise TaxonomyRefused(_in_use_message(db, tag))
    content_version.bump(db)
    db.expunge(tag)
