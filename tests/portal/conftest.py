"""Fixtures of the portal tests: the questionnaire tests' world (vendors acme, its sub-vendor acme-sub, and beta,
each with a contact), with portal accounts made through the same functions as ``vendorwatch portal invite``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.portal.accounts import complete_enrolment, invite
from tests.checks.world import make_world
from tests.questionnaires.conftest import CONTACTS, Campaigns, with_contacts
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


def _portal(engine: Engine, clock: FixedClock, tmp_path: Path) -> Portal:
    return Portal(make_world(engine, clock, with_contacts()), EvidenceStore(EvidenceSettings(tmp_path / "evidence")))


@pytest.fixture
def portal(engine: Engine, clock: FixedClock, tmp_path: Path) -> Portal:
    """Portal stories on SQLite and PostgreSQL."""
    return _portal(engine, clock, tmp_path)


@pytest.fixture
def sqlite_portal(sqlite_engine: Engine, clock: FixedClock, tmp_path: Path) -> Portal:
    """Portal stories on SQLite only (logic, not storage)."""
    return _portal(sqlite_engine, clock, tmp_path)
