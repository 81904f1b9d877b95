"""Staff pages for categories and tags (editors): list with counts, create, rename, delete when
unused, and for tags merge. Both kinds share these pages; a `Kind` holds what differs."""

# Without postponed annotations: each kind's routes name their path parameter through a type
# built when the routes are made (`Annotated[int, Path(alias=...)]`), which must be a real object.

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.accounts.dependencies import Editor
from app.articles import taxonomy, taxonomy_queries, translations
from app.articles.models import Category, Tag
from app.articles.taxonomy_forms import (
    CategoryForm,
    TagForm,
    form_in,
    form_values,
    item_values,
    translated_fields,
    translations_of,
)
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.i18n import N_, ngettext
from app.core.i18n import gettext as _
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, get_or_404, page_number, page_or_404, render

router = APIRouter(prefix="/admin")


@dataclass(frozen=True)
class Kind:
    """A kind of taxonomy: its names, its form, its services and the words its pages use."""

    one: str  # "category": route names
    many: str  # "categories": the addresses, public and staff
    model: type[Category] | type[Tag]
    form: type[TagForm]
    fields: tuple[str, ...]
    listing: Callable[..., Any]
    articles: Callable[..., Any]
    former: Callable[..., Sequence[str]]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]
    mergeable: bool
    # What the pages and messages say, whole sentences marked with N_ and translated where shown
    # (German names a category and a tag with different genders, so no sentence is assembled).
    title: str
    add: str
    new_title: str
    heading: str  # with %(name)s
    back: str
    save: str
    create_button: str
    delete_heading: str
    none_yet: str
    name_example: str
    empty_list: str
    former_note: str
    articles_heading: str
    no_articles: str
    created: str  # with %(name)s and %(path)s
    saved: str  # with %(name)s
    deleted: str  # with %(name)s
    missing_text: str

    @property
    def param(self) -> str:
        return f"{self.one}_id"

    @property
    def public_route(self) -> str:
        return f"{self.many}.detail"

    @property
    def missing(self) -> str:
        return _(self.missing_text)

    @property
    def list_route(self) -> str:
        return f"admin.{self.many}"

    def route(self, page: str = "") -> str:
        """The name of one of this kind's staff routes: `admin.tag`, `admin.tag_new`, ..."""
        return f"admin.{self.one}_{page}" if page else f"admin.{self.one}"


def _other_languages(request: Request) -> tuple[str, ...]:
    languages: tuple[str, ...] = request.app.state.settings.other_languages
    return languages


def _language_names(request: Request) -> list[tuple[str, str]]:
    """The other languages' codes and names, in the page's language, for the form's field groups."""
    return [(code, translations.language_name(code)) for code in _other_languages(request)]


def _posted(
    request: Request, kind: Kind, form: FormData
) -> tuple[dict[str, str], dict[str, Any] | None, dict[str, str]]:
    """What was typed (every language's fields), the service's arguments when valid, and the errors."""
    languages = _other_languages(request)
    posted = text_fields(form)
    values = form_values(posted, kind.fields)
    values |= {name: posted.get(name, "") for name in translated_fields(kind.fields, languages)}
    valid, errors = validate(form_in(kind.form, languages), values)
    if valid is None:
        return values, None, errors
    arguments = valid.model_dump(include=set(kind.fields))
    return values, arguments | {"translations": translations_of(valid, languages)}, errors


CATEGORY = Kind(
    one="category",
    many="categories",
    model=Category,
    form=CategoryForm,
    fields=("name", "slug", "description"),
    listing=taxonomy_queries.list_categories,
    articles=taxonomy_queries.category_articles,
    former=taxonomy_queries.former_category_slugs,
    create=taxonomy.create_category,
    update=taxonomy.update_category,
    delete=taxonomy.delete_category,
    mergeable=False,
    title=N_("Categories"),
    add=N_("Add a category"),
    new_title=N_("New category"),
    heading=N_("Category “%(name)s”"),
    back=N_("Back to all categories"),
    save=N_("Save the category"),
    create_button=N_("Create the category"),
    delete_heading=N_("Delete this category"),
    none_yet=N_("There are no categories yet."),
    name_example=N_("Healthy lifestyle"),
    empty_list=N_("Add the first one; every article can then be filed under a category."),
    former_note=N_("These lead to this category’s page."),
    articles_heading=N_("Articles in this category"),
    no_articles=N_("No article is filed under this category."),
    created=N_("The category “%(name)s” was created at %(path)s."),
    saved=N_("The category “%(name)s” was saved."),
    deleted=N_("The category “%(name)s” was deleted."),
    missing_text=N_("There is no such category."),
)
TAG = Kind(
    one="tag",
    many="tags",
    model=Tag,
    form=TagForm,
    fields=("name", "slug"),
    listing=taxonomy_queries.list_tags,
    articles=taxonomy_queries.tag_articles,
    former=taxonomy_queries.former_tag_slugs,
    create=taxonomy.create_tag,
    update=taxonomy.rename_tag,
    delete=taxonomy.delete_tag,
    mergeable=True,
    title=N_("Tags"),
    add=N_("Add a tag"),
    new_title=N_("New tag"),
    heading=N_("Tag “%(name)s”"),
    back=N_("Back to all tags"),
    save=N_("Save the tag"),
    create_button=N_("Create the tag"),
    delete_heading=N_("Delete this tag"),
    none_yet=N_("There are no tags yet."),
    name_example=N_("Healthy ageing"),
    empty_list=N_("Add the first one; articles can then carry it, and readers find them on its page."),
    former_note=N_(
        "Its own earlier addresses and those of tags merged into it; they lead to this tag’s page."
    ),
    articles_heading=N_("Articles carrying this tag"),
    no_articles=N_("No article carries this tag."),
    created=N_("The tag “%(name)s” was created at %(path)s."),
    saved=N_("The tag “%(name)s” was saved."),
    deleted=N_("The tag “%(name)s” was deleted."),
    missing_text=N_("There is no such tag."),
)


def _edit_page(
    request: Request,
    db: Db,
    kind: Kind,
    item: Category | Tag,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    page: str | None = None,
    status: int = 200,
) -> Response:
    size = request.app.state.settings.page_size
    context = {
        "kind": kind,
        "item": item,
        "languages": _language_names(request),
        "values": values or item_values(item, kind.fields, _other_languages(request)),
        "errors": errors or {},
        "problem": problem,
        "articles": page_or_404(kind.articles(db, item, number=page_number(page), size=size)),
        "former": kind.former(db, item),
        "others": taxonomy_queries.other_tags(db, item) if isinstance(item, Tag) else [],
    }
    return render(request, "admin/taxonomy/item.html", context, status_code=status)


def _add_routes(kind: Kind) -> None:
    """Add the list, new, edit and delete pages of one kind, at /admin/<many>."""
    ItemId = Annotated[int, Path(alias=kind.param)]  # noqa: N806 (a type, named as types are)
    base = f"/{kind.many}"
    item_path = f"{base}/{{{kind.param}}}"

    def listing(request: Request, db: Db, user: Editor, page: str | None = None) -> Response:
        """List the categories or tags with how many articles use each."""
        size = request.app.state.settings.page_size
        found = page_or_404(kind.listing(db, number=page_number(page), size=size))
        return render(request, "admin/taxonomy/list.html", {"kind": kind, "page": found})

    def new(request: Request, db: Db, user: Editor) -> Response:
        """Show the form for a new category or tag."""
        context = {"kind": kind, "languages": _language_names(request), "values": {}, "errors": {}}
        return render(request, "admin/taxonomy/new.html", context)

    def create(request: Request, db: Db, user: Editor, form: Form) -> Response:
        """Create a category or tag; its slug comes from the name unless one is given."""
        values, valid, errors = _posted(request, kind, form)
        item = None
        if valid is not None:
            try:
                item = kind.create(db, **valid, actor=user, ip=client_ip(request))
            except taxonomy.TaxonomyRefused as refused:
                db.rollback()
                errors = {refused.field: str(refused)}
        if item is None:
            context = {
                "kind": kind,
                "languages": _language_names(request),
                "values": values,
                "errors": errors,
            }
            return render(request, "admin/taxonomy/new.html", context, status_code=422)
        db.commit()
        created = _(kind.created) % {"name": item.name, "path": f"/{kind.many}/{item.slug}"}
        flash(request, created, "success")
        return RedirectResponse(request.app.url_path_for(kind.route(), **{kind.param: item.id}), 303)

    def show(request: Request, db: Db, user: Editor, item_id: ItemId, page: str | None = None) -> Response:
        """Show the form, the former addresses, the articles, and deletion when unused."""
        return _edit_page(request, db, kind, get_or_404(db, kind.model, item_id, kind.missing), page=page)

    def update(request: Request, db: Db, user: Editor, form: Form, item_id: ItemId) -> Response:
        """Rename a category or tag, or change its description or translations; old addresses keep working."""
        found = get_or_404(db, kind.model, item_id, kind.missing)
        values, valid, errors = _posted(request, kind, form)
        if valid is not None:
            try:
                kind.update(db, found, **valid, actor=user, ip=client_ip(request))
            except taxonomy.TaxonomyRefused as refused:
                db.rollback()
                errors = {refused.field: str(refused)}
        if valid is None or errors:
            return _edit_page(request, db, kind, found, values=values, errors=errors, status=422)
        db.commit()
        flash(request, _(kind.saved) % {"name": found.name}, "success")
        return RedirectResponse(request.app.url_path_for(kind.route(), **{kind.param: found.id}), 303)

    def delete(request: Request, db: Db, user: Editor, form: Form, item_id: ItemId) -> Response:
        """Delete a category or tag that no article uses; otherwise say how many do."""
        found = get_or_404(db, kind.model, item_id, kind.missing)
        name = found.name
        try:
            kind.delete(db, found, actor=user, ip=client_ip(request))
        except taxonomy.TaxonomyRefused as refused:
            db.rollback()
            return _edit_page(request, db, kind, found, problem=str(refused), status=409)
        db.commit()
        flash(request, _(kind.deleted) % {"name": name}, "success")
        return RedirectResponse(request.app.url_path_for(kind.list_route), 303)

    pages: list[tuple[str, str, Callable[..., Response], str]] = [
        ("GET", base, listing, kind.list_route),
        ("GET", f"{base}/new", new, kind.route("new")),
        ("POST", f"{base}/new", create, kind.route("create")),
        ("GET", item_path, show, kind.route()),
        ("POST", item_path, update, kind.route("update")),
        ("POST", f"{item_path}/delete", delete, kind.route("delete")),
    ]
    for method, path, endpoint, name in pages:
        router.add_api_route(path, endpoint, methods=[method], name=name, response_class=HTMLResponse)


_add_routes(CATEGORY)
_add_routes(TAG)


# Merging is for tags only: an article has one category, but may carry two tags that mean the same.
def _merge_target(db: Db, source: Tag, chosen: str) -> tuple[Tag | None, dict[str, str]]:
    """The tag picked to merge into, or the message to show beside the choice."""
    number = row_number(chosen)
    target = db.get(Tag, number) if number is not None else None
    if target is None:
        return None, {"into": _("Choose the tag to merge into.")}
    if target.id == source.id:
        return None, {"into": _("Choose another tag than the one being merged.")}
    return target, {}


def _merge_page(request: Request, db: Db, source: Tag, chosen: str, *, failed: bool = False) -> Response:
    target, errors = _merge_target(db, source, chosen) if chosen or failed else (None, {})
    context = {
        "tag": source,
        "target": target,
        "values": {"into": chosen},
        "errors": errors,
        "others": taxonomy_queries.other_tags(db, source),
        "carrying": taxonomy_queries.tag_articles(db, source, number=1, size=1).total,
        "already": taxonomy_queries.articles_with_both(db, source, target) if target else 0,
        "former": taxonomy_queries.former_tag_slugs(db, source),
    }
    return render(request, "admin/taxonomy/tag_merge.html", context, status_code=422 if errors else 200)


@router.get("/tags/{tag_id}/merge", name="admin.tag_merge", response_class=HTMLResponse)
def merge_tag(request: Request, db: Db, user: Editor, tag_id: int, into: str = "") -> Response:
    """Choose the tag to merge this one into, then see what the merge will do before confirming."""
    return _merge_page(request, db, get_or_404(db, Tag, tag_id, TAG.missing), into)


@router.post("/tags/{tag_id}/merge", name="admin.tag_merge_confirm", response_class=HTMLResponse)
def confirm_merge(request: Request, db: Db, user: Editor, form: Form, tag_id: int) -> Response:
    """Merge the tag into the chosen one: its articles carry that one, its address leads there."""
    source = get_or_404(db, Tag, tag_id, TAG.missing)
    chosen = text_fields(form).get("into", "")
    target, _errors = _merge_target(db, source, chosen)
    if target is None:
        return _merge_page(request, db, source, chosen, failed=True)
    name = source.name
    count = taxonomy.merge_tags(db, source, into=target, actor=user, ip=client_ip(request))
    db.commit()
    merged = ngettext(
        "“%(name)s” was merged into “%(target)s”; %(num)d article carried it.",
        "“%(name)s” was merged into “%(target)s”; %(num)d articles carried it.",
        count,
    )
    flash(request, merged % {"name": name, "target": target.name, "num": count}, "success")
    return RedirectResponse(request.app.url_path_for("admin.tag", tag_id=target.id), 303)
