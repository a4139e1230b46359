"""Fixtures of the questionnaire tests: the check tests' world with vendor contacts, and helpers to send,
answer and review the shipped baseline questionnaire."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from questionnaires.answers import RawAnswer
from questionnaires.campaigns import send_campaign
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.loader import find_questionnaire
from questionnaires.respondent import Respondent, respondent_for
from tests.checks.world import BASE, World, make_world
from vendorwatch.clock import FixedClock

CONTACTS = {
    "acme": [{"name": "佐藤 花子", "email": "hanako.sato@acme.example"}],
    "acme-sub": [{"name": "田中 誠", "email": "makoto.tanaka@acme-sub.example"}],
    "beta": [{"name": "高橋 恵", "email": "megumi.takahashi@beta.example"}],
}


def with_contacts() -> dict[str, Any]:
    """The base registry of the check tests, with a contact at every vendor."""
    document = copy.deepcopy(BASE)
    for vendor in document["vendors"]:
        vendor["contacts"] = CONTACTS[vendor["id"]]
    return document


# Every visible question of the baseline answered the "good" way (what a well-run vendor says).
GOOD_ANSWERS: dict[str, RawAnswer] = {
    "certification": RawAnswer(choices=["in-progress"]),
    "internal-audit": RawAnswer(choices=["yearly"]),
    "pentest": RawAnswer(choices=["older"]),
    "mfa-required": RawAnswer(choices=["yes"]),
    "mfa-methods": RawAnswer(choices=["passkey"]),
    "account-lockout": RawAnswer(choices=["yes"]),
    "secret-storage": RawAnswer(choices=["hashed"]),
    "insider-safeguards": RawAnswer(choices=["yes"]),
    "entry-points": RawAnswer(choices=["yes"]),
    "access-restriction": RawAnswer(choices=["yes"]),
    "access-logging": RawAnswer(choices=["yes"]),
    "log-retention": RawAnswer(choices=["over-1-year"]),
    "logging-continuous": RawAnswer(choices=["yes"]),
    "firm-read-access": RawAnswer(choices=["yes"]),
    "access-history": RawAnswer(choices=["one-business-day"]),
    "environment-separation": RawAnswer(choices=["yes"]),
    "production-data-to-development": RawAnswer(choices=["never"]),
    "transfer-monitoring": RawAnswer(choices=["yes"]),
    "account-issuance": RawAnswer(choices=["yes"]),
    "no-shared-accounts": RawAnswer(choices=["yes"]),
    "leaver-removal": RawAnswer(choices=["same-day"]),
    "roster-notice": RawAnswer(choices=["yes"]),
    "access-review": RawAnswer(choices=["quarterly"]),
    "incident-notice": RawAnswer(choices=["immediately"]),
    "incident-contact": RawAnswer(text="情報セキュリティ室長（03-0000-0000）"),
    "security-reporting": RawAnswer(choices=["quarterly"]),
    "management-oversight": RawAnswer(choices=["yes"]),
    "uses-subvendors": RawAnswer(choices=["no"]),
}


@dataclass
class Campaigns:
    """The world plus helpers for questionnaire stories."""

    world: World
    store: EvidenceStore

    @property
    def engine(self) -> Engine:
        """The database."""
        return self.world.engine

    @property
    def clock(self) -> FixedClock:
        """The clock (2026-11-26 09:00 UTC unless moved)."""
        return self.world.clock

    def send(self, *vendors: str, questionnaire: str = "jsda-iv32-baseline", due: date = date(2026, 12, 10)) -> list[int]:
        """Send a shipped questionnaire; the new request ids."""
        with Session(self.engine, expire_on_commit=False) as session:
            sent = send_campaign(session, self.world.registry, find_questionnaire(questionnaire), list(vendors),
                                 due_date=due, actor="manager@firm", clock=self.clock)
            session.commit()
            return [r.id for r in sent.requests if r.id is not None]

    def contact(self, vendor: str) -> Respondent:
        """The first contact of a vendor as a respondent."""
        return respondent_for(self.world.registry, vendor, CONTACTS[vendor][0]["email"])


@pytest.fixture
def campaigns(engine: Engine, clock: FixedClock, tmp_path: Path) -> Campaigns:
    """Questionnaire stories on SQLite and PostgreSQL."""
    return Campaigns(make_world(engine, clock, with_contacts()), EvidenceStore(EvidenceSettings(tmp_path / "evidence")))


@pytest.fixture
def sqlite_campaigns(sqlite_engine: Engine, clock: FixedClock, tmp_path: Path) -> Campaigns:
    """Questionnaire stories on SQLite only (logic, not storage)."""
    return Campaigns(make_world(sqlite_engine, clock, with_contacts()),
                     EvidenceStore(EvidenceSettings(tmp_path / "evidence")))
