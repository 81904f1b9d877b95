"""The login and password-reset forms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.forms import PasswordPair


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class ResetForm(PasswordPair):
    model_config = ConfigDict(extra="ignore")
