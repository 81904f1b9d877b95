"""The category and tag forms: their fields, their rules and the messages people read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from app.core.i18n import gettext as _
from app.core.text import is_slug, slugify

MAX_NAME = 120
MAX_SLUG = 120
MAX_DESCRIPTION = 2000


def _name(value: str) -> str:
    if not value:
        raise ValueError(_("enter a name"))
    if len(value) > MAX_NAME:
        raise ValueError(_("keep the name to %(max)d characters") % {"max": MAX_NAME})
    return value


def _slug(value: str) -> str:
    if not is_slug(value) or len(value) > MAX_SLUG:
        raise ValueError(
            _(
                "use lowercase letters and digits, with single hyphens between words, such as "
                "healthy-lifestyle (at most %(max)d characters)"
            )
            % {"max": MAX_SLUG}
        )
    return value


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(_("keep the description to %(max)d characters") % {"max": MAX_DESCRIPTION})
    return value


class TagForm(BaseModel):
    """Only these fields are read from the form; anything else posted is ignored."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, AfterValidator(_name)]
    slug: Annotated[str, AfterValidator(_slug)]


class CategoryForm(TagForm):
    description: Annotated[str, AfterValidator(_description)]


def form_values(posted: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The form's own fields (empty when not sent), an empty slug suggested from the name."""
    values = {field: posted.get(field, "") for field in fields}
    if not values.get("slug") and values.get("name"):
        values["slug"] = slugify(values["name"])
    return values
