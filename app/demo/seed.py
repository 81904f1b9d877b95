"""Demo content for a new database: the articles under demo/articles, loaded like any import,
and demo accounts for each kind of person. Never used in production."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access import service as access_service
from app.access.models import RequestState
from app.accounts import service as accounts_service
from app.accounts.models import Role, TokenPurpose, User
from app.articles.models import Article, Category, Tag
from app.contact import service as contact_service
from app.core.config import Settings
from app.core.db import make_engine, make_session_factory
from app.core.policy import Profession
from app.publishing.importer import import_file

DEMO_ARTICLES = Path(__file__).resolve().parent / "articles"
TAXONOMY_DE = DEMO_ARTICLES.parent / "taxonomy_de.yaml"
STAFF = [
    ("admin@portico.example", "Ada Admin (demo)", Role.ADMIN, "portico-trial-keyholder"),
    ("reviewer@portico.example", "Rita Reviewer (demo)", Role.REVIEWER, "portico-trial-gatekeeper"),
    ("editor@portico.example", "Eddie Editor (demo)", Role.EDITOR, "portico-trial-wordsmith"),
]
APPLICANTS = [
    (
        "physician@portico.example",
        "Dr. Paula Physician (demo)",
        Profession.PHYSICIAN,
        "DE",
        "802761234567896",
        True,
    ),
    ("therapist@portico.example", "Theo Therapist (demo)", Profession.THERAPIST, "AT", "AT-TH-44821", True),
    (
        "pending1@portico.example",
        "Dr. Pat Pending (demo)",
        Profession.PSYCHOTHERAPIST,
        "DE",
        "PT-77120",
        False,
    ),
    ("pending2@portico.example", "Dr. Nico NPI (demo)", Profession.PHYSICIAN, "US", "1234567893", False),
    (
        "pending3@portico.example",
        "Dr. Ines Invalid (demo)",
        Profession.PHARMACIST,
        "FR",
        "10001234567",
        False,
    ),
]
APPLICANT_PASSWORD = "portico-trial-clinician"  # noqa: S105 (printed demo login)


def load_into_empty(settings: Settings) -> bool:
    """Import the demo articles and accounts unless the database already holds content; say if it did."""
    if settings.env == "production":
        raise click.ClickException("The demo is never loaded into a production site.")
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        if session.scalar(select(func.count()).select_from(Article)):
            click.echo("Database already has content; demo not loaded.")
            return False
        # The originals first: each German file names the English article it translates.
        for path in demo_files():
            import_file(
                session, path, media_dir=settings.media_dir, default_language=settings.default_language
            )
        name_taxonomy(session)
        if not session.scalar(select(func.count()).select_from(User)):
            _accounts(session, settings)
            _messages(session, settings)
        session.commit()
    engine.dispose()
    click.echo(f"Loaded {len(demo_files())} demo articles.")
    print_logins()
    return True


def demo_files() -> list[Path]:
    """The English articles, then their translations (in a folder per language)."""
    translated = sorted(
        path for folder in DEMO_ARTICLES.iterdir() if folder.is_dir() for path in folder.glob("*.md")
    )
    return sorted(DEMO_ARTICLES.glob("*.md")) + translated


def name_taxonomy(db: Session) -> None:
    """Give the demo's categories and tags their German names (taxonomy_de.yaml)."""
    import yaml

    names = yaml.safe_load(TAXONOMY_DE.read_text(encoding="utf-8"))
    items: list[Category | Tag] = [*db.scalars(select(Category)), *db.scalars(select(Tag))]
    for item in items:
        if entry := names["categories" if isinstance(item, Category) else "tags"].get(item.name):
            # A new dict: the JSON column notices an assignment, not a change inside it.
            item.translations = {**item.translations, "de": {"name": entry["name"]}}
    db.flush()


def _accounts(db: Session, settings: Settings) -> None:
    staff = {
        role: accounts_service.create_staff(
            db, settings, email=email, full_name=name, role=role, actor=None, password=password
        )
        for email, name, role, password in STAFF
    }
    for email, name, profession, country, licence, approve in APPLICANTS:
        form = access_service.Application(
            full_name=name,
            email=email,
            password=APPLICANT_PASSWORD,
            profession=profession,
            specialty="",
            licence_number=licence,
            licence_country=country,
            institution="Demo Clinic",
            country=country,
            group_membership="",
        )
        access_service.submit(db, settings, form, document=None, ip="")
        user = accounts_service.find_by_email(db, email)
        assert user is not None
        token = accounts_service.issue_token(db, user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=1))
        access_service.verify_email(db, settings, token, ip="")
        request = access_service.latest_request(db, user.id)
        if approve and request:
            access_service.decide(
                db,
                settings,
                request,
                reviewer=staff[Role.REVIEWER],
                outcome=RequestState.APPROVED,
                revision=request.revision,
            )


MESSAGES = [
    (
        "Mara Reader (demo)",
        "mara.reader@example.org",
        "Talk for our patient group",
        "Could someone from the society speak to our depression self-help group about sleep and mood?",
    ),
    (
        "Dr. Lukas Locum (demo)",
        "l.locum@example.org",
        "Reference in the immunity article",
        "The DOI of the second reference in the immunity article seems to lead to a different paper.",
    ),
]


def _messages(db: Session, settings: Settings) -> None:
    """Two contact messages, so the staff inbox and dashboard have something to show."""
    for name, email, subject, message in MESSAGES:
        submission = contact_service.Submission(name=name, email=email, subject=subject, message=message)
        contact_service.send(db, settings, submission=submission)


def print_logins() -> None:
    click.echo("\nDemo logins (demo only; a production site has none):")
    for email, _name, role, password in STAFF:
        click.echo(f"  {role.value:<26} {email:<28} {password}")
    for email, _name, profession, *_rest, approve in APPLICANTS:
        kind = f"{profession.value} ({'approved' if approve else 'pending'})"
        click.echo(f"  {kind:<26} {email:<28} {APPLICANT_PASSWORD}")
    click.echo("Emails are not sent in the demo: the admin reads them at /admin/outbox.")
    click.echo("The admin sets up two-step login (any TOTP app) on the first visit to /admin.\n")
