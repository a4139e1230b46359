"""Active Directory fine-grained password policies (PSOs) collected and judged per account.

No real AD can run here and slapd has no PSOs, so ``collect`` reads ``tests/connectors/ldap/fake_ad.py`` (a stand-in
for the ldap3 connection that answers as a domain controller does: AD's attribute spelling, negative 100 ns
intervals, ``TRUE``/``FALSE``, ``groupType`` as a signed 32-bit number, and PSOs hidden from readers without
rights). Only ``connect`` is replaced; the collection, its storage (SQLite and PostgreSQL) and the checks are real.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.ldap import collect as ldap_collect
from connectors.ldap.connection import Directory
from connectors.ldap.policy import PasswordSettings, effective_policy, lockout_rule, transform_pso
from tests.connectors.ldap.fake_ad import FakeDomainController
from tests.registry_import import import_registry
from vendorwatch.checks.engine import run_checks
from vendorwatch.checks.model import FindingDraft
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import ObservedSetting, Principal
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry

BASE = "DC=ccs,DC=example"
CONTAINER = f"CN=Password Settings Container,CN=System,{BASE}"
WEAK_PSO = f"CN=Contractors PSO,{CONTAINER}"
OPS_PSO = f"CN=Ops PSO,{CONTAINER}"
ADMIN_PSO = f"CN=Hanako PSO,{CONTAINER}"
MAILING_PSO = f"CN=Mailing PSO,{CONTAINER}"
CONTRACTORS = f"CN=Contractors,OU=Groups,{BASE}"
OPS = f"CN=Ops,OU=Groups,{BASE}"
NESTED = f"CN=Night Shift,OU=Groups,{BASE}"
MAILING = f"CN=Newsletter,OU=Groups,{BASE}"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
_FILETIME_1970 = 116444736000000000
GLOBAL_SECURITY = b"-2147483646"  # 0x80000002, as AD sends groupType
UNIVERSAL_DISTRIBUTION = b"8"


def user_dn(name: str) -> str:
    return f"CN={name},OU=Staff,{BASE}"


def filetime_of(moment: datetime) -> bytes:
    return str(_FILETIME_1970 + int(moment.timestamp()) * 10_000_000).encode()


def _user(name: str, **extra: list[bytes]) -> dict[str, list[bytes]]:
    return {"objectClass": [b"top", b"person", b"organizationalPerson", b"user"], "cn": [name.encode()],
            "sAMAccountName": [name.lower().encode()], "userAccountControl": [b"512"],
            "whenCreated": [b"20240401003015.0Z"], "accountExpires": [b"9223372036854775807"],
            "lockoutTime": [b"0"], "badPwdCount": [b"0"], **extra}


def _group(name: str, group_type: bytes, members: list[str]) -> dict[str, list[bytes]]:
    return {"objectClass": [b"top", b"group"], "cn": [name.encode()], "sAMAccountName": [name.encode()],
            "groupType": [group_type], "member": [m.encode() for m in members]}


def _pso(name: str, precedence: int, guid: int, applies_to: list[str], *, min_length: int, threshold: int,
         lockout_minutes: int, max_age: bytes) -> dict[str, list[bytes]]:
    interval = str(-lockout_minutes * 60 * 10_000_000).encode()
    return {
        "objectClass": [b"top", b"msDS-PasswordSettings"], "cn": [name.encode()],
        "objectGUID": [guid.to_bytes(16, "big")],
        "msDS-PasswordSettingsPrecedence": [str(precedence).encode()],
        "msDS-MinimumPasswordLength": [str(min_length).encode()], "msDS-PasswordComplexityEnabled": [b"TRUE"],
        "msDS-PasswordHistoryLength": [b"24"], "msDS-LockoutThreshold": [str(threshold).encode()],
        "msDS-LockoutDuration": [interval], "msDS-LockoutObservationWindow": [interval],
        "msDS-MaximumPasswordAge": [max_age], "msDS-MinimumPasswordAge": [b"-864000000000"],
        "msDS-PasswordReversibleEncryptionEnabled": [b"FALSE"],
        "msDS-PSOAppliesTo": [dn.encode() for dn in applies_to],
    }


NEVER = b"-9223372036854775808"
FORTY_TWO_DAYS = b"-36288000000000"


def domain_controller() -> FakeDomainController:
    """Jiro: only in Contractors (weak PSO). Taro: Contractors and Ops (Ops' precedence 5 beats 20). Hanako: in
    Contractors, and a PSO linked to her own account (precedence 50: a direct link beats any group's). Shiro: in
    Night Shift, nested in Contractors (the weak PSO through nesting). Saburo: only in Newsletter, a distribution
    group whose PSO AD ignores: the domain policy."""
    locked = filetime_of(NOW - timedelta(minutes=10))
    return FakeDomainController({
        BASE: {"objectClass": [b"top", b"domain", b"domainDNS"], "lockoutThreshold": [b"5"],
               "lockoutDuration": [b"-18000000000"], "lockOutObservationWindow": [b"-18000000000"],
               "maxPwdAge": [FORTY_TWO_DAYS], "minPwdAge": [b"-864000000000"], "minPwdLength": [b"14"],
               "pwdHistoryLength": [b"24"], "pwdProperties": [b"1"]},
        CONTAINER: {"objectClass": [b"top", b"msDS-PasswordSettingsContainer"]},
        WEAK_PSO: _pso("Contractors PSO", 20, 3, [CONTRACTORS], min_length=6, threshold=0, lockout_minutes=30,
                       max_age=NEVER),
        OPS_PSO: _pso("Ops PSO", 5, 2, [OPS], min_length=15, threshold=5, lockout_minutes=30,
                      max_age=FORTY_TWO_DAYS),
        ADMIN_PSO: _pso("Hanako PSO", 50, 1, [user_dn("Hanako")], min_length=16, threshold=3, lockout_minutes=5,
                        max_age=FORTY_TWO_DAYS),
        MAILING_PSO: _pso("Mailing PSO", 1, 4, [MAILING], min_length=1, threshold=0, lockout_minutes=0,
                          max_age=NEVER),
        user_dn("Jiro"): _user("Jiro"),
        user_dn("Taro"): _user("Taro"),
        user_dn("Hanako"): _user("Hanako", lockoutTime=[locked], badPwdCount=[b"3"]),
        user_dn("Shiro"): _user("Shiro"),
        user_dn("Saburo"): _user("Saburo"),
        CONTRACTORS: _group("Contractors", GLOBAL_SECURITY, [user_dn("Jiro"), user_dn("Taro"), user_dn("Hanako"),
                                                             NESTED]),
        NESTED: _group("Night Shift", GLOBAL_SECURITY, [user_dn("Shiro")]),
        OPS: _group("Ops", GLOBAL_SECURITY, [user_dn("Taro")]),
        MAILING: _group("Newsletter", UNIVERSAL_DISTRIBUTION, [user_dn("Saburo")]),
    })


REGISTRY = f"""\
version: 1
organization:
  name: {{ja: テスト証券, en: Test Securities}}
vendors:
  - id: ccs
    name: {{ja: シーシーエス, en: CCS}}
    tier: high
    handles_customer_data: true
    environments:
      - id: ccs-prod
        kind: production
        directory: {{base_dn: "{BASE}"}}
    sources:
      - id: ccs-ad
        kind: ldap
        flavor: active_directory
        environment: ccs-prod
        url: ldaps://dc01.ccs.example
        bind_dn: "CN=svc-vendorwatch,OU=Service,{BASE}"
        password_env: VW_TEST_AD_PASSWORD
"""


@pytest.fixture
def ad_collect(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeDomainController], Registry]:
    """Collect ``ccs-ad`` from a fake DC (only ``connect`` is replaced) and return the registry in force."""
    clock = FixedClock(NOW)
    monkeypatch.setenv("VW_TEST_AD_PASSWORD", "not-used-by-the-fake")
    registry = import_registry(engine, REGISTRY, clock)

    def run(dc: FakeDomainController) -> Registry:
        monkeypatch.setattr(ldap_collect, "connect", lambda source, _password: Directory(source, dc))  # type: ignore[arg-type]
        collected = ldap_collect.collect(CollectContext.for_source(engine, registry, "ccs-ad", clock))
        run.last = collected  # type: ignore[attr-defined]
        return registry

    return run


def _drafts(engine: Engine, registry: Registry, check_id: str) -> list[FindingDraft]:
    (outcome,) = run_checks(engine, registry, FixedClock(NOW), only=[check_id]).outcomes
    assert outcome.error is None, outcome.error
    return outcome.drafts


def test_pso_values_as_a_dc_sends_them() -> None:
    from connectors.ldap.connection import Entry
    from connectors.ldap.values import lower_keys

    raw = domain_controller().entries[WEAK_PSO]
    setting = transform_pso(Entry(WEAK_PSO, lower_keys(raw)))
    assert setting.kind == "ad.password_settings" and setting.subject == WEAK_PSO
    assert setting.data["precedence"] == 20
    assert setting.data["min_length"] == 6
    assert setting.data["lockout"] is False and setting.data["max_failure"] == 0
    assert setting.data["lockout_duration_s"] == 1800  # -18000000000 x 100 ns
    assert setting.data["max_age_days"] is None  # 0x8000000000000000: never
    assert setting.data["complexity"] is True
    assert setting.data["applies_to"] == [CONTRACTORS]


def test_resolution_is_ads_direct_link_then_lowest_precedence_then_domain() -> None:
    rule = lockout_rule(None)

    def pso(subject: str, precedence: int, guid: str, *names: str) -> PasswordSettings:
        return PasswordSettings(subject, precedence, guid, frozenset(n.lower() for n in names), rule)

    group_pso = pso("cn=g", 1, "01", "cn=group,dc=x")
    direct = pso("cn=direct", 90, "02", "cn=user,dc=x")
    assert effective_policy("CN=User,DC=X", ["cn=Group,dc=x"], [group_pso, direct]) == (direct, "user")
    other = pso("cn=h", 1, "00", "cn=other,dc=x")
    assert effective_policy("cn=user2,dc=x", ["cn=group,dc=x", "cn=other,dc=x"], [group_pso, other]) == (other, "group")
    assert effective_policy("cn=user3,dc=x", [], [group_pso, direct]) == (None, "domain")


def test_each_account_is_governed_by_its_effective_policy(engine: Engine, ad_collect: Callable[..., Registry]) -> None:
    ad_collect(domain_controller())
    run = ad_collect.last  # type: ignore[attr-defined]
    assert run.status == "success", (run.error_text, run.errors)
    with Session(engine) as session:
        principals = {p.external_id: p for p in session.exec(select(Principal).where(Principal.source_id == "ccs-ad"))}
        settings = {s.subject: s for s in session.exec(select(ObservedSetting).where(ObservedSetting.source_id == "ccs-ad"))}
    assert {WEAK_PSO, OPS_PSO, ADMIN_PSO, MAILING_PSO, BASE} <= set(settings)
    governing = {dn: (p.attributes["password_policy"], p.attributes["password_policy_via"])
                 for dn, p in principals.items()}
    assert governing[user_dn("Jiro")] == (WEAK_PSO, "group")
    assert governing[user_dn("Taro")] == (OPS_PSO, "group")  # precedence 5 beats 20
    assert governing[user_dn("Hanako")] == (ADMIN_PSO, "user")  # a direct link beats groups, whatever precedence
    assert governing[user_dn("Shiro")] == (WEAK_PSO, "group")  # through Night Shift, nested in Contractors
    assert governing[user_dn("Saburo")] == (BASE, "domain")  # a distribution group's PSO does not apply
    # Hanako's PSO locks for 5 minutes: her lock of 10 minutes ago is over (the domain's 30 minutes would hold it).
    assert principals[user_dn("Hanako")].locked_at is None
    assert principals[user_dn("Hanako")].attributes["locked"] is False


def test_a_weak_pso_is_a_finding_on_the_accounts_it_governs(engine: Engine,
                                                              ad_collect: Callable[..., Registry]) -> None:
    registry = ad_collect(domain_controller())
    weak = _drafts(engine, registry, "directory.password_policy_weak")
    assert [d.subject for d in weak] == [WEAK_PSO]  # not the strong domain policy, not the unlinked Mailing PSO
    assert sorted(weak[0].evidence.principals) == sorted([user_dn("Jiro"), user_dn("Shiro")])
    assert weak[0].evidence.details["accounts"] == 2
    lockout = _drafts(engine, registry, "directory.lockout_policy_missing")
    assert [d.subject for d in lockout] == [WEAK_PSO]
    assert "2 account(s)" in lockout[0].message.en


def test_a_weak_domain_policy_is_judged_only_for_the_accounts_left_to_it(
        engine: Engine, ad_collect: Callable[..., Registry]) -> None:
    dc = domain_controller()
    dc.entries[BASE]["minPwdLength"] = [b"7"]
    registry = ad_collect(dc)
    weak = {d.subject: d for d in _drafts(engine, registry, "directory.password_policy_weak")}
    assert set(weak) == {WEAK_PSO, BASE}
    assert weak[BASE].evidence.principals == [user_dn("Saburo")]


@pytest.mark.parametrize("how", ["hidden", "refused"])
def test_an_unreadable_pso_container_is_said_on_the_run(engine: Engine, ad_collect: Callable[..., Registry],
                                                         how: str) -> None:
    dc = domain_controller()
    setattr(dc, how, {CONTAINER})  # AD shows PSOs to Domain Admins only (noSuchObject, or insufficientAccessRights)
    ad_collect(dc)
    run = ad_collect.last  # type: ignore[attr-defined]
    assert run.status == "partial"
    (error,) = [e for e in run.errors if e["where"] == "password_settings"]
    assert "Domain Admins" in error["reason_en"] and "Domain Admins" in error["reason_ja"]
    with Session(engine) as session:
        jiro = session.exec(select(Principal).where(Principal.external_id == user_dn("Jiro"))).one()
    assert jiro.attributes["password_policy"] == BASE
    assert jiro.attributes["password_settings_unreadable"] is True


def test_psos_read_before_stay_when_the_container_cannot_be_read_later(
        engine: Engine, ad_collect: Callable[..., Registry]) -> None:
    ad_collect(domain_controller())
    hidden = domain_controller()
    hidden.hidden = {CONTAINER}
    ad_collect(hidden)
    with Session(engine) as session:
        weak = session.exec(select(ObservedSetting).where(ObservedSetting.subject == WEAK_PSO)).one()
    assert weak.gone_at is None  # unread is not gone
    ad_collect(_without(WEAK_PSO))
    with Session(engine) as session:
        weak = session.exec(select(ObservedSetting).where(ObservedSetting.subject == WEAK_PSO)).one()
    assert weak.gone_at is not None  # read, and no longer there


def _without(dn: str) -> FakeDomainController:
    dc = domain_controller()
    del dc.entries[dn]
    return dc


DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
DOMAIN_USERS = f"CN=Domain Users,CN=Users,{BASE}"
EVERYONE_PSO = f"CN=Everyone PSO,{CONTAINER}"


def sid_bytes(text: str) -> bytes:
    """A SID as a DC sends ``objectSid``: revision, count, 48-bit authority (big-endian), RIDs (little-endian)."""
    _, revision, authority, *subs = text.split("-")
    return bytes([int(revision), len(subs)]) + int(authority).to_bytes(6, "big") \
        + b"".join(int(s).to_bytes(4, "little") for s in subs)


def test_a_sid_as_a_dc_sends_it_is_read() -> None:
    from connectors.ldap.values import primary_group_sid, sid_text

    assert sid_text(sid_bytes(f"{DOMAIN_SID}-1105")) == f"{DOMAIN_SID}-1105"
    assert sid_text(b"\x01\x05\x00") is None  # cut short
    assert primary_group_sid(f"{DOMAIN_SID}-1105", 513) == f"{DOMAIN_SID}-513"


def test_a_pso_on_the_primary_group_governs_its_users(engine: Engine, ad_collect: Callable[..., Registry]) -> None:
    """Goro's only group is his primary group, Domain Users (primaryGroupID 513): AD lists it neither in his
    memberOf nor in the group's member, yet a PSO linked to Domain Users governs him. Jiro's primary group is
    Domain Users too, but his Contractors PSO (precedence 20) beats the Everyone PSO (precedence 30)."""
    dc = domain_controller()
    dc.entries[DOMAIN_USERS] = _group("Domain Users", GLOBAL_SECURITY, []) | {
        "objectSid": [sid_bytes(f"{DOMAIN_SID}-513")]}
    dc.entries[EVERYONE_PSO] = _pso("Everyone PSO", 30, 5, [DOMAIN_USERS], min_length=8, threshold=0,
                                    lockout_minutes=0, max_age=NEVER)
    dc.entries[user_dn("Goro")] = _user("Goro", objectSid=[sid_bytes(f"{DOMAIN_SID}-1105")], primaryGroupID=[b"513"])
    dc.entries[user_dn("Jiro")] |= {"objectSid": [sid_bytes(f"{DOMAIN_SID}-1106")], "primaryGroupID": [b"513"]}
    registry = ad_collect(dc)
    with Session(engine) as session:
        principals = {p.external_id: p for p in session.exec(select(Principal).where(Principal.source_id == "ccs-ad"))}
    governing = {dn: (p.attributes["password_policy"], p.attributes["password_policy_via"])
                 for dn, p in principals.items()}
    assert governing[user_dn("Goro")] == (EVERYONE_PSO, "group")
    assert governing[user_dn("Jiro")] == (WEAK_PSO, "group")
    assert governing[user_dn("Saburo")] == (BASE, "domain")  # no objectSid read: no primary group known
    weak = {d.subject: d for d in _drafts(engine, registry, "directory.password_policy_weak")}
    assert weak[EVERYONE_PSO].evidence.principals == [user_dn("Goro")]
