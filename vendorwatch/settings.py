"""The one Settings object, read from the environment (prefix ``VENDORWATCH_``)."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///vendorwatch.db"
DEFAULT_CONFIG_FILE = Path("vendorwatch.yaml")


class Settings(BaseSettings):
    """Process-wide settings; secrets never live here, only names of where to find them."""

    model_config = SettingsConfigDict(env_prefix="VENDORWATCH_", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    config: Path | None = Field(default=None, description="path of the vendor registry (vendorwatch.yaml)")
    actor: str | None = Field(default=None, description="who is acting, for the audit log")
    language: str = Field(default="ja", description="language of reports: ja or en")
    evidence_dir: Path = Field(
        default=Path("vendorwatch-evidence"),
        description="where uploaded evidence is stored by SHA-256; never inside a folder a web server serves",
    )
    evidence_max_mb: float = Field(default=20, gt=0, le=1024, description="largest evidence upload, in MiB")
    evidence_types: list[str] = Field(
        default_factory=lambda: ["pdf", "png", "jpeg", "xlsx", "docx"],
        description="evidence file types accepted (checked on the content): pdf, png, jpeg, xlsx, docx, txt",
    )
    audit_key_env: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="name of the environment variable holding the audit log's HMAC key (never the key itself)",
    )
    dashboard_idle_minutes: int = Field(default=30, ge=1, le=24 * 60,
                                        description="a dashboard session idle this long is signed out")
    scheduler_lease_seconds: float = Field(default=30, gt=0, le=600,
                                           description="a standby scheduler takes over this long after the "
                                                       "active one's last heartbeat")
    scheduler_poll_seconds: float = Field(default=5, gt=0, le=300,
                                          description="how often the scheduler renews its lease and looks for a "
                                                      "new registry")
    scheduler_jitter_seconds: float = Field(default=60, ge=0, le=3600,
                                            description="runs start up to this much later, to spread the load")
    scheduler_backoff_seconds: float = Field(default=300, gt=0,
                                             description="a failing source waits this long after its first failure, "
                                                         "doubled after each further one")
    scheduler_backoff_max_seconds: float = Field(default=6 * 3600, gt=0,
                                                 description="the longest a failing source waits")
    scheduler_workers: int = Field(default=4, ge=1, le=64, description="collections run at once")
    scheduler_minute_seconds: float = Field(default=60, gt=0, le=60,
                                            description="length of a minute of interval schedules (shorter only in "
                                                        "tests and demos)")
    portal_url: str | None = Field(default=None, description="the portal's public origin (https://portal.example); "
                                   "enrolment links and passkeys are bound to it")
    portal_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, description="a portal session idle this long ends")
    portal_session_hours: int = Field(default=12, ge=1, le=24 * 7, description="a portal session ends after this long")
    portal_invite_days: int = Field(default=7, ge=1, le=30, description="an enrolment link expires after this long")
    portal_trust_proxy: bool = Field(default=False, description="honour X-Forwarded-Proto/-For from a reverse proxy")

    def config_path(self, override: Path | None = None) -> Path:
        """``--config`` first, then ``VENDORWATCH_CONFIG``, then ``./vendorwatch.yaml``."""
        return override or self.config or DEFAULT_CONFIG_FILE

    def actor_name(self, override: str | None = None) -> str:
        """``--actor`` first, then ``VENDORWATCH_ACTOR``, then the OS user."""
        if override:
            return override
        if self.actor:
            return self.actor
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process."""
    return Settings()
