"""The staff editor's form: what was typed, kept as text, and what it means once checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.datastructures import FormData

from app.core.forms import text_fields, validate
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.core.policy import NAMED_AUDIENCES, AudienceError, Profession, parse_audience
from app.core.text import row_number
from app.publishing.importer import ReferenceIn

REFERENCE_FIELDS = (
    "key",
    "authors",
    "title",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "url",
    "language",
)
# Marked for the catalog; translated where a label is shown or named in a message.
REFERENCE_LABELS = {
    "key": N_("Key"),
    "authors": N_("Authors"),
    "title": N_("Title"),
    "journal": N_("Journal"),
    "year": N_("Year"),
    "volume": N_("Volume"),
    "issue": N_("Issue"),
    "pages": N_("Pages"),
    "doi": N_("DOI"),
    "pmid": N_("PubMed ID"),
    "url": N_("Link"),
    "language": N_("Language"),
}
EMPTY_REFERENCE_ROWS = 3
MAX_REFERENCE_ROWS = 60
# Every reference row is 12 fields; the rest of the form is about 30.
MAX_EDITOR_FIELDS = 40 + MAX_REFERENCE_ROWS * len(REFERENCE_FIELDS)
AUDIENCE_CHOICES = [
    ("public", N_("Everyone: a public article")),
    ("professional", N_("Health professionals (every profession)")),
    ("prescribers", N_("Prescribers: physicians, dentists, veterinarians, pharmacists")),
    ("professions", N_("Only the professions ticked below")),
]
PUBLISH_TIME_FORMAT = "%Y-%m-%dT%H:%M"
TAG_LENGTH = 120


class ReferenceRow(ReferenceIn):
    """The importer's rules for a reference, with the lengths the columns hold."""

    journal: str = Field(default="", max_length=300)
    volume: str = Field(default="", max_length=40)
    issue: str = Field(default="", max_length=40)
    pages: str = Field(default="", max_length=40)
    doi: str = Field(default="", pattern=r"^(10\.\S+/\S+)?$", max_length=200)
    url: str = Field(default="", pattern=r"^(https?://\S+)?$", max_length=500)
    language: str = Field(default="", pattern=r"^([a-z]{2,3})?$", max_length=8)


class ArticleFields(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    slug: str = Field(default="", max_length=200)
    summary: str = Field(min_length=1, max_length=1000)
    body: str = ""  # its size and content are checked with the importer's rules (body_limits)
    author_name: str = Field(default="", max_length=200)
    hero_alt: str = Field(default="", max_length=500)
    tags: str = Field(default="", max_length=1000)

    @field_validator("tags")
    @classmethod
    def _short_tags(cls, value: str) -> str:
        if any(len(name) > TAG_LENGTH for name in tag_names(value)):
            raise ValueError(_("each tag can have at most %(max)d characters") % {"max": TAG_LENGTH})
        return value


@dataclass
class EditorForm:
    """The form as typed: plain text by field name, ticked professions, reference rows."""

    values: dict[str, str]
    professions: list[str]
    references: list[dict[str, str]]

    @property
    def version(self) -> int | None:
        return row_number(self.values.get("version", ""))

    def reference_rows(self) -> list[dict[str, str]]:
        """The rows to show: the typed ones and a few empty ones to add more."""
        filled = [row for row in self.references if any(row.values())]
        return filled + [dict.fromkeys(REFERENCE_FIELDS, "") for _ in range(EMPTY_REFERENCE_ROWS)]


def read(form: FormData) -> EditorForm:
    """Take what the editor posted, without judging it yet."""
    values = text_fields(form)
    rows = []
    for index in range(MAX_REFERENCE_ROWS):
        row = {name: values.get(f"ref-{index}-{name}", "") for name in REFERENCE_FIELDS}
        rows.append(row)
    # The body keeps its own whitespace: indentation is meaningful in Markdown.
    values["body"] = str(form.get("body", "")).replace("\r\n", "\n")
    professions = [str(p) for p in form.getlist("professions")]
    return EditorForm(values, professions, [row for row in rows if any(row.values())])


def audience_text(form: EditorForm) -> tuple[str, str]:
    """The audience words the form chose, and a message if they make no audience."""
    choice = form.values.get("audience", "public")
    if choice == "public":
        return "", ""
    if choice in NAMED_AUDIENCES:
        return choice, ""
    if choice != "professions":
        return "", _("Choose who may read the article.")
    if not form.professions:
        return "", _("Tick at least one profession, or choose another audience.")
    words = " ".join(sorted(set(form.professions)))
    try:
        parse_audience(words)
    except AudienceError as error:
        return "", str(error)
    return words, ""


def audience_fields(audience: str) -> tuple[str, list[str]]:
    """The radio choice and ticked professions that show a stored audience."""
    words = audience.split()
    if not words:
        return "public", []
    if len(words) == 1 and words[0] in NAMED_AUDIENCES:
        return words[0], []
    return "professions", sorted(p.value for p in parse_audience(words).professions)


def references(form: EditorForm) -> tuple[list[dict[str, object]], dict[str, str]]:
    """Check the reference rows with the importer's rules; errors are keyed by row field."""
    checked: list[dict[str, object]] = []
    errors: dict[str, str] = {}
    for index, row in enumerate(form.references):
        values = {name: value for name, value in row.items() if value}
        reference, problems = validate(ReferenceRow, values)
        for name, message in problems.items():
            label = _(REFERENCE_LABELS.get(name, name)).lower()
            problem = _("Reference %(number)d, %(field)s: %(message)s")
            errors.setdefault(
                f"ref-{index}-{name}", problem % {"number": index + 1, "field": label, "message": message}
            )
        if reference is not None:
            checked.append(reference.model_dump())
    keys = [str(r["key"]) for r in checked]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            twice = _("Reference %(number)d: the key %(key)s is used twice") % {
                "number": index + 1,
                "key": repr(key),
            }
            errors.setdefault(f"ref-{index}-key", twice)
    return checked, errors


def publish_time(text: str, zone: tzinfo) -> tuple[datetime | None, str]:
    """Read a `datetime-local` value as a time in the society's `zone`, and give it as UTC.

    A time the clocks skip when summer time starts is refused; a time they pass twice when it
    ends is the first of the two (still summer time), as the zone name shown beside it says.
    """
    if not text:
        return None, ""
    try:
        local = datetime.strptime(text[:16], PUBLISH_TIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return None, _("Give the publish time as a date and a time, e.g. 2027-01-31T09:00.")
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        message = _("%(time)s does not exist in %(zone)s: the clocks skip that hour. Choose another time.")
        return None, message % {"time": text[:16].replace("T", " "), "zone": str(zone)}
    return moment, ""


def aware(value: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives times back without their zone)."""
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value


def format_time(value: datetime | None, zone: tzinfo) -> str:
    """A stored time as the `datetime-local` field shows it, in the society's `zone`."""
    moment = aware(value)
    return moment.astimezone(zone).strftime(PUBLISH_TIME_FORMAT) if moment else ""


def tag_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


PROFESSIONS = list(Profession)
