"""The staff editor's workflow: check what was typed, save it with a status change, audit it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.articles import translations
from app.articles.markdown import check_body, gated_audiences, limit_problem
from app.articles.models import Article, ArticleRevision, ArticleStatus, Category, Reference, SlugRedirect
from app.audit import service as audit
from app.core import i18n
from app.core.db import claim as claim_row
from app.core.db import utcnow
from app.core.forms import validate
from app.core.i18n import gettext as _
from app.core.policy import AudienceError
from app.core.text import is_slug, row_number, slugify
from app.media import service as media_service
from app.media.models import MediaFile
from app.publishing import forms, service


class Action(StrEnum):
    SAVE = "save"
    PUBLISH = "publish"
    SCHEDULE = "schedule"
    UNPUBLISH = "unpublish"
    ARCHIVE = "archive"


AUDIT_ACTIONS = {
    ArticleStatus.DRAFT: "article.unpublished",
    ArticleStatus.SCHEDULED: "article.scheduled",
    ArticleStatus.PUBLISHED: "article.published",
    ArticleStatus.ARCHIVED: "article.archived",
}


KEEP_HERO = "current"


class EditRefused(ValueError):
    """What was typed cannot be saved; `errors` says what to fix, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class StaleVersion(Exception):
    """Someone saved the article after this form was loaded."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(_("the article is at version %(version)d now") % {"version": current})


@dataclass(frozen=True)
class Checked:
    """A form that passed every check: the content, and the publish time typed (if any)."""

    content: service.Content
    published_at: datetime | None


def check(db: Session, form: forms.EditorForm, *, article: Article | None, zone: tzinfo) -> Checked:
    """Turn the typed form into content, or raise EditRefused with every problem found.

    The publish time is typed in the society's `zone`.
    """
    fields, errors = validate(forms.ArticleFields, form.values)
    audience, audience_error = forms.audience_text(form)
    references, reference_errors = forms.references(form)
    published_at, time_error = forms.publish_time(form.values.get("published_at", ""), zone)
    errors |= reference_errors
    if audience_error:
        errors["audience"] = audience_error
    if time_error:
        errors["published_at"] = time_error
    category, category_error = _category(db, form.values.get("category", ""))
    if category_error:
        errors["category"] = category_error
    hero, hero_errors = _hero(db, form.values, article)
    errors |= hero_errors
    # Every problem at once, even beside fields that failed above, so one round of fixes is enough.
    slug = form.values.get("slug", "") or slugify(form.values.get("title", ""))
    if (slug_error := slug_problem(db, slug, article)) and "slug" not in errors:
        errors["slug"] = slug_error
    if body_error := _body_problem(form.values.get("body", ""), {str(r["key"]) for r in references}):
        errors.setdefault("body", body_error)
    if fields is None or errors:
        raise EditRefused(errors)
    content = service.Content(
        title=fields.title,
        slug=slug,
        summary=fields.summary,
        # As typed: pydantic strips text, but a body's leading indentation is Markdown.
        body=form.values.get("body", ""),
        audience=audience,
        category=category,
        tag_names=tuple(forms.tag_names(fields.tags)),
        author_name=fields.author_name,
        hero_image=hero,
        hero_alt=fields.hero_alt if hero else "",
        references=tuple(references),
    )
    return Checked(content, published_at)


def _category(db: Session, value: str) -> tuple[Category | None, str]:
    if not value:
        return None, ""
    number = row_number(value)
    found = db.get(Category, number) if number is not None else None
    return found, "" if found else _("Choose one of the categories.")


def _hero(db: Session, values: dict[str, str], article: Article | None) -> tuple[str | None, dict[str, str]]:
    """The hero image's address; `current` keeps one that is not in the media library (imported)."""
    chosen = values.get("hero_image", "")
    if not chosen:
        return None, {}
    if chosen == KEEP_HERO and article is not None and article.hero_image:
        url: str | None = article.hero_image
    else:
        number = row_number(chosen)
        media = db.get(MediaFile, number) if number is not None else None
        is_image = media is not None and media.content_type.startswith("image/")
        url = media_service.url_of(media) if media is not None and is_image else None
    if url is None:
        return None, {"hero_image": _("Choose one of the images.")}
    if not values.get("hero_alt"):
        return None, {"hero_alt": _("Describe the hero image for people who cannot see it (alt text).")}
    return url, {}


def slug_problem(db: Session, slug: str, article: Article | None) -> str:
    """Why `slug` cannot be this article's address, or "" if it can."""
    if not is_slug(slug):
        return _("Use lowercase letters, digits and single hyphens, e.g. sleep-and-mood.")
    others = select(Article.id).where(Article.slug == slug)
    old = select(SlugRedirect.article_id).where(SlugRedirect.old_slug == slug)
    if article is not None:
        others, old = others.where(Article.id != article.id), old.where(SlugRedirect.article_id != article.id)
    if db.scalar(others) is not None:
        return _("Another article already has this address.")
    if db.scalar(old) is not None:
        return _("Another article used this address before and its old links still lead there.")
    return ""


def _body_problem(body: str, reference_keys: set[str]) -> str:
    problems = check_body(body, reference_keys)
    line = _("line %(line)d: %(message)s")
    return "; ".join(line % {"line": p.line, "message": p.message} if p.line else p.message for p in problems)


def save(
    db: Session,
    *,
    article: Article | None,
    checked: Checked,
    action: Action,
    actor: User,
    version: int | None,
    ip: str = "",
    language: str = i18n.SOURCE_LANGUAGE,
) -> Article:
    """Save the checked content with the status the action asks for; refuse a stale version.

    A new article is written in `language` (the site's default; a translation starts from
    `translate`).
    """
    before = article.status if article else None
    status, published_at = _status(article, checked.published_at, action)
    if article is None:
        article = Article(author_id=actor.id, version=0, language=language)
    else:
        claim(db, article, version)
        follow_rename(db, article, checked.content.slug)
    service.apply_content(
        db, article, checked.content, status=status, published_at=published_at, saved_by=actor
    )
    audit_save(db, article, before=before, actor=actor, ip=ip)
    return article


def _status(
    article: Article | None, typed: datetime | None, action: Action
) -> tuple[ArticleStatus, datetime | None]:
    now = utcnow()
    current = article.status if article else ArticleStatus.DRAFT
    if action == Action.SCHEDULE or (action == Action.SAVE and current == ArticleStatus.SCHEDULED):
        if typed is None or typed <= now:
            raise EditRefused(
                {"published_at": _("To schedule the article, give a publish time in the future.")}
            )
        return ArticleStatus.SCHEDULED, typed
    if action == Action.PUBLISH or (action == Action.SAVE and current == ArticleStatus.PUBLISHED):
        # A publication keeps a time already past; a future time typed here does not delay it.
        earlier = forms.aware(article.published_at) if article else None
        past = [t for t in (typed, earlier) if t and t <= now]
        return ArticleStatus.PUBLISHED, past[0] if past else now
    if action == Action.UNPUBLISH:
        return ArticleStatus.DRAFT, typed
    if action == Action.ARCHIVE:
        return ArticleStatus.ARCHIVED, typed or (article.published_at if article else None)
    return current, typed


def claim(db: Session, article: Article, version: int | None) -> None:
    """Take the next version, or fail if another save took it first (compare-and-set)."""
    if version is None or version != article.version:
        raise StaleVersion(article.version)
    if not claim_row(db, Article, article.id, expected={"version": version}, values={"version": version + 1}):
        raise StaleVersion(version + 1)
    # apply_content raises the version itself; it must land on the number claimed here.
    article.version = version


def follow_rename(db: Session, article: Article, slug: str) -> None:
    """Keep the old address of a renamed article leading to it."""
    if slug == article.slug:
        return
    # Coming back to a former address: it is the article's own again, not a redirect.
    db.execute(delete(SlugRedirect).where(SlugRedirect.old_slug == slug))
    if db.get(SlugRedirect, article.slug) is None:
        db.add(SlugRedirect(old_slug=article.slug, article_id=article.id))


def audit_save(
    db: Session, article: Article, *, before: ArticleStatus | None, actor: User, ip: str, action: str = ""
) -> None:
    """Audit a save, and the status change it made if any."""
    action = action or ("article.created" if before is None else "article.saved")
    after = article.status.value
    audit.record(
        db, actor=actor, action=action, target_type="article", target_id=article.id, after=after, ip=ip
    )
    if before is not None and before != article.status:
        audit.record(
            db,
            actor=actor,
            action=AUDIT_ACTIONS[article.status],
            target_type="article",
            target_id=article.id,
            before=before.value,
            after=after,
            ip=ip,
        )


def preview(
    db: Session, form: forms.EditorForm, *, article: Article | None, zone: tzinfo
) -> tuple[Article | None, dict[str, str]]:
    """An unsaved article holding the typed text, and what a save would refuse; stores nothing.

    No article comes back while the audience is unclear: a preview must not guess who may read.
    Nor while the body is past its limits: it is not rendered until it is within them.
    """
    try:
        check(db, form, article=article, zone=zone)
        errors: dict[str, str] = {}
    except EditRefused as refused:
        errors = refused.errors
    draft, _problems = draft_of(form)
    return draft, errors


def draft_of(form: forms.EditorForm) -> tuple[Article | None, dict[str, str]]:
    """An unsaved article holding the typed text, and what a save would refuse in its body,
    references or audience; no database needed, so it can follow every pause in typing.

    No article comes back while the audience of the article or of one of its blocks is unclear
    (a preview must not guess who may read), or while the body is past its limits.
    """
    audience, audience_error = forms.audience_text(form)
    references, errors = forms.references(form)
    if audience_error:
        errors["audience"] = audience_error
    body = form.values.get("body", "")
    if body_error := _body_problem(body, {str(r["key"]) for r in references}):
        errors["body"] = body_error
    if audience_error or limit_problem(body) or _unclear_blocks(body):
        return None, errors
    title, summary = form.values.get("title", ""), form.values.get("summary", "")
    draft = Article(title=title, summary=summary, body=body, audience=audience)
    draft.references = [Reference(**fields) for fields in references]
    return draft, errors


def _unclear_blocks(body: str) -> bool:
    """Whether a `::: professional` block names an audience that does not parse."""
    try:
        gated_audiences(body)
    except AudienceError:
        return True
    return False


def latest_revision(db: Session, article: Article) -> ArticleRevision | None:
    """Return the revision the article's current version was saved as."""
    query = select(ArticleRevision).where(
        ArticleRevision.article_id == article.id, ArticleRevision.number == article.version
    )
    return db.scalar(query)


def translate(db: Session, original: Article, language: str, *, actor: User, ip: str = "") -> Article:
    """Start the article's version in `language` as a draft copy of it, to be translated.

    It keeps the references, figures, category, tags, audience and body, so the gates and
    citations start out as the original's; TranslationRefused if the group has that language.
    """
    draft = Article(author_id=actor.id, version=0, language=language, featured=original.featured)
    translations.join(db, draft, original)
    content = service.Content(
        title=original.title,
        slug=translations.free_slug(db, f"{original.slug}-{language}"),
        summary=original.summary,
        body=original.body,
        audience=original.audience,
        category=original.category,
        tag_names=tuple(t.name for t in original.tags),
        author_name=original.author_name,
        hero_image=original.hero_image,
        hero_alt=original.hero_alt,
        references=tuple(
            {name: getattr(r, name) for name in forms.REFERENCE_FIELDS} for r in original.references
        ),
    )
    service.apply_content(db, draft, content, status=ArticleStatus.DRAFT, published_at=None, saved_by=actor)
    audit_save(db, draft, before=None, actor=actor, ip=ip, action="article.translation_created")
    return draft
