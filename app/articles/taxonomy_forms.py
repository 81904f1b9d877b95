"""The category and tag forms: their fields, their rules and the messages people read."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, create_model

from app.core.i18n import gettext as _
from app.core.text import is_slug, slugify

MAX_NAME = 120
MAX_SLUG = 120
MAX_DESCRIPTION = 2000


def _name(value: str) -> str:
    if not value:
        raise ValueError(_("enter a name"))
    if len(value) > MAX_NAME:
        raise ValueError(_("keep the name to %(count)s characters") % {"count": MAX_NAME})
    return value


def _other_name(value: str) -> str:
    """A name in another language: optional (pages then show the default one), as long as a name."""
    return _name(value) if value else value


def _slug(value: str) -> str:
    if not is_slug(value) or len(value) > MAX_SLUG:
        raise ValueError(
            _(
                "use lowercase letters and digits, with single hyphens between words, such as "
                "healthy-lifestyle (at most %(count)s characters)"
            )
            % {"count": MAX_SLUG}
        )
    return value


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(_("keep the description to %(count)s characters") % {"count": MAX_DESCRIPTION})
    return value


class TagForm(BaseModel):
    """Only these fields are read from the form; anything else posted is ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, AfterValidator(_name)]
    slug: Annotated[str, AfterValidator(_slug)]


class CategoryForm(TagForm):
    description: Annotated[str, AfterValidator(_description)]


# The fields given again in each other language, as `name_de`, `description_de`, ...
TRANSLATED = {"name": _other_name, "description": _description}


def translated_fields(fields: tuple[str, ...], languages: tuple[str, ...]) -> tuple[str, ...]:
    """The form fields of `fields` in each of `languages`: ("name_de", "description_de")."""
    return tuple(f"{field}_{code}" for code in languages for field in fields if field in TRANSLATED)


@cache
def form_in(form: type[TagForm], languages: tuple[str, ...]) -> type[TagForm]:
    """`form` with the translated fields of each of `languages`, each checked as the default one."""
    extra: dict[str, Any] = {
        f"{field}_{code}": (Annotated[str, AfterValidator(check)], "")
        for code in languages
        for field, check in TRANSLATED.items()
        if field in form.model_fields
    }
    return create_model(f"{form.__name__}In{''.join(languages).title()}", __base__=form, **extra)


def translations_of(valid: TagForm, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The translated fields given, by language; a language with none given is left out."""
    data = valid.model_dump()
    given = {
        code: {field: data[f"{field}_{code}"] for field in TRANSLATED if data.get(f"{field}_{code}")}
        for code in languages
    }
    return {code: fields for code, fields in given.items() if fields}


def item_values(item: Any, fields: tuple[str, ...], languages: tuple[str, ...]) -> dict[str, str]:
    """What the edit form shows of a stored category or tag, in every language."""
    values = {name: getattr(item, name) for name in fields}
    for code in languages:
        values |= {f"{field}_{code}": item.translated(field, code) for field in fields if field in TRANSLATED}
    return values


def form_values(posted: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The form's own fields (empty when not sent), an empty slug suggested from the name."""
    values = {field: posted.get(field, "") for field in fields}
    if not values.get("slug") and values.get("name"):
        values["slug"] = slugify(values["name"])
    return values
