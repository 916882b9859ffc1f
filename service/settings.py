"""One typed settings object, read from ``ROLELENS_*`` environment variables."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class Settings(BaseSettings):
    """Service settings; each field is read from ``ROLELENS_<FIELD>`` (e.g. ``ROLELENS_PORT``).

    The README's Settings table documents each one; keep the two in step.
    """

    model_config = SettingsConfigDict(env_prefix="ROLELENS_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    model_dir: Path = Path("models")
    max_text_chars: int = Field(200_000, ge=1, description="longest text accepted, in characters")
    max_batch_items: int = Field(256, ge=1, description="most texts in one /classify/batch request")
    max_body_bytes: int = Field(16 * MiB, ge=1024, description="largest request body")
    max_file_bytes: int = Field(10 * MiB, ge=1, description="largest uploaded file")
    max_file_pages: int = Field(100, ge=1, description="most pages read from a PDF")
    max_unzipped_bytes: int = Field(50 * MiB, ge=1, description="most bytes a DOCX may unpack to")
    max_zip_ratio: int = Field(100, ge=1, description="highest compression ratio of a DOCX part")
    file_timeout_seconds: float = Field(20.0, gt=0, description="longest time spent reading one file")
    file_workers: int = Field(2, ge=1, le=64, description="processes that read PDF and DOCX uploads, per server worker")
    file_queue_seconds: float = Field(2.0, ge=0, description="longest wait for a free file reader before a 503")
    reload_timeout_seconds: float = Field(120.0, gt=0, description="longest time /admin/reload waits for a model")
    inline_chars: int = Field(
        150_000, ge=0, description="requests with up to this many characters in all are classified on the event loop"
    )
    max_evidence: int = Field(
        200, ge=1, description="most evidence phrases in the answer for one text (the first in the text)"
    )
    workers: int = Field(1, ge=1, le=64, description="server processes; a reload reaches every one")
    header_timeout_seconds: float = Field(10.0, gt=0, description="longest wait for a request's headers")
    body_timeout_seconds: float = Field(60.0, gt=0, description="longest wait for a request's whole body")
    keep_alive_seconds: float = Field(5.0, gt=0, description="idle time before a kept-alive connection is closed")
    max_connections: int = Field(1000, ge=1, description="open connections per server process; more get 503")
    max_header_bytes: int = Field(64 * 1024, ge=1024, description="request line and headers, in bytes")
    max_buffered_bytes: int = Field(
        64 * MiB, ge=1024, description="request body bytes held at once by a server process; more get 503"
    )
    run_dir: Path | None = Field(None, description="set by the server for its workers (metrics, reload notices)")
    admin_token: SecretStr | None = Field(None, description="bearer token of /admin/*; unset disables them")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @field_validator("admin_token", mode="before")
    @classmethod
    def _stripped_token(cls, value: object) -> object:
        # ROLELENS_ADMIN_TOKEN= (empty) must disable the admin endpoints, not accept "Bearer ".
        # Spaces around it (a quoted value, a line end) could never match a header, which is stripped.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            return value.strip() or None
        return value


@functools.cache
def get_settings() -> Settings:
    """The settings of this process; tests pass their own to ``create_app`` instead."""
    return Settings()
