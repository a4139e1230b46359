"""Serving the portal with uvicorn: plain HTTP on a private address, TLS with a certificate and key, or behind a
reverse proxy whose X-Forwarded-Proto / X-Forwarded-For headers are trusted only when the operator says so."""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from questionnaires.evidence_store import EvidenceSettings
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.web.app import create_app
from questionnaires.portal.web.context import PortalConfig
from vendorwatch.settings import Settings


def config_from(settings: Settings, database_url: str) -> PortalConfig:
    """The portal's configuration from the VENDORWATCH_* settings."""
    return PortalConfig(database_url=database_url, evidence=EvidenceSettings.from_settings(settings),
                        policy=PortalPolicy.from_settings(settings), public_url=settings.portal_url)


def app_from_environment() -> FastAPI:
    """The app of one worker process (``--workers N``): configured from the environment it inherited."""
    settings = Settings()
    return create_app(config_from(settings, settings.database_url))


def serve(config: PortalConfig, *, host: str, port: int, tls_cert: Path | None = None, tls_key: Path | None = None,
          trust_proxy: bool = False, forwarded_allow_ips: str = "127.0.0.1", workers: int = 1,
          workers_threads: int = 40, log_level: str = "info") -> None:
    """Run until interrupted; with ``workers`` > 1, that many processes share the port (PostgreSQL: SQLite has
    one writer at a time, so more processes only queue behind it)."""
    app: FastAPI | str = create_app(config)
    if workers > 1:
        os.environ["VENDORWATCH_DATABASE_URL"] = config.database_url  # what each worker reads
        app = "questionnaires.portal.server:app_from_environment"
    uvicorn.run(app, factory=workers > 1, workers=workers if workers > 1 else None, host=host, port=port,
                ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None, proxy_headers=trust_proxy,
                forwarded_allow_ips=forwarded_allow_ips if trust_proxy else None, server_header=False,
                date_header=True, log_level=log_level, access_log=True, timeout_keep_alive=5,
                limit_concurrency=max(workers_threads * 4, 100))
