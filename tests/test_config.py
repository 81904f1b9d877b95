"""Production refuses to start with settings that would put people at risk, and says which."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings

SAFE = {"env": "production", "secret_key": "x" * 40, "base_url": "https://portal.example", "_env_file": None}


def test_safe_production_settings_are_accepted() -> None:
    assert Settings(**SAFE).env == "production"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"secret_key": "development-only-secret-never-use-in-production"}, "PORTAL_SECRET_KEY"),
        ({"secret_key": "short"}, "PORTAL_SECRET_KEY"),
        ({"debug": True}, "PORTAL_DEBUG"),
        ({"base_url": "http://portal.example"}, "PORTAL_BASE_URL"),
    ],
)
def test_unsafe_production_settings_are_refused_by_name(change: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**{**SAFE, **change})  # type: ignore[arg-type]


def test_settings_come_from_portal_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SITE_NAME", "Example Society Portal")
    monkeypatch.setenv("PORTAL_PAGE_SIZE", "7")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.site_name, settings.page_size) == ("Example Society Portal", 7)


def test_the_base_address_is_kept_without_a_trailing_slash() -> None:
    settings = Settings(**{**SAFE, "base_url": "https://portal.example/"})  # type: ignore[arg-type]
    assert settings.base_url == "https://portal.example"
