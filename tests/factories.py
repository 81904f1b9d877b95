"""Plain functions that store test data with sensible defaults."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access import lifecycle
from app.access import service as access_service
from app.access.checks import luhn_check_digit
from app.access.models import AccessRequest, RequestState
from app.accounts import second_factor as second_factor_service
from app.accounts import service as accounts_service
from app.accounts import totp
from app.accounts.models import Consent, Role, TokenPurpose, User
from app.articles.models import Article, ArticleStatus
from app.core.config import Settings
from app.core.db import utcnow
from app.core.policy import Profession
from app.publishing import service

PASSWORD = "correct horse battery"

_numbers = count(1)


def reference(key: str = "smith2020", **fields: Any) -> dict[str, Any]:
    defaults = {
        "key": key,
        "authors": "Smith A, Jones B",
        "title": "A study of something",
        "journal": "J Example Med",
        "year": 2020,
        "volume": "12",
        "issue": "3",
        "pages": "45-67",
        "doi": "",
        "pmid": "",
        "url": "",
    }
    return {**defaults, **fields}


def article(
    db: Session,
    *,
    title: str | None = None,
    slug: str | None = None,
    body: str = "Some public text.",
    summary: str = "A short summary.",
    category: str = "Mental health",
    tags: list[str] | None = None,
    audience: str = "",
    references: list[dict[str, Any]] | None = None,
    status: ArticleStatus = ArticleStatus.PUBLISHED,
    published_at: datetime | None = None,
    featured: bool = False,
    author: str = "Dr. Example",
    language: str = "en",
    translation_of: Article | None = None,
) -> Article:
    number = next(_numbers)
    title = title or f"Article {number}"
    saved = service.save_article(
        db,
        slug=slug or f"article-{number}",
        title=title,
        summary=summary,
        body=body,
        audience=audience,
        category_name=category,
        tag_names=tags or [],
        references=references or [],
        status=status,
        published_at=published_at or utcnow() - timedelta(days=1, minutes=number),
        featured=featured,
        author_name=author,
        language=language,
        translation_of=translation_of,
    )
    db.commit()
    return saved


def staff(
    db: Session,
    settings: Settings,
    *,
    role: Role = Role.REVIEWER,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
) -> User:
    number = next(_numbers)
    user = accounts_service.create_staff(
        db,
        settings,
        email=email or f"{role.value}{number}@society.example",
        full_name=name or f"{role.value.capitalize()} {number}",
        role=role,
        actor=None,
        password=password,
    )
    db.commit()
    return user


def a_reviewer(db: Session, settings: Settings) -> User:
    """The test's first reviewer, made if there is none yet.

    One reviewer decides every request a test makes: each new request is mailed to every reviewer,
    so a reviewer per applicant made a test's mail grow with the square of its applicants.
    """
    found = db.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.id).limit(1)).first()
    return found or staff(db, settings)


def second_factor(db: Session, settings: Settings, user: User) -> str:
    """Turn on `user`'s two-step login; return the secret their authenticator app would hold.

    It is confirmed with the previous time step's code, so the current code still logs in once.
    """
    secret = second_factor_service.enrolment_secret(db, settings, user)
    earlier = totp.code_at(secret, utcnow() - timedelta(seconds=totp.STEP_SECONDS))
    second_factor_service.enable(db, settings, user, code=earlier, ip="")
    db.commit()
    return secret


def npi() -> str:
    """A valid US NPI no other applicant of this test run has, unless a test gives it again."""
    payload = f"1{next(_numbers):08d}"
    return payload + str(luhn_check_digit("80840" + payload))


def request_form(**fields: str) -> dict[str, str]:
    """The access request form as a clinician fills it in, with `fields` changed."""
    return {
        "full_name": "Dr. Doc",
        "email": "doc@clinic.example",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "profession": "physician",
        "licence_number": "1234567893",
        "licence_country": "US",
        "institution": "Clinic",
        "country": "US",
        "accept_terms": "on",
        **fields,
    }


def application(**fields: Any) -> access_service.Application:
    number = next(_numbers)
    defaults: dict[str, Any] = {
        "full_name": f"Dr. Applicant {number}",
        "email": f"applicant{number}@clinic.example",
        "password": PASSWORD,
        "profession": Profession.PHYSICIAN,
        "specialty": "Psychiatry",
        "licence_number": npi(),
        "licence_country": "US",
        "institution": "Example Clinic",
        "country": "US",
        "group_membership": "",
    }
    return access_service.Application(**{**defaults, **fields})


def applicant(
    db: Session,
    settings: Settings,
    *,
    state: RequestState = RequestState.PENDING,
    reviewer: User | None = None,
    **fields: Any,
) -> AccessRequest:
    """An applicant whose request has reached `state` through the real lifecycle."""
    form = application(**fields)
    access_service.submit(db, settings, form, document=None, ip="")
    user = accounts_service.find_by_email(db, form.email)
    assert user is not None
    request = access_service.latest_request(db, user.id)
    assert request is not None
    if state != RequestState.UNVERIFIED:
        token = accounts_service.issue_token(db, user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=1))
        access_service.verify_email(db, settings, token, ip="")
    if state in (RequestState.SUSPENDED, RequestState.EXPIRED):
        reviewer = reviewer or a_reviewer(db, settings)
        access_service.decide(
            db, settings, request, reviewer=reviewer, outcome=RequestState.APPROVED, revision=request.revision
        )
        if state == RequestState.SUSPENDED:
            lifecycle.suspend(
                db, settings, request, reviewer=reviewer, reason="Test", revision=request.revision
            )
        else:
            lifecycle.expire(
                db, settings, request, now=utcnow() + timedelta(days=settings.access_valid_days + 1)
            )
    if state in (RequestState.APPROVED, RequestState.REJECTED, RequestState.NEEDS_INFO):
        reviewer = reviewer or a_reviewer(db, settings)
        access_service.decide(
            db,
            settings,
            request,
            reviewer=reviewer,
            outcome=state,
            revision=request.revision,
            reason="" if state == RequestState.APPROVED else "Why?",
        )
    if state == RequestState.WITHDRAWN:
        access_service.withdraw(db, request, ip="")
    db.commit()
    return request


def terms_accepted_in(db: Session, user: User, version: str = "2000-01") -> None:
    """Make every acceptance `user` gave one of `version`, as if the terms changed since."""
    db.execute(update(Consent).where(Consent.user_id == user.id).values(version=version))
    db.commit()
