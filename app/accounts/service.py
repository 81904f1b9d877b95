"""Accounts: finding people, passwords, single-use email tokens and staff accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.accounts import people, sessions
from app.accounts.models import AuthToken, Role, TokenPurpose, User
from app.audit import service as audit
from app.core import languages
from app.core.config import Settings
from app.core.db import claim, utcnow
from app.core.email_address import normalise as normalise_email
from app.core.policy import STAFF_ROLES, Capability, roles_that_can
from app.core.security import hash_password, hash_token, new_token, same, verify_password
from app.mail import service as mail_service


class AccountExists(Exception):
    """An account with this email address exists already."""


def find_by_email(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def reviewers(db: Session) -> Sequence[User]:
    """Everyone who reviews access requests."""
    roles = roles_that_can(Capability.REVIEW_REQUESTS)
    return db.scalars(select(User).where(User.role.in_(roles)).order_by(User.id)).all()


def staff(db: Session) -> Sequence[User]:
    """The society's staff accounts, by name."""
    return db.scalars(select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.full_name)).all()


def authenticate(db: Session, settings: Settings, email: str, password: str) -> User | None:
    """Return the user these credentials belong to, upgrading an outdated hash on the way."""
    user = find_by_email(db, email)
    ok, new_hash = verify_password(settings, password, user.password_hash if user else None)
    if not ok or user is None:
        return None
    if new_hash:
        user.password_hash = new_hash
    return user


def issue_token(db: Session, user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """Create a single-use token for `user`; earlier unused tokens for the same purpose stop working."""
    now = utcnow()
    db.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None))
        .values(used_at=now)
    )
    token, token_hash = new_token()
    db.add(
        AuthToken(
            token_hash=token_hash,
            purpose=purpose,
            user_id=user.id,
            expires_at=now + lifetime,
            password_mark=_password_mark(user),
        )
    )
    db.flush()
    return token


def token_is_live(db: Session, token: str, purpose: TokenPurpose) -> bool:
    """Whether a token would still work, without spending it."""
    return token_owner(db, token, purpose) is not None


def token_owner(db: Session, token: str, purpose: TokenPurpose) -> User | None:
    """The person a token that would still work was sent to, without spending it."""
    live = _live_token(db, token, purpose, utcnow())
    return db.get(User, live.user_id) if live else None


def use_token(db: Session, token: str, purpose: TokenPurpose) -> User | None:
    """Spend a token once; None when it is unknown, used, expired or for another purpose."""
    now = utcnow()
    found = _live_token(db, token, purpose, now)
    if found is None:
        return None
    unexpired = [AuthToken.expires_at > now]
    spent = claim(
        db, AuthToken, found.id, expected={"used_at": None}, where=unexpired, values={"used_at": now}
    )
    return db.get(User, found.user_id) if spent else None


def _live_token(db: Session, token: str, purpose: TokenPurpose, now: datetime) -> AuthToken | None:
    """The unused, unexpired token; a reset token also dies when its owner logs in or the password
    changes after it was issued, so a link left in a mailbox cannot outlive either."""
    query = (
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(
            AuthToken.token_hash == hash_token(token),
            AuthToken.purpose == purpose,
            AuthToken.used_at.is_(None),
            AuthToken.expires_at > now,
        )
    )
    if purpose == TokenPurpose.RESET_PASSWORD:
        query = query.where(or_(User.last_login_at.is_(None), User.last_login_at < AuthToken.created_at))
    found = db.execute(query).first()
    if found is None:
        return None
    live, owner = found
    if purpose == TokenPurpose.RESET_PASSWORD and not same(live.password_mark, _password_mark(owner)):
        return None
    return live


def _password_mark(user: User) -> str:
    # Any new password gives a new hash (a fresh salt even for the same password), so a new mark.
    return hash_token(user.password_hash)


def mail_link(settings: Settings, user: User, path: str) -> str:
    """The full address of a site page for an email to `user`, in the email's language."""
    return languages.address(settings, path, people.mail_language(user))


def _mail_context(settings: Settings, user: User, context: dict[str, object]) -> dict[str, object]:
    # The zone lets the templates show dates on the society's calendar (`{{ until | date }}`).
    return {"name": user.full_name, "society": settings.society_name, "zone": settings.zone, **context}


def email_person(db: Session, settings: Settings, user: User, message: str, **context: object) -> None:
    """Queue `message` to `user` in their language, addressed by name and signed by the society."""
    full = _mail_context(settings, user, context)
    mail_service.queue(db, message=message, to=user.email, context=full, language=people.mail_language(user))


def _email_link(
    db: Session, settings: Settings, user: User, message: str, *, token: str, **context: object
) -> None:
    """Queue `message`, whose link carries `token`: the outbox keeps it only until the mail has left."""
    full = _mail_context(settings, user, context)
    language = people.mail_language(user)
    mail_service.queue(db, message=message, to=user.email, context=full, secret=token, language=language)


# What a stranger can have mailed to someone's address from the public forms. The outbox counts
# them, so the cap holds across processes; over it nothing is mailed, and no new token voids the
# link already sent, while the form answers as always.
STRANGER_MAIL = ("confirm_email", "password_reset", "account_exists")


def _may_mail(db: Session, settings: Settings, user: User) -> bool:
    since = utcnow() - timedelta(hours=1)
    sent = mail_service.count_recent(db, to=user.email, messages=STRANGER_MAIL, since=since)
    return sent < settings.account_mail_per_hour


def send_verification(db: Session, settings: Settings, user: User) -> None:
    """Email a link to confirm the address, unless it has had its share of account mail this hour."""
    if not _may_mail(db, settings, user):
        return
    token = issue_token(db, user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=settings.verify_email_hours))
    link = mail_link(settings, user, f"/verify-email?token={token}")
    _email_link(db, settings, user, "confirm_email", token=token, link=link)


def notify_existing_account(db: Session, settings: Settings, user: User) -> None:
    """Someone used this address on the request form: tell its owner, or resend the confirmation."""
    if user.email_verified_at is None and user.role == Role.MEMBER:
        send_verification(db, settings, user)
        return
    if not _may_mail(db, settings, user):
        return
    email_person(
        db,
        settings,
        user,
        "account_exists",
        login_link=mail_link(settings, user, "/login"),
        reset_link=mail_link(settings, user, "/forgot-password"),
    )


def start_password_reset(db: Session, settings: Settings, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_by_email(db, email)
    if user is None or not _may_mail(db, settings, user):
        return
    lifetime = timedelta(minutes=settings.reset_password_minutes)
    token = issue_token(db, user, TokenPurpose.RESET_PASSWORD, lifetime)
    _email_link(
        db,
        settings,
        user,
        "password_reset",
        token=token,
        link=mail_link(settings, user, f"/reset-password?token={token}"),
        minutes=settings.reset_password_minutes,
    )


def reset_password(db: Session, settings: Settings, token: str, password: str, *, ip: str) -> User | None:
    """Set a new password with a reset token, end every session, and tell the owner."""
    user = use_token(db, token, TokenPurpose.RESET_PASSWORD)
    if user is None:
        return None
    user.password_hash = hash_password(settings, password)
    # Following the emailed link proves the address, as confirming it would.
    user.email_verified_at = user.email_verified_at or utcnow()
    sessions.end_all(db, user.id)
    audit.record(
        db, actor=user, action="account.password_reset", target_type="user", target_id=user.id, ip=ip
    )
    email_person(db, settings, user, "password_changed")
    return user


def create_staff(
    db: Session,
    settings: Settings,
    *,
    email: str,
    full_name: str,
    role: Role,
    actor: User | None,
    password: str | None = None,
    ip: str = "",
    language: str | None = None,
) -> User:
    """Create a staff account in `language` (else the page's); without a password, email a link."""
    if find_by_email(db, email):
        raise AccountExists(email)
    user = User(
        email=normalise_email(email),
        full_name=full_name,
        role=role,
        password_hash=hash_password(settings, password) if password else "!",
        email_verified_at=utcnow(),
        language=language or people.page_language(settings),
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="account.created",
        target_type="user",
        target_id=user.id,
        after=role.value,
        ip=ip,
    )
    if password is None:
        start_password_reset(db, settings, user.email)
    return user


class RoleChangeRefused(ValueError):
    """A role change that would leave the person or the site without what it needs."""


def change_role(db: Session, *, user: User, role: Role, actor: User, ip: str = "") -> bool:
    """Give a staff member another staff role (False if it was theirs); their sessions end at once."""
    if user.id == actor.id:
        raise RoleChangeRefused("You cannot change your own role; ask another admin.")
    if user.role == Role.MEMBER or role == Role.MEMBER:
        raise RoleChangeRefused("Only staff accounts change roles here.")
    if user.role == role:
        return False
    before = user.role
    user.role = role
    sessions.end_all(db, user.id)
    audit.record(
        db,
        actor=actor,
        action="account.role_changed",
        target_type="user",
        target_id=user.id,
        before=before.value,
        after=role.value,
        ip=ip,
    )
    return True
