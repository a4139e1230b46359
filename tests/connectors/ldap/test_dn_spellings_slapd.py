"""A real slapd, a registry that spells its DNs otherwise, collect → checks: one account however it is spelled.

The directory stores ``uid=Alice,ou=people,dc=example,dc=org`` and ``cn=Smith\\, John,ou=people,...`` (an escaped
comma), slapd's stats log writes binds in its normalized form, and the registry's roster writes the same DNs in
upper case, with ``\\2C`` for the comma and blanks after the separators. None of them may be "not on roster".
The directory also holds a group of 3,100 members, which must be read completely.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from ldap3 import MODIFY_ADD
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.ldap.collect import collect
from tests.connectors.ldap.conftest import admin_connection, one_source_registry, user_bind, wait_for_stats
from tests.registry_import import import_registry
from tests.servers.slapd import SlapdServer, start_slapd, user_dn
from vendorwatch.checks.engine import run_checks
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Grant
from vendorwatch.dn import canonical_dn
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry

pytestmark = pytest.mark.slapd

ACCOUNTS = 3100
BASE = "dc=example,dc=org"
ALICE = f"uid=Alice,ou=people,{BASE}"
SMITH = f"cn=Smith\\, John,ou=people,{BASE}"
EVERYONE = f"cn=everyone,ou=groups,{BASE}"
PASSWORD_ENV = "VW_TEST_DN_LDAP_PASSWORD"


@pytest.fixture(scope="module")
def big_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdServer]:
    """slapd with 3,100 accounts, Alice and "Smith, John" added, and a group of every account."""
    directory = tmp_path_factory.mktemp("slapd-dn")
    server = start_slapd(directory, accounts=ACCOUNTS, size_limit=500)
    try:
        admin = admin_connection(server)
        for dn, uid, cn in ((ALICE, "Alice", "Alice Example"), (SMITH, "jsmith", "Smith, John")):
            admin.add(dn, ["inetOrgPerson"], {"uid": uid, "cn": cn, "sn": cn.split()[0],
                                              "userPassword": server.user_password})
        admin.add(EVERYONE, ["groupOfNames"], {"cn": "everyone",
                                                "member": [user_dn(i) for i in range(1, ACCOUNTS + 1)]})
        admin.modify(EVERYONE, {"member": [(MODIFY_ADD, [ALICE, SMITH])]})
        admin.unbind()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory / "data", ignore_errors=True)


ROSTER = """\
    roster:
      - person: alice
        name: Alice Example
        since: 2024-04-01
        identities: ["UID=ALICE,OU=PEOPLE,DC=EXAMPLE,DC=ORG"]
      - person: jsmith
        name: John Smith
        since: 2024-04-01
        identities: ['CN=smith\\2C john, OU=People, DC=Example, DC=Org']
      - person: user2
        name: User Two
        since: 2024-04-01
        identities: ["UID=User00002 , OU=People,DC=Example,DC=Org"]
      - person: user4
        name: User Four
        since: 2024-04-01
        until: 2025-03-31
        identities: ["uid=user00004, ou=people, dc=example, dc=org"]
"""


def registry_text(server: SlapdServer) -> str:
    """One source on the slapd; the roster spells the DNs as a person typing them into vendorwatch.yaml would."""
    return one_source_registry(server, PASSWORD_ENV, roster=ROSTER, source=f"""\
        privileged_groups: ["CN=Everyone,OU=Groups,DC=Example,DC=Org"]
        accesslog_base: cn=accesslog
        stats_log: {server.stats_log}
""")


@pytest.fixture
def collected(engine: Engine, big_slapd: SlapdServer, monkeypatch: pytest.MonkeyPatch) -> tuple[Registry, FixedClock]:
    """Binds by Alice, Smith, user 2, user 3 (on no roster) and user 4 (left), then one collection."""
    for dn in (ALICE, SMITH, user_dn(2), user_dn(3), user_dn(4)):
        assert user_bind(big_slapd, dn, big_slapd.user_password), dn
    wait_for_stats(big_slapd, "RESULT tag=97 err=0", 5)
    monkeypatch.setenv(PASSWORD_ENV, big_slapd.service_password)
    clock = FixedClock(datetime.now(UTC))
    registry = import_registry(engine, registry_text(big_slapd), clock)
    run = collect(CollectContext.for_source(engine, registry, "dirco-ldap", clock))
    assert run.status == "success", (run.error_text, run.errors)
    return registry, clock


def _drafts(engine: Engine, registry: Registry, clock: FixedClock, check_id: str) -> list[FindingDraft]:
    (outcome,) = run_checks(engine, registry, clock, only=[check_id]).outcomes
    assert outcome.error is None, outcome.error
    return outcome.drafts


def test_registry_spellings_of_directory_dns_are_on_the_roster(
        engine: Engine, collected: tuple[Registry, FixedClock]) -> None:
    registry, clock = collected
    rostered = {canonical_dn(dn) for dn in (ALICE, SMITH, user_dn(2), user_dn(4))}
    unknown = {canonical_dn(d.subject) for d in _drafts(engine, registry, clock, "identity.not_on_roster")}
    assert canonical_dn(user_dn(3)) in unknown  # the check does find binds by someone on no roster
    assert not rostered & unknown, unknown
    no_owner = {canonical_dn(d.subject) for d in _drafts(engine, registry, clock, "identity.account_without_owner")}
    assert canonical_dn(user_dn(3)) in no_owner
    assert not rostered & no_owner


def test_a_leaver_spelled_with_blanks_is_caught_using_the_account(
        engine: Engine, collected: tuple[Registry, FixedClock]) -> None:
    registry, clock = collected
    after = _drafts(engine, registry, clock, "identity.used_after_leaving")
    assert [d.subject for d in after] == ["uid=user00004, ou=people, dc=example, dc=org"]
    assert after[0].evidence.details["event_count"] >= 1


def test_a_group_of_3100_members_is_read_completely(engine: Engine, collected: tuple[Registry, FixedClock]) -> None:
    with Session(engine) as session:
        members = session.exec(select(Grant.principal_external_id, Grant.is_admin)
                               .where(Grant.source_id == "dirco-ldap", Grant.name == EVERYONE)).all()
    assert len(members) == ACCOUNTS + 2
    # slapd sends Smith's DN as cn=Smith\2C John,...: the same DN, spelled its way.
    assert {canonical_dn(dn) for dn, _ in members} >= {canonical_dn(d) for d in (user_dn(1), user_dn(ACCOUNTS),
                                                                                  ALICE, SMITH)}
    # The registry names the privileged group in other case: it is still the same group.
    assert all(admin for _, admin in members)
