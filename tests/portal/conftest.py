"""Fixtures of the portal tests: the questionnaire tests' world (vendors acme, its sub-vendor acme-sub, and beta,
each with a contact), with portal accounts made through the same functions as ``vendorwatch portal invite``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.portal.accounts import complete_enrolment, contact_of, find_account, invite
from questionnaires.portal.sessions import csrf_token, start_session
from questionnaires.portal.web.app import create_app
from questionnaires.portal.web.context import PortalConfig
from tests.checks.world import make_world
from tests.questionnaires.conftest import CONTACTS, Campaigns, with_contacts
from tests.servers.smtp import SmtpServer
from vendorwatch.clock import FixedClock


@dataclass
class Portal(Campaigns):
    """The questionnaire world plus portal accounts."""

    def invite(self, vendor: str) -> str:
        """Invite the vendor's first contact; the clear enrolment token (as the e-mail carries it)."""
        with Session(self.engine, expire_on_commit=False) as session:
            invitation = invite(session, self.world.registry, vendor, CONTACTS[vendor][0]["email"],
                                actor_name="manager@firm", clock=self.clock)
            session.commit()
            return invitation.token

    def enrol_with_codes(self, vendor: str) -> str:
        """An enrolled account that signs in with e-mail codes; its address."""
        token = self.invite(vendor)
        with Session(self.engine) as session:
            complete_enrolment(session, token, method="email_code", clock=self.clock, client="127.0.0.1")
            session.commit()
        return CONTACTS[vendor][0]["email"]


def _portal(engine: Engine, clock: FixedClock, tmp_path: Path, mail: dict[str, Any] | None = None) -> Portal:
    document = with_contacts()
    if mail is not None:
        document["organization"]["mail"] = mail
    return Portal(make_world(engine, clock, document), EvidenceStore(EvidenceSettings(tmp_path / "evidence")))


@pytest.fixture
def portal(engine: Engine, clock: FixedClock, tmp_path: Path) -> Portal:
    """Portal stories on SQLite and PostgreSQL."""
    return _portal(engine, clock, tmp_path)


@pytest.fixture
def mail_portal(sqlite_engine: Engine, clock: FixedClock, tmp_path: Path, smtp_server: SmtpServer) -> Portal:
    """Portal stories on SQLite whose registry sends mail through the real test SMTP server."""
    return _portal(sqlite_engine, clock, tmp_path, smtp_server.mail_settings())


@pytest.fixture
def sqlite_portal(sqlite_engine: Engine, clock: FixedClock, tmp_path: Path) -> Portal:
    """Portal stories on SQLite only (logic, not storage)."""
    return _portal(sqlite_engine, clock, tmp_path)


def app_for(portal: Portal, *, max_bytes: int | None = None, public_url: str | None = None) -> FastAPI:
    """The portal's app over the world's database, evidence store and clock."""
    settings = portal.store.settings
    evidence = EvidenceSettings(settings.directory, max_bytes or settings.max_bytes, settings.allowed_types)
    config = PortalConfig(database_url=portal.engine.url.render_as_string(hide_password=False), evidence=evidence,
                          clock=portal.clock, public_url=public_url, pool_size=5)
    return create_app(config)


def sign_in(portal: Portal, client: TestClient, vendor: str) -> None:
    """Give the client a session of the vendor's contact (enrolled for e-mail codes), as a sign-in would."""
    email = portal.enrol_with_codes(vendor)
    with Session(portal.engine) as session:
        account = find_account(session, email)
        assert account is not None
        secret = start_session(session, contact_of(account), method="email_code", clock=portal.clock, client="test")
        session.commit()
    client.cookies.set("vwp_s", secret)


def form_token(client: TestClient) -> str:
    """The form token of the client's browser binding (after any first page)."""
    if "vwp_b" not in client.cookies:
        client.get("/healthz")
    return csrf_token(client.cookies["vwp_b"])
