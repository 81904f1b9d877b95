"""Staff pages for categories and tags (editors): list with counts, create, rename, delete when
unused, and for tags merge. Both kinds share these pages; a `Kind` holds what differs."""

# Without postponed annotations: each kind's routes name their path parameter through a type
# built when the routes are made (`Annotated[int, Path(alias=...)]`), which must be a real object.

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.dependencies import Editor
from app.articles import taxonomy, taxonomy_queries
from app.articles.models import Category, Tag
from app.articles.taxonomy_forms import CategoryForm, TagForm, form_values
from app.core.db import Db
from app.core.forms import Form, text_fields, validate
from app.core.proxies import client_ip
from app.core.text import row_number
from app.core.web import flash, get_or_404, page_number, page_or_404, render

router = APIRouter(prefix="/admin")


@dataclass(frozen=True)
class Kind:
    """A kind of taxonomy: its names, its form, its services and the words its pages use."""

    one: str  # "category": route names, messages
    many: str  # "categories": the addresses, public and staff
    title: str  # "Categories"
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
    name_example: str
    empty_list: str
    former_note: str
    articles_heading: str
    no_articles: str
    uses: tuple[str, str]  # the verb for one article, and for several
    advice: tuple[str, str]  # what to do first when one article, or several, use it
    advice_end: str

    @property
    def param(self) -> str:
        return f"{self.one}_id"

    @property
    def public_route(self) -> str:
        return f"{self.many}.detail"

    @property
    def missing(self) -> str:
        return f"There is no such {self.one}."

    @property
    def list_route(self) -> str:
        return f"admin.{self.many}"

    def route(self, page: str = "") -> str:
        """The name of one of this kind's staff routes: `admin.tag`, `admin.tag_new`, ..."""
        return f"admin.{self.one}_{page}" if page else f"admin.{self.one}"


CATEGORY = Kind(
    one="category",
    many="categories",
    title="Categories",
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
    name_example="Healthy lifestyle",
    empty_list="Add the first one; every article can then be filed under a category.",
    former_note="These lead to this category’s page.",
    articles_heading="Articles in this category",
    no_articles="No article is filed under this category.",
    uses=("uses", "use"),
    advice=("Give it another category first", "Give them another category first"),
    advice_end="",
)
TAG = Kind(
    one="tag",
    many="tags",
    title="Tags",
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
    name_example="Sleep",
    empty_list="Add the first one; articles can then carry it, and readers find them on its page.",
    former_note="Its own earlier addresses and those of tags merged into it; they lead to this tag’s page.",
    articles_heading="Articles carrying this tag",
    no_articles="No article carries this tag.",
    uses=("carries", "carry"),
    advice=("Take it off that article first", "Take it off them first"),
    advice_end=", or merge it into another tag",
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
        "values": values or {name: getattr(item, name) for name in kind.fields},
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
        return render(request, "admin/taxonomy/new.html", {"kind": kind, "values": {}, "errors": {}})

    def create(request: Request, db: Db, user: Editor, form: Form) -> Response:
        """Create a category or tag; its slug comes from the name unless one is given."""
        values = form_values(text_fields(form), kind.fields)
        valid, errors = validate(kind.form, values)
        item = None
        if valid is not None:
            try:
                item = kind.create(db, **valid.model_dump(), actor=user, ip=client_ip(request))
            except taxonomy.TaxonomyRefused as refused:
                db.rollback()
                errors = {refused.field: str(refused)}
        if item is None:
            context = {"kind": kind, "values": values, "errors": errors}
            return render(request, "admin/taxonomy/new.html", context, status_code=422)
        db.commit()
        flash(request, f"The {kind.one} “{item.name}” was created at /{kind.many}/{item.slug}.", "success")
        return RedirectResponse(request.app.url_path_for(kind.route(), **{kind.param: item.id}), 303)

    def show(request: Request, db: Db, user: Editor, item_id: ItemId, page: str | None = None) -> Response:
        """Show the form, the former addresses, the articles, and deletion when unused."""
        return _edit_page(request, db, kind, get_or_404(db, kind.model, item_id, kind.missing), page=page)

    def update(request: Request, db: Db, user: Editor, form: Form, item_id: ItemId) -> Response:
        """Rename a category or tag, or change a category's description; old addresses keep working."""
        found = get_or_404(db, kind.model, item_id, kind.missing)
        values = form_values(text_fields(form), kind.fields)
        valid, errors = validate(kind.form, values)
        if valid is not None:
            try:
                kind.update(db, found, **valid.model_dump(), actor=user, ip=client_ip(request))
            except taxonomy.TaxonomyRefused as refused:
                db.rollback()
                errors = {refused.field: str(refused)}
        if valid is None or errors:
            return _edit_page(request, db, kind, found, values=values, errors=errors, status=422)
        db.commit()
        flash(request, f"The {kind.one} “{found.name}” was saved.", "success")
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
        flash(request, f"The {kind.one} “{name}” was deleted.", "success")
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
        return None, {"into": "Choose the tag to merge into."}
    if target.id == source.id:
        return None, {"into": "Choose another tag than the one being merged."}
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
    articles = "1 article" if count == 1 else f"{count} articles"
    flash(request, f"“{name}” was merged into “{target.name}”; {articles} carried it.", "success")
    return RedirectResponse(request.app.url_path_for("admin.tag", tag_id=target.id), 303)
