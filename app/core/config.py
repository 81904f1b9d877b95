"""Settings, read from PORTAL_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'portal.db'}"
DEVELOPMENT_SECRET = "development-only-secret-never-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    """Everything an operator may set; defaults suit a laptop running the demo."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    debug: bool = False
    database_url: str = DEFAULT_SQLITE_URL
    secret_key: str = DEVELOPMENT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    site_name: str = "Portico"
    society_name: str = "Society for Psychoneuroimmunology (demo)"
    contact_email: str = "office@society.example"
    page_size: int = Field(default=10, ge=1, le=100)
    log_level: str = "INFO"

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

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
