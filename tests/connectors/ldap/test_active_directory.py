"""Active Directory parsing on attribute values shaped exactly as a domain controller sends them.

A real AD cannot run here: it needs Windows Server (and a Samba AD DC takes a provisioned domain, root and minutes
to start), so these tests feed the transforms the raw wire values AD returns for the attributes we read —
GeneralizedTime with ``.0Z``, FILETIME integers as decimal strings, ``userAccountControl`` bit fields, negative
100 ns intervals on the domain object, ``0x7FFFFFFFFFFFFFFF`` for "never" — captured from AD documentation
(MS-ADTS) and ldapsearch output of a Windows Server 2019 domain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.ldap.connection import Entry
from connectors.ldap.inventory import PolicyBook, transform_ad_account, transform_grants, transform_group
from connectors.ldap.policy import lockout_rule, transform_ad_policy
from connectors.ldap.values import lower_keys

BASE = "DC=ccs,DC=example"
DOMAIN_ADMINS = f"CN=Domain Admins,CN=Users,{BASE}"
TIER0 = f"CN=Tier0 Operators,OU=Groups,{BASE}"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
_FILETIME_1970 = 116444736000000000


def filetime_of(moment: datetime) -> bytes:
    """FILETIME as AD sends it: 100 ns since 1601, as a decimal string."""
    return str(_FILETIME_1970 + int(moment.timestamp()) * 10_000_000).encode()


def entry(dn: str, **values: list[bytes]) -> Entry:
    """An entry as ``raw_attributes`` come from ldap3: server spelling of names, lists of bytes."""
    return Entry(dn=dn, attributes=lower_keys(values))


def user(name: str, uac: int, **extra: list[bytes]) -> Entry:
    """A user entry with the attributes every AD user has, overridden by ``extra``."""
    values: dict[str, list[bytes]] = {
        "objectClass": [b"top", b"person", b"organizationalPerson", b"user"],
        "cn": [name.encode()], "sAMAccountName": [name.lower().replace(" ", ".").encode()],
        "userPrincipalName": [f"{name.lower().replace(' ', '.')}@ccs.example".encode()],
        "whenCreated": [b"20240401003015.0Z"], "userAccountControl": [str(uac).encode()],
        "accountExpires": [b"9223372036854775807"], "lockoutTime": [b"0"], "badPwdCount": [b"0"],
        "primaryGroupID": [b"513"],
    }
    return entry(f"CN={name},OU=Staff,{BASE}", **(values | extra))


DOMAIN = entry(
    BASE, objectClass=[b"top", b"domain", b"domainDNS"],
    lockoutThreshold=[b"5"], lockoutDuration=[b"-18000000000"], lockOutObservationWindow=[b"-18000000000"],
    maxPwdAge=[b"-36288000000000"], minPwdAge=[b"-864000000000"], minPwdLength=[b"7"], pwdHistoryLength=[b"24"],
    pwdProperties=[b"1"],
)


def test_domain_policy_intervals_become_days_and_seconds() -> None:
    policy = transform_ad_policy(DOMAIN)
    assert policy.kind == "ad.domain_policy"
    assert policy.subject == BASE
    assert policy.data["max_failure"] == 5
    assert policy.data["lockout"] is True
    assert policy.data["lockout_duration_s"] == 1800
    assert policy.data["max_age_days"] == 42
    assert policy.data["min_length"] == 7
    assert policy.data["complexity"] is True
    assert policy.data["raw"]["maxPwdAge"] == "-36288000000000"


def test_domain_without_lockout_and_with_passwords_that_never_expire() -> None:
    lax = entry(BASE, lockoutThreshold=[b"0"], lockoutDuration=[b"-9223372036854775808"],
                maxPwdAge=[b"-9223372036854775808"], minPwdLength=[b"0"])
    data = transform_ad_policy(lax).data
    assert data["lockout"] is False and data["max_failure"] == 0
    assert data["max_age_days"] is None
    assert data["lockout_duration_s"] == 0  # "until an administrator unlocks"


def test_ad_user_filetimes_flags_and_lockout() -> None:
    rule = lockout_rule(transform_ad_policy(DOMAIN))
    locked_at = NOW - timedelta(minutes=10)
    logon = datetime(2026, 11, 20, 0, 15, 0, tzinfo=UTC)
    raw = user("Taro Yamada", 0x10200, displayName=["山田 太郎".encode()], mail=[b"taro@ccs.example"],
               pwdLastSet=[filetime_of(datetime(2024, 4, 1, 0, 30, 15, tzinfo=UTC))],
               lastLogonTimestamp=[filetime_of(logon)], lockoutTime=[filetime_of(locked_at)], badPwdCount=[b"5"],
               memberOf=[DOMAIN_ADMINS.encode()])
    principal = transform_ad_account(raw, rule, NOW)
    assert principal.kind == "ad_account"
    assert principal.external_id == f"CN=Taro Yamada,OU=Staff,{BASE}"
    assert principal.name == "taro.yamada"
    assert principal.display_name == "山田 太郎"
    assert principal.email == "taro@ccs.example"
    assert principal.created_at == datetime(2024, 4, 1, 0, 30, 15, tzinfo=UTC)
    assert principal.password_changed_at == datetime(2024, 4, 1, 0, 30, 15, tzinfo=UTC)
    assert principal.last_used_at == logon
    assert principal.locked_at == locked_at  # within the 30-minute lockout duration
    assert principal.attributes["locked"] is True
    assert principal.attributes["password_never_expires"] is True  # 0x10000 DONT_EXPIRE_PASSWORD
    assert principal.attributes["uac_flags"] == ["NORMAL_ACCOUNT", "DONT_EXPIRE_PASSWORD"]
    assert principal.attributes["failure_count"] == 5
    assert principal.disabled is False
    assert principal.attributes["account_expires_at"] is None  # 0x7FFFFFFFFFFFFFFF = never


def test_expired_lock_disabled_flag_and_must_change_password() -> None:
    rule = lockout_rule(transform_ad_policy(DOMAIN))
    raw = user("Old Contractor", 0x202, pwdLastSet=[b"0"], lastLogonTimestamp=[b"0"],
               lockoutTime=[filetime_of(NOW - timedelta(hours=2))],
               accountExpires=[filetime_of(datetime(2025, 3, 31, 15, 0, tzinfo=UTC))])
    principal = transform_ad_account(raw, rule, NOW)
    assert principal.disabled is True  # 0x2 ACCOUNTDISABLE (and expired)
    assert principal.locked_at is None  # the 30-minute lock ran out long ago
    assert principal.attributes["locked"] is False
    assert principal.attributes["must_change_password"] is True  # pwdLastSet 0
    assert principal.password_changed_at is None
    assert principal.last_used_at is None
    assert principal.attributes["expired"] is True
    assert principal.attributes["password_never_expires"] is False


def test_nested_membership_of_a_privileged_group_is_administrative() -> None:
    rule = lockout_rule(transform_ad_policy(DOMAIN))
    direct = transform_ad_account(user("Taro Yamada", 0x200, memberOf=[DOMAIN_ADMINS.encode()]), rule, NOW)
    nested_raw = user("Hanako Sato", 0x200, memberOf=[TIER0.encode()])
    nested = transform_ad_account(nested_raw, rule, NOW)
    plain_raw = user("Jiro Suzuki", 0x200)
    plain = transform_ad_account(plain_raw, rule, NOW)
    groups = [
        transform_group(entry(DOMAIN_ADMINS, objectClass=[b"top", b"group"], cn=[b"Domain Admins"],
                              sAMAccountName=[b"Domain Admins"], member=[direct.external_id.encode(), TIER0.encode()])),
        transform_group(entry(TIER0, objectClass=[b"top", b"group"], cn=[b"Tier0 Operators"],
                              member=[nested.external_id.encode()], memberOf=[DOMAIN_ADMINS.encode()])),
    ]
    accounts = [
        (direct, user("Taro Yamada", 0x200, memberOf=[DOMAIN_ADMINS.encode()])),
        (nested, nested_raw),
        (plain, plain_raw),
    ]
    # The registry spells the DN in its own case and spacing.
    grants = transform_grants(accounts, groups, ["cn=domain admins, cn=users, dc=ccs, dc=example"])
    by_principal: dict[str, dict[str, bool]] = {}
    for grant in grants:
        by_principal.setdefault(grant.principal_external_id, {})[grant.name] = grant.is_admin
    assert by_principal[direct.external_id] == {DOMAIN_ADMINS: True}
    assert by_principal[nested.external_id] == {TIER0: False, DOMAIN_ADMINS: True}
    assert plain.external_id not in by_principal
    inherited = next(g for g in grants if g.principal_external_id == nested.external_id and g.name == DOMAIN_ADMINS)
    assert inherited.document is not None and inherited.document["nested_via"] == TIER0


def test_policy_book_default_applies_to_ad_accounts() -> None:
    book = PolicyBook(default=lockout_rule(transform_ad_policy(DOMAIN)))
    assert book.rule_for(None).duration_s == 1800
