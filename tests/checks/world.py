"""A small, readable world for check tests: one registry (vendor ``acme`` and its sub-vendor), and helpers
that store hand-made events, principals, grants and settings through the real ingest API.

Stories read like: ``world.events(ev("e1", "2026-11-25 23:30", "GetObject", ALICE, bucket=CUSTOMERS))``
then ``world.drafts("access.customer_data_outside_hours")``. The ``world`` (both databases) and
``sqlite_world`` fixtures are registered for every test by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.registry_import import import_registry
from vendorwatch.checks.engine import run_checks
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import CollectionRun
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryScope, load_grants, load_principals, load_settings
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.ingest.tagging import RegistryIndex
from vendorwatch.records import AccessEventRecord, GrantRecord, PrincipalRecord, SettingRecord
from vendorwatch.registry.models import Registry

PROD = "111111111111"
DEV = "222222222222"
OUTSIDER = "999999999999"
ALICE = f"arn:aws:iam::{PROD}:user/alice"
ALICE_DEV = f"arn:aws:iam::{DEV}:user/alice"
ALICE_DN = "uid=alice,ou=people,dc=acme,dc=example"
BOB = f"arn:aws:iam::{PROD}:user/bob"  # left on 2025-06-30
DEPLOY = f"arn:aws:iam::{PROD}:user/deploy"  # dave until 2025-03-31, then erin
MALLORY = f"arn:aws:iam::{PROD}:user/mallory"  # on no roster
BATCH_ROLE = f"arn:aws:iam::{PROD}:role/nightly-batch"
REPORT_ROLE = f"arn:aws:iam::{PROD}:role/morning-report"
PROXY_ROLE = f"arn:aws:iam::{PROD}:role/proxy"
BREAKGLASS = f"arn:aws:iam::{PROD}:user/breakglass"
CUSTOMERS = "acme-customers"
DEV_BUCKET = "acme-dev-data"
OFFICE_IP = "203.0.113.10"
HOME_IP = "198.51.100.77"
ATTACKER_IP = "1.2.3.4"

BASE: dict[str, Any] = {
    "version": 1,
    "organization": {"name": {"ja": "テスト証券", "en": "Test Securities"}, "timezone": "Asia/Tokyo"},
    "vendors": [
        {
            "id": "acme",
            "name": {"ja": "アクメ", "en": "Acme"},
            "tier": "high",
            "handles_customer_data": True,
            "contract": {"id": "C-1", "start": "2024-04-01", "end": "2027-03-31"},
            "roster": [
                {"person": "alice", "name": "Alice", "since": "2024-04-01",
                 "identities": [ALICE, ALICE_DEV, ALICE_DN]},
                {"person": "bob", "name": "Bob", "since": "2024-04-01", "until": "2025-06-30", "identities": [BOB]},
                {"person": "dave", "name": "Dave", "since": "2024-04-01", "until": "2025-03-31",
                 "identities": [DEPLOY]},
                {"person": "erin", "name": "Erin", "since": "2025-04-01", "identities": [DEPLOY]},
            ],
            "accounts": [
                {"principal": BATCH_ROLE, "kind": "service", "owner": "alice", "allowed_hours": "any"},
                {"principal": REPORT_ROLE, "kind": "service", "owner": "alice",
                 "allowed_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "06:00", "end": "07:00"}},
                {"principal": PROXY_ROLE, "kind": "service", "owner": "alice", "allowed_networks": ["10.0.0.0/16"]},
                {"principal": BREAKGLASS, "kind": "break_glass", "owner": "alice"},
                {"principal": "uid=svc-test,ou=services,dc=acme,dc=example", "kind": "service", "owner": "alice"},
            ],
            "environments": [
                {"id": "acme-prod", "kind": "production", "aws_accounts": [PROD],
                 "buckets": [{"name": CUSTOMERS, "data_class": "customer"},
                             {"name": "acme-prod-logs", "data_class": "internal"}],
                 "allowed_networks": ["203.0.113.0/24", "10.0.0.0/16"],
                 "allowed_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "21:00"}},
                {"id": "acme-dev", "kind": "development", "aws_accounts": [DEV],
                 "buckets": [{"name": DEV_BUCKET, "data_class": "test"}],
                 "directory": {"base_dn": "dc=acme,dc=example"}},
            ],
            "sources": [
                {"id": "acme-aws-prod", "kind": "aws", "environment": "acme-prod", "profile": "acme-prod"},
                {"id": "acme-aws-dev", "kind": "aws", "environment": "acme-dev", "profile": "acme-dev"},
                {"id": "acme-ldap", "kind": "ldap", "environment": "acme-dev", "url": "ldaps://ldap.acme.example",
                 "bind_dn": "cn=vw,dc=acme,dc=example", "password_env": "ACME_LDAP_PASSWORD", "sla_hours": 48},
            ],
        },
        {
            "id": "acme-sub",
            "parent": "acme",
            "name": {"ja": "アクメ再委託", "en": "Acme Sub"},
            "tier": "medium",
            "handles_customer_data": True,
        },
        {
            "id": "beta",
            "name": {"ja": "ベータ", "en": "Beta"},
            "tier": "low",
            "handles_customer_data": False,
            "environments": [{"id": "beta-prod", "kind": "production", "aws_accounts": ["333333333333"]}],
            "sources": [{"id": "beta-aws", "kind": "aws", "environment": "beta-prod", "profile": "beta"}],
        },
    ],
    "transfers": [
        {"id": "TR-1", "vendor": "acme", "from": "acme-prod", "to": "acme-dev",
         "resources": [f"arn:aws:s3:::{CUSTOMERS}/masked/*"],
         "window": {"start": "2026-11-20T09:00:00+09:00", "end": "2026-11-20T18:00:00+09:00"},
         "purpose": "masked data for tests", "approved_by": "部長"},
    ],
}


def at(text: str) -> datetime:
    """``2026-11-25 23:30`` (UTC) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ev(event_id: str, when: str, action: str, principal: str | None = ALICE, **fields: Any) -> AccessEventRecord:
    """An access event; defaults: IAM user kind, success, the office IP, the production account."""
    fields.setdefault("principal_kind", "iam_user" if principal and ":user/" in principal else "assumed_role")
    fields.setdefault("source_ip", OFFICE_IP)
    fields.setdefault("account_id", PROD)
    return AccessEventRecord(source_event_id=event_id, event_time=at(when), action=action, principal=principal,
                             **fields)


@dataclass
class World:
    """A migrated database with the registry imported, and a clock standing at 2026-11-26 09:00 UTC."""

    engine: Engine
    registry: Registry
    clock: FixedClock

    def events(self, *events: AccessEventRecord, source: str = "acme-aws-prod") -> None:
        """Store events as a connector would: tagged by the registry, written by the EventWriter."""
        vendor = next(v for v in self.registry.vendors if any(s.id == source for s in v.sources))
        environment = next(s.environment for s in vendor.sources if s.id == source)
        index = RegistryIndex.build(self.registry)
        writer = EventWriter(self.engine, source_id=source, vendor_id=vendor.id, run_id=None)
        writer.add_all(index.tag(e, environment) for e in events)
        writer.flush()

    def _scope(self, source: str) -> InventoryScope:
        vendor = next(v for v in self.registry.vendors if any(s.id == source for s in v.sources))
        environment = next(s.environment for s in vendor.sources if s.id == source)
        recorder = RunRecorder(self.engine, source, self.clock)
        recorder.finish("success")
        return InventoryScope(source, vendor.id, environment, recorder.run_id, self.clock.now(),
                              frozenset({"iam_user", "access_key", "root", "ldap_account"}), frozenset({"managed_policy"}),
                              frozenset())

    def principals(self, *records: PrincipalRecord, source: str = "acme-aws-prod") -> None:
        """Store an inventory of principals (one successful run)."""
        with Session(self.engine) as session:
            load_principals(session, self._scope(source), records)
            session.commit()

    def grants(self, *records: GrantRecord, source: str = "acme-aws-prod") -> None:
        """Store grants."""
        with Session(self.engine) as session:
            load_grants(session, self._scope(source), records)
            session.commit()

    def settings(self, *records: SettingRecord, source: str = "acme-aws-prod") -> None:
        """Store observed settings."""
        with Session(self.engine) as session:
            load_settings(session, self._scope(source), records)
            session.commit()

    def run(self, source: str, *, finished: str, status: str = "success") -> None:
        """A collection run of a source that finished at a given time."""
        with Session(self.engine) as session:
            session.add(CollectionRun(source_id=source, started_at=at(finished), finished_at=at(finished),
                                      status=status))
            session.commit()

    def drafts(self, check_id: str) -> list[FindingDraft]:
        """What one check finds now (it must not fail)."""
        outcome = run_checks(self.engine, self.registry, self.clock, only=[check_id]).outcomes
        assert len(outcome) == 1, f"no check {check_id}"
        assert outcome[0].error is None, outcome[0].error
        return outcome[0].drafts

    def subjects(self, check_id: str) -> set[str]:
        """Subjects of what one check finds now."""
        return {d.subject for d in self.drafts(check_id)}

    def reimport(self, change: dict[str, Any]) -> None:
        """Import a changed registry (deep-merged over the current one at top level keys given)."""
        document = copy.deepcopy(self.registry.model_dump(mode="json", by_alias=True, exclude_none=True))
        document.update(change)
        self.registry = import_registry(self.engine, document, self.clock, allow_retire=True)


def make_world(engine: Engine, clock: FixedClock, document: dict[str, Any] | None = None) -> World:
    """A world with the base registry (or a variant of it)."""
    return World(engine, import_registry(engine, copy.deepcopy(document or BASE), clock, allow_retire=True), clock)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    """The base world on SQLite and on PostgreSQL."""
    return make_world(engine, clock)


@pytest.fixture
def sqlite_world(sqlite_engine: Engine, clock: FixedClock) -> World:
    """The base world on SQLite only (for tests that are about logic, not storage)."""
    return make_world(sqlite_engine, clock)
