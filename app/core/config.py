"""Settings, read from PORTAL_* environment variables and an optional .env file."""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core import i18n, malware
from app.core.email_address import normalise_domain

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'portal.db'}"
DEVELOPMENT_SECRET = "development-only-secret-never-use-in-production"  # noqa: S105
# A host name or address as the Host header carries it, without port; `*.` allows subdomains.
HOST_NAME = re.compile(r"(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
# `make run` is opened as localhost or 127.0.0.1, whatever PORTAL_BASE_URL says.
DEVELOPMENT_HOSTS = ("127.0.0.1", "localhost")


class Settings(BaseSettings):
    """Everything an operator may set; defaults suit a laptop running the demo."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    debug: bool = False
    database_url: str = DEFAULT_SQLITE_URL
    # PostgreSQL connections: a request waits at most `db_pool_timeout_seconds` for a free one, so
    # an exhausted pool or a database that is away answers 503 quickly instead of holding workers.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0)
    db_connect_timeout_seconds: int = Field(default=3, ge=1)
    # Threads a worker serves requests in (anyio's default is 40). The pool's 15 connections and
    # a few for requests that need none: more threads would only wait, each holding memory.
    request_threads: int = Field(default=20, ge=1)
    secret_key: str = DEVELOPMENT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    site_name: str = "Portico"
    society_name: str = "Society for Psychoneuroimmunology (demo)"
    contact_email: str = "office@society.example"
    # Comma-separated addresses that receive the contact form's messages; empty: `contact_email`.
    contact_emails: str = ""
    page_size: int = Field(default=10, ge=1, le=100)
    log_level: str = "INFO"
    # Comma-separated host names served besides PORTAL_BASE_URL's; a request for any other is refused.
    allowed_hosts: str = ""
    # Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For, -Proto
    # and -Host headers are believed. Empty: the connecting address is the client.
    trusted_proxies: str = ""

    # Mail: the outbox is delivered over SMTP when a URL is set (smtp://, or smtps:// for TLS;
    # `?starttls=true` upgrades a plain connection). Without one, mail waits in /admin/outbox.
    smtp_url: str = ""
    mail_from: str = "Portico <no-reply@society.example>"
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_retry_base_seconds: int = Field(default=60, ge=1)
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    # Retries wait base * 2^(attempts-1), with jitter, never longer than the cap.
    mail_retry_cap_seconds: int = Field(default=3600, ge=1)
    # Each wait is stretched by a random share up to this, so messages deferred together spread out.
    mail_retry_jitter: float = Field(default=0.25, ge=0, le=1)
    # A mail server that accepts and never answers holds the sender no longer than this.
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long the sender waits between attempts to record a delivery while the database is away.
    mail_record_retry_seconds: float = Field(default=1.0, gt=0)

    # Accounts and sessions
    redis_url: str = ""
    # Rate limits give up on Redis after this long and count in memory until it answers again.
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    session_idle_minutes: int = Field(default=120, ge=1)
    session_absolute_hours: int = Field(default=24 * 14, ge=1)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Hashing runs on this many low-priority threads per worker (app/core/security.py); past the
    # waiting places, or after waiting this long, a login answers 503 and asks to try again.
    password_hashing_threads: int = Field(default=1, ge=1)
    password_hashing_waiting: int = Field(default=8, ge=0)
    password_hashing_wait_seconds: float = Field(default=10.0, gt=0)
    verify_email_hours: int = Field(default=48, ge=1)
    reset_password_minutes: int = Field(default=60, ge=5)
    reapply_wait_days: int = Field(default=30, ge=0)
    upload_dir: Path = PROJECT_ROOT / "var" / "uploads"
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Every uploaded document and media file is scanned with this, when set (app/core/malware.py):
    # `clamd:///run/clamav/clamd.ctl`, `clamd://host:3310` or `command:/usr/bin/clamdscan --no-summary -`.
    malware_scanner: str = ""
    # Slow clients: a request body must arrive within this long (408 after); an idle keep-alive
    # connection is closed after this long. Slow headers are cut by the reverse proxy.
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    keep_alive_seconds: int = Field(default=5, ge=1)
    # `serve --workers N`: a worker that does not answer its supervisor this long is replaced.
    # uvicorn's 5 s kills workers still importing the app on a busy machine, over and over.
    worker_healthcheck_seconds: int = Field(default=30, ge=1)
    # Visitors' pages are shared through the database for at most this long (0: no page cache);
    # every change a visitor could see retires them at once, so this is only a safety net.
    page_cache_seconds: int = Field(default=60, ge=0)
    # Stored pages kept at most (search pages for every query asked, say); the oldest go first.
    page_cache_max_entries: int = Field(default=5000, ge=1)
    terms_version: str = "2026-11"
    # Comma-separated email domains of known institutions, shown to reviewers as a good sign.
    trusted_email_domains: str = ""
    login_rate_limit: str = "10/minute"
    form_rate_limit: str = "5/10minutes"
    contact_rate_limit: str = "5/hour"
    # Emailed links (confirm an address, set a password) opened per client address.
    link_rate_limit: str = "10/10minutes"
    # Mails about an account that anyone can cause from the public forms (confirm the address,
    # set a password, the account exists), to one address per hour, whoever asks.
    account_mail_per_hour: int = Field(default=3, ge=1)

    # Access lifecycle and scheduled work (`portal tick`)
    access_valid_days: int = Field(default=730, ge=1)
    # Years after a reviewer's approval from which a renewal goes to a reviewer again, with a
    # current proof of the licence, even when the details are unchanged.
    renewal_review_years: int = Field(default=5, ge=1)
    # Comma-separated email domains whose confirmed applicants with a valid licence number are
    # approved at once, as decided by the system. Empty: every request is reviewed by a person.
    auto_approve_domains: str = ""
    review_reminder_hours: int = Field(default=48, ge=1)
    review_digest_hour: int = Field(default=7, ge=0, le=23)  # UTC hour from which the daily digest goes
    document_retention_days: int = Field(default=90, ge=0)
    contact_retention_days: int = Field(default=180, ge=0)
    tick_interval_seconds: float = Field(default=60.0, ge=1)
    # Comma-separated languages the site speaks, each with its own addresses (/de/..., /en/...);
    # every one but English needs a catalog in app/locale. A single language has no prefixes.
    languages: str = "en,de"
    # The language of a first visit whose browser asks for none of `languages`.
    default_language: str = "en"
    # Dates and times are shown in the society's time zone; they are stored in UTC.
    time_zone: str = "Europe/Berlin"

    @field_validator("contact_emails")
    @classmethod
    def _plain_addresses(cls, value: str) -> str:
        for address in (a.strip() for a in value.split(",")):
            if address and not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", address):
                raise ValueError(f"PORTAL_CONTACT_EMAILS: {address!r} is not a plain email address")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        # Links are the base followed by a path that starts with "/": "https://x.org/" would make "//".
        return value.rstrip("/")

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: str) -> str:
        for name in _items(value):
            if not HOST_NAME.fullmatch(name):
                raise ValueError(f"PORTAL_ALLOWED_HOSTS: {name!r} is not a host name (no scheme, port or *)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        for item in _items(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"PORTAL_TRUSTED_PROXIES: {item!r} is not an IP address or network"
                ) from None
        return value

    @field_validator("malware_scanner")
    @classmethod
    def _known_scanner(cls, value: str) -> str:
        if not malware.valid_setting(value.strip()):
            raise ValueError(
                "PORTAL_MALWARE_SCANNER must be clamd:///path/to/clamd.ctl, clamd://host:port "
                "or command:/path/to/scanner [arguments]"
            )
        return value.strip()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: str) -> str:
        codes = _items(value.lower())
        if not codes:
            raise ValueError("PORTAL_LANGUAGES must name at least one language")
        for code in codes:
            if not i18n.has_catalog(code):
                available = ", ".join(i18n.catalog_languages())
                raise ValueError(
                    f"PORTAL_LANGUAGES: {code!r} has no catalog "
                    f"(app/locale/{code}/LC_MESSAGES/messages.po); available: {available}"
                )
        return ",".join(dict.fromkeys(codes))

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"PORTAL_TIME_ZONE: {value!r} is not a time zone name like Europe/Berlin"
            ) from None
        return value

    @model_validator(mode="after")
    def _default_language_is_spoken(self) -> Settings:
        self.default_language = self.default_language.strip().lower()
        if self.default_language not in self.language_codes:
            raise ValueError(
                f"PORTAL_DEFAULT_LANGUAGE: {self.default_language!r} "
                f"is not one of PORTAL_LANGUAGES ({self.languages})"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
            problems.append("PORTAL_SECRET_KEY must be set to a random value of 32+ characters")
        if self.debug:
            problems.append("PORTAL_DEBUG must be off")
        if not self.base_url.startswith("https://"):
            problems.append("PORTAL_BASE_URL must be an https:// address (secure cookies)")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def trusted_domains(self) -> frozenset[str]:
        return frozenset(d.strip().lower() for d in self.trusted_email_domains.split(",") if d.strip())

    @property
    def contact_recipients(self) -> list[str]:
        addresses = (a.strip() for a in self.contact_emails.split(","))
        return list(dict.fromkeys(a for a in addresses if a)) or [self.contact_email]

    @property
    def auto_approve_domain_set(self) -> frozenset[str]:
        domains = (normalise_domain(d) for d in self.auto_approve_domains.split(","))
        return frozenset(d for d in domains if d)

    @property
    def allowed_host_names(self) -> list[str]:
        """The hosts served: PORTAL_BASE_URL's, PORTAL_ALLOWED_HOSTS, and in development this machine."""
        names = [urlsplit(self.base_url).hostname or "", *_items(self.allowed_hosts)]
        if self.env == "development":
            names += DEVELOPMENT_HOSTS
        return sorted({name.lower() for name in names if name})

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _items(self.trusted_proxies))

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(_items(self.languages))

    @property
    def other_languages(self) -> tuple[str, ...]:
        """The languages besides the default one, in which staff give names beside the default's."""
        return tuple(code for code in self.language_codes if code != self.default_language)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
