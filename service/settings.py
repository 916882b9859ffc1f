"""One typed settings object, read from ``ROLELENS_*`` environment variables."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service settings; each field is read from ``ROLELENS_<FIELD>`` (e.g. ``ROLELENS_PORT``)."""

    model_config = SettingsConfigDict(env_prefix="ROLELENS_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    model_dir: Path = Path("models")
    max_text_chars: int = Field(200_000, ge=1, description="longest text /classify accepts")
    log_level: str = "info"


@functools.cache
def get_settings() -> Settings:
    """The settings of this process; tests pass their own to ``create_app`` instead."""
    return Settings()
