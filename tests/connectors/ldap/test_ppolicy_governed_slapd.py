"""A real slapd with several ppolicy entries, collect → directory checks: an OpenLDAP policy is judged by the
accounts it governs (``pwdPolicySubentry``, else the overlay's default ``olcPPolicyDefault``).

Two servers: one whose ``cn=config`` the service account may read (the default is known, every account's policy
is), and one as most are deployed, where it may not: there an account without ``pwdPolicySubentry`` could be
governed by any policy, so every policy is judged by itself, until every account names its own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ldap3 import MODIFY_DELETE, MODIFY_REPLACE, SUBTREE
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.ldap.collect import collect
from connectors.ldap.inventory import OPENLDAP_ACCOUNTS
from tests.connectors.ldap.conftest import admin_connection, one_source_registry
from tests.registry_import import import_registry
from tests.servers.slapd import POLICY_DN, SERVICE_DN, SlapdServer, start_slapd, user_dn
from vendorwatch.checks.engine import run_checks
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Principal
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry

pytestmark = pytest.mark.slapd

BASE = "dc=example,dc=org"
WEAK = f"cn=weak,ou=policies,{BASE}"  # named by user 2's pwdPolicySubentry
UNUSED = f"cn=unused-weak,ou=policies,{BASE}"  # named by nobody
PASSWORD_ENV = "VW_TEST_PPOLICY_LDAP_PASSWORD"


def _start(directory_factory: pytest.TempPathFactory, name: str, config_reader: str | None) -> SlapdServer:
    """slapd with two weak policies besides the default one; user 2 is governed by ``cn=weak``."""
    server = start_slapd(directory_factory.mktemp(name), accounts=20, config_reader=config_reader)
    admin = admin_connection(server)
    for dn, cn in ((WEAK, "weak"), (UNUSED, "unused-weak")):
        admin.add(dn, ["top", "device", "pwdPolicy"], {"cn": cn, "pwdAttribute": "userPassword",
                                                       "pwdMinLength": "4", "pwdMaxFailure": "0",
                                                       "pwdLockout": "FALSE"})
    admin.modify(user_dn(2), {"pwdPolicySubentry": [(MODIFY_REPLACE, [WEAK])]})
    admin.unbind()
    return server


def _running(factory: pytest.TempPathFactory, name: str, config_reader: str | None) -> Iterator[SlapdServer]:
    server = _start(factory, name, config_reader)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory / "data", ignore_errors=True)


@pytest.fixture(scope="module")
def config_readable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    yield from _running(tmp_path_factory, "slapd-ppolicy-config", SERVICE_DN)


@pytest.fixture(scope="module")
def config_hidden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    yield from _running(tmp_path_factory, "slapd-ppolicy-hidden", None)


def registry_text(server: SlapdServer) -> str:
    return one_source_registry(server, PASSWORD_ENV)


def _collect(engine: Engine, server: SlapdServer, monkeypatch: pytest.MonkeyPatch) -> tuple[Registry, FixedClock]:
    monkeypatch.setenv(PASSWORD_ENV, server.service_password)
    clock = FixedClock(datetime.now(UTC))
    registry = import_registry(engine, registry_text(server), clock)
    run = collect(CollectContext.for_source(engine, registry, "dirco-ldap", clock))
    assert run.status == "success", (run.error_text, run.errors)
    return registry, clock


def _drafts(engine: Engine, registry: Registry, clock: FixedClock, check_id: str) -> dict[str, FindingDraft]:
    (outcome,) = run_checks(engine, registry, clock, only=[check_id]).outcomes
    assert outcome.error is None, outcome.error
    return {d.subject: d for d in outcome.drafts}


def test_with_the_default_known_a_weak_policy_is_a_finding_on_the_accounts_it_governs_only(
        engine: Engine, config_readable: SlapdServer, monkeypatch: pytest.MonkeyPatch) -> None:
    registry, clock = _collect(engine, config_readable, monkeypatch)
    with Session(engine) as session:
        people = {p.external_id: p for p in session.exec(select(Principal))}
    assert people[user_dn(1)].attributes["password_policy"] == POLICY_DN  # the overlay's default, from cn=config
    assert people[user_dn(1)].attributes["password_policy_via"] == "default"
    assert people[user_dn(2)].attributes["password_policy"] == WEAK
    assert people[user_dn(2)].attributes["password_policy_via"] == "subentry"
    for check_id in ("directory.password_policy_weak", "directory.lockout_policy_missing"):
        drafts = _drafts(engine, registry, clock, check_id)
        assert set(drafts) == {WEAK}, check_id  # cn=unused-weak governs nobody; the default is strong
        assert drafts[WEAK].evidence.principals == [user_dn(2)]
        assert drafts[WEAK].evidence.details["accounts"] == 1


def test_with_the_default_unknown_every_policy_is_judged_until_every_account_names_its_own(
        engine: Engine, config_hidden: SlapdServer, monkeypatch: pytest.MonkeyPatch) -> None:
    registry, clock = _collect(engine, config_hidden, monkeypatch)
    with Session(engine) as session:
        people = {p.external_id: p for p in session.exec(select(Principal))}
    assert "password_policy" not in people[user_dn(1)].attributes  # cn=config refused: its policy is not known
    assert people[user_dn(1)].attributes["password_policy_via"] is None
    assert set(_drafts(engine, registry, clock, "directory.password_policy_weak")) == {WEAK, UNUSED}

    admin = admin_connection(config_hidden)
    named: list[str] = []
    try:
        admin.search(BASE, OPENLDAP_ACCOUNTS, SUBTREE, attributes=["pwdPolicySubentry"])
        for entry in list(admin.response or []):
            if entry.get("type") == "searchResEntry" and not entry["attributes"].get("pwdPolicySubentry"):
                admin.modify(entry["dn"], {"pwdPolicySubentry": [(MODIFY_REPLACE, [POLICY_DN])]})
                named.append(entry["dn"])
        registry, clock = _collect(engine, config_hidden, monkeypatch)
        drafts = _drafts(engine, registry, clock, "directory.password_policy_weak")
        assert set(drafts) == {WEAK}
        assert drafts[WEAK].evidence.principals == [user_dn(2)]
    finally:
        for dn in named:  # the server is the module's: as it was for the next database
            admin.modify(dn, {"pwdPolicySubentry": [(MODIFY_DELETE, [])]})
        admin.unbind()
