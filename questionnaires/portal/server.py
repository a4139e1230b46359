"""Serving the portal with uvicorn: plain HTTP on a private address, TLS with a certificate and key, or behind a
reverse proxy whose X-Forwarded-Proto / X-Forwarded-For headers are trusted only when the operator says so."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from questionnaires.evidence_store import EvidenceSettings
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.web.app import create_app
from questionnaires.portal.web.context import PortalConfig
from vendorwatch.settings import Settings


def config_from(settings: Settings, database_url: str) -> PortalConfig:
    """The portal's configuration from the VENDORWATCH_* settings."""
    return PortalConfig(database_url=database_url, evidence=EvidenceSettings.from_settings(settings),
                        policy=PortalPolicy.from_settings(settings), public_url=settings.portal_url)


def serve(config: PortalConfig, *, host: str, port: int, tls_cert: Path | None = None, tls_key: Path | None = None,
          trust_proxy: bool = False, forwarded_allow_ips: str = "127.0.0.1", workers_threads: int = 40,
          log_level: str = "info") -> None:
    """Run until interrupted."""
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None, proxy_headers=trust_proxy,
                forwarded_allow_ips=forwarded_allow_ips if trust_proxy else None, server_header=False,
                date_header=True, log_level=log_level, access_log=True, timeout_keep_alive=5,
                limit_concurrency=max(workers_threads * 4, 100))
