"""The login and password-reset forms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.core.forms import PasswordPair
from app.core.i18n import gettext as _


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class ResetForm(PasswordPair):
    model_config = ConfigDict(extra="ignore")


class LanguageChoice(BaseModel):
    """A person's language; validate with `context={"codes": settings.language_codes}`."""

    model_config = ConfigDict(extra="ignore")

    # Checked when missing too: a form without the field is a choice of nothing.
    language: str = Field(default="", validate_default=True)

    @field_validator("language")
    @classmethod
    def _spoken(cls, value: str, info: ValidationInfo) -> str:
        if value not in (info.context or {}).get("codes", ()):
            raise ValueError(_("Choose one of the languages in the list"))
        return value
