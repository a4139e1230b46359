"""Accounts and groups of a directory as principals and grants (get → transform).

OpenLDAP and Active Directory differ in names and value shapes; both are read as raw bytes (exactly what the
server sends) and decoded in :mod:`connectors.ldap.values`, so the transform gives the same result whether or
not the client knows the server's schema.

Group membership is the union of what the account says (``memberOf``) and what the groups say (``member``,
``uniqueMember``, ``memberUid``), followed through nested groups, so that an account inside a group inside
``Domain Admins`` is known to be an administrator. On AD an account's primary group (``primaryGroupID``, usually
Domain Users) is in neither ``memberOf`` nor the group's ``member``: it is found by SID (the account's domain SID
and the RID), among the groups read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.ldap.connection import Directory, Entry
from connectors.ldap.policy import LockoutRule, PasswordSettings, effective_policy
from connectors.ldap.values import (
    PERMANENT_LOCK,
    filetime,
    generalized_time,
    integer,
    primary_group_sid,
    shadow_date,
    sid_value,
    text,
    texts,
)
from vendorwatch.dn import canonical_dn, first_rdn_value
from vendorwatch.records import GrantRecord, PrincipalRecord

OPENLDAP_ACCOUNTS = ("(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(objectClass=account)"
                     "(objectClass=simpleSecurityObject)(objectClass=person))")
OPENLDAP_GROUPS = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
OPENLDAP_ACCOUNT_ATTRIBUTES = [
    "objectClass", "uid", "cn", "displayName", "mail", "memberOf", "shadowExpire", "shadowLastChange", "uidNumber",
    "createTimestamp", "modifyTimestamp", "pwdChangedTime", "pwdAccountLockedTime", "pwdFailureTime",
    "pwdLastSuccess", "pwdPolicySubentry", "pwdReset",
]
AD_ACCOUNTS = "(&(objectCategory=person)(objectClass=user))"
AD_GROUPS = "(objectClass=group)"
AD_ACCOUNT_ATTRIBUTES = [
    "objectClass", "sAMAccountName", "userPrincipalName", "cn", "displayName", "mail", "memberOf", "whenCreated",
    "pwdLastSet", "lockoutTime", "lastLogonTimestamp", "userAccountControl", "accountExpires", "badPwdCount",
    "adminCount", "primaryGroupID", "objectSid",
]
GROUP_ATTRIBUTES = ["objectClass", "cn", "sAMAccountName", "member", "uniqueMember", "memberUid", "memberOf",
                    "groupType", "objectSid"]
# groupType flags (MS-ADTS 2.2.12): a PSO linked to a group applies only through global security groups.
GROUP_TYPE_GLOBAL = 0x2
GROUP_TYPE_SECURITY = 0x80000000

# userAccountControl flags (MS-ADTS 2.2.16).
UAC_ACCOUNTDISABLE = 0x2
UAC_LOCKOUT = 0x10
UAC_PASSWD_NOTREQD = 0x20
UAC_DONT_EXPIRE_PASSWORD = 0x10000
UAC_SMARTCARD_REQUIRED = 0x40000
UAC_PASSWORD_EXPIRED = 0x800000
_UAC_NAMES = {
    UAC_ACCOUNTDISABLE: "ACCOUNTDISABLE", UAC_LOCKOUT: "LOCKOUT", UAC_PASSWD_NOTREQD: "PASSWD_NOTREQD",
    0x200: "NORMAL_ACCOUNT", UAC_DONT_EXPIRE_PASSWORD: "DONT_EXPIRE_PASSWORD",
    UAC_SMARTCARD_REQUIRED: "SMARTCARD_REQUIRED", UAC_PASSWORD_EXPIRED: "PASSWORD_EXPIRED",
}


def normalize_dn(dn: str) -> str:
    """A DN in a form fit for comparing (escapes, multi-valued RDNs and case as LDAP compares them)."""
    return canonical_dn(dn)


@dataclass
class PolicyBook:
    """The lock rules of the policies read, by policy DN, and the one that applies when an entry names none.

    For Active Directory also the domain policy's DN and the PSOs (fine-grained policies) that may govern an
    account instead of it; ``psos_readable`` False when the PSO container could not be read.
    """

    rules: dict[str, LockoutRule] = field(default_factory=dict)
    default: LockoutRule = field(default_factory=lambda: LockoutRule(None, None))
    default_subject: str | None = None
    password_settings: list[PasswordSettings] = field(default_factory=list)
    psos_readable: bool = True

    def rule_for(self, policy_dn: str | None) -> LockoutRule:
        """The rule of an account's own policy, else the default."""
        if policy_dn:
            return self.rules.get(normalize_dn(policy_dn), self.default)
        return self.default


def _lock_state(locked_at: datetime | None, permanent: bool, rule: LockoutRule, now: datetime) -> bool:
    if permanent:
        return True
    if locked_at is None:
        return False
    return rule.duration_s is None or locked_at + timedelta(seconds=rule.duration_s) > now


def transform_openldap_account(entry: Entry, policies: PolicyBook, now: datetime) -> PrincipalRecord:
    """An OpenLDAP account (inetOrgPerson / posixAccount / simpleSecurityObject) as a principal."""
    raw = entry.attributes
    lock_text = text(raw, "pwdaccountlockedtime")
    permanent = lock_text is not None and lock_text.strip() == PERMANENT_LOCK
    lock_observed = generalized_time(lock_text)
    policy_dn = text(raw, "pwdpolicysubentry")
    rule = policies.rule_for(policy_dn)
    locked = _lock_state(lock_observed, permanent, rule, now)
    expires = shadow_date(integer(raw, "shadowexpire"))
    expired = expires is not None and expires <= now
    failures = [t for v in texts(raw, "pwdfailuretime") if (t := generalized_time(v))]
    name = text(raw, "uid") or text(raw, "cn") or entry.dn
    attributes: dict[str, Any] = {
        "flavor": "openldap",
        "object_classes": texts(raw, "objectclass"),
        "locked": locked,
        "lock_permanent": permanent,
        "lock_observed_at": lock_observed.isoformat() if lock_observed else (lock_text if permanent else None),
        "failure_count": len(failures),
        "last_failure_at": max(failures).isoformat() if failures else None,
        "account_expires_at": expires.isoformat() if expires else None,
        "expired": expired,
        "password_never_expires": rule.password_never_expires,
        "must_change_password": (text(raw, "pwdreset") or "").upper() == "TRUE",
        "policy_dn": policy_dn,
        # Which policy governs the account, for the directory checks: its own, else the overlay's default when
        # cn=config told it (None: not known).
        "password_policy_via": "subentry" if policy_dn else ("default" if policies.default_subject else None),
    }
    if policy_dn or policies.default_subject:
        attributes["password_policy"] = policy_dn or policies.default_subject
    if (uid_number := integer(raw, "uidnumber")) is not None:
        attributes["uid_number"] = uid_number
    return PrincipalRecord(
        external_id=entry.dn,
        kind="ldap_account",
        name=name,
        display_name=text(raw, "displayname") or text(raw, "cn"),
        email=text(raw, "mail"),
        disabled=permanent or expired,
        created_at=generalized_time(text(raw, "createtimestamp")),
        last_used_at=generalized_time(text(raw, "pwdlastsuccess")),
        password_changed_at=generalized_time(text(raw, "pwdchangedtime")),
        locked_at=lock_observed if locked else None,
        attributes=attributes,
    )


def transform_ad_account(entry: Entry, rule: LockoutRule, now: datetime) -> PrincipalRecord:
    """An Active Directory user as a principal (FILETIME and userAccountControl decoded)."""
    raw = entry.attributes
    uac = integer(raw, "useraccountcontrol") or 0
    lockout_time = filetime(integer(raw, "lockouttime"))
    locked = _lock_state(lockout_time, False, rule, now)
    pwd_last_set = integer(raw, "pwdlastset")
    expires = filetime(integer(raw, "accountexpires"))
    expired = expires is not None and expires <= now
    attributes: dict[str, Any] = {
        "flavor": "active_directory",
        "object_classes": texts(raw, "objectclass"),
        "user_account_control": uac,
        "uac_flags": [name for flag, name in sorted(_UAC_NAMES.items()) if uac & flag],
        "locked": locked,
        "lock_observed_at": lockout_time.isoformat() if lockout_time else None,
        "failure_count": integer(raw, "badpwdcount") or 0,
        "account_expires_at": expires.isoformat() if expires else None,
        "expired": expired,
        "password_never_expires": bool(uac & UAC_DONT_EXPIRE_PASSWORD),
        "password_not_required": bool(uac & UAC_PASSWD_NOTREQD),
        # pwdLastSet 0 means "must change at next logon".
        "must_change_password": pwd_last_set == 0,
        "user_principal_name": text(raw, "userprincipalname"),
        "admin_count": integer(raw, "admincount") or 0,
        "primary_group_id": integer(raw, "primarygroupid"),
    }
    return PrincipalRecord(
        external_id=entry.dn,
        kind="ad_account",
        name=text(raw, "samaccountname") or text(raw, "cn") or entry.dn,
        display_name=text(raw, "displayname") or text(raw, "cn"),
        email=text(raw, "mail"),
        disabled=bool(uac & UAC_ACCOUNTDISABLE) or expired,
        created_at=generalized_time(text(raw, "whencreated")),
        last_used_at=filetime(integer(raw, "lastlogontimestamp")),
        password_changed_at=filetime(pwd_last_set),
        locked_at=lockout_time if locked else None,
        attributes=attributes,
    )


@dataclass(frozen=True)
class Group:
    """A group as the directory lists it."""

    dn: str
    name: str
    members: frozenset[str]  # normalized DNs of member accounts or groups
    member_uids: frozenset[str]  # posixGroup memberUid values
    member_of: frozenset[str]  # normalized DNs of groups this group is in (AD, memberof overlay)
    group_type: int | None = None  # AD groupType (signed 32-bit as AD sends it), None elsewhere
    sid: str | None = None  # AD objectSid as S-1-5-21-..., None elsewhere

    @property
    def carries_psos(self) -> bool:
        """Whether a PSO linked to this group applies to its members (AD: global security groups only)."""
        if self.group_type is None:
            return True
        unsigned = self.group_type & 0xFFFFFFFF
        return bool(unsigned & GROUP_TYPE_SECURITY) and bool(unsigned & GROUP_TYPE_GLOBAL)


def transform_group(entry: Entry) -> Group:
    """A group entry (groupOfNames, groupOfUniqueNames, posixGroup or AD group)."""
    raw = entry.attributes
    members = {normalize_dn(m) for m in texts(raw, "member")}
    # uniqueMember may carry "#'0101'B" (a UID suffix); the DN is before it.
    members |= {normalize_dn(m.split("#", 1)[0]) for m in texts(raw, "uniquemember")}
    return Group(
        dn=entry.dn,
        name=text(raw, "cn") or text(raw, "samaccountname") or entry.dn,
        members=frozenset(members),
        member_uids=frozenset(texts(raw, "memberuid")),
        member_of=frozenset(normalize_dn(g) for g in texts(raw, "memberof")),
        group_type=integer(raw, "grouptype"),
        sid=sid_value(raw, "objectsid"),
    )


def transform_grants(accounts: Iterable[tuple[PrincipalRecord, Entry]], groups: Iterable[Group],
                     privileged_groups: Iterable[str]) -> list[GrantRecord]:
    """Every account's group memberships, direct and nested, as ``directory_group`` grants."""
    by_dn = {normalize_dn(g.dn): g for g in groups}
    privileged = {normalize_dn(dn) for dn in privileged_groups}
    privileged_names = {dn.lower() for dn in privileged_groups if "=" not in dn}
    parents: dict[str, set[str]] = {}
    for key, group in by_dn.items():
        for member in group.members:
            if member in by_dn:
                parents.setdefault(member, set()).add(key)
        for container in group.member_of:
            parents.setdefault(key, set()).add(container)
    by_uid: dict[str, set[str]] = {}
    for key, group in by_dn.items():
        for uid in group.member_uids:
            by_uid.setdefault(uid, set()).add(key)
    by_sid = {group.sid: key for key, group in by_dn.items() if group.sid}
    member_index: dict[str, set[str]] = {}
    for key, group in by_dn.items():
        for member in group.members:
            member_index.setdefault(member, set()).add(key)

    grants: list[GrantRecord] = []
    for principal, entry in accounts:
        account_key = normalize_dn(principal.external_id)
        direct: dict[str, list[str]] = {}
        for group_key in member_index.get(account_key, ()):
            direct.setdefault(group_key, []).append("member")
        for group_key in by_uid.get(principal.name, ()):
            direct.setdefault(group_key, []).append("memberUid")
        for value in texts(entry.attributes, "memberof"):
            direct.setdefault(normalize_dn(value), []).append("memberOf")
        primary = primary_group_sid(sid_value(entry.attributes, "objectsid"),
                                    integer(entry.attributes, "primarygroupid"))
        if primary in by_sid:
            direct.setdefault(by_sid[primary], []).append("primaryGroupID")
        # Follow nesting breadth-first; remember through which group each inherited membership comes.
        via: dict[str, str | None] = dict.fromkeys(direct)
        queue = list(direct)
        while queue:
            current = queue.pop(0)
            for parent in parents.get(current, ()):
                if parent not in via:
                    via[parent] = current
                    queue.append(parent)
        for group_key, through in via.items():
            known = by_dn.get(group_key)
            name = known.dn if known else group_key
            label = known.name if known else first_rdn_value(group_key)
            document: dict[str, Any] = {"group": label, "sources": sorted(set(direct.get(group_key, [])))}
            if through is not None:
                document["nested_via"] = by_dn[through].dn if through in by_dn else through
            grants.append(GrantRecord(
                principal_external_id=principal.external_id,
                kind="directory_group",
                name=name,
                resource=label,
                is_admin=group_key in privileged or label.lower() in privileged_names,
                document=document,
            ))
    return grants


@dataclass
class Inventory:
    """What one inventory read: the principals, their grants, and how many entries of each kind."""

    principals: list[PrincipalRecord]
    grants: list[GrantRecord]
    accounts_read: int
    groups_read: int


@dataclass
class DirectoryEntries:
    """The account and group entries of a directory, as the server sent them."""

    accounts: list[Entry]
    groups: list[Entry]


def get_directory_entries(directory: Directory, base_dn: str, flavor: str) -> DirectoryEntries:
    """Every account and group under the base, read with paged searches."""
    if flavor == "active_directory":
        account_filter, account_attributes, group_filter = AD_ACCOUNTS, AD_ACCOUNT_ATTRIBUTES, AD_GROUPS
    else:
        account_filter, account_attributes, group_filter = OPENLDAP_ACCOUNTS, OPENLDAP_ACCOUNT_ATTRIBUTES, OPENLDAP_GROUPS
    accounts = list(directory.paged(base_dn, account_filter, account_attributes, "reading accounts"))
    groups = list(directory.paged(base_dn, group_filter, GROUP_ATTRIBUTES, "reading groups"))
    return DirectoryEntries(accounts, groups)


def transform_inventory(entries: DirectoryEntries, flavor: str, policies: PolicyBook,
                        privileged_groups: list[str], now: datetime) -> Inventory:
    """Principals and grants from the entries (pure)."""
    accounts: list[tuple[PrincipalRecord, Entry]] = []
    for entry in entries.accounts:
        if flavor == "active_directory":
            accounts.append((transform_ad_account(entry, policies.default, now), entry))
        else:
            accounts.append((transform_openldap_account(entry, policies, now), entry))
    groups = [transform_group(e) for e in entries.groups]
    grants = transform_grants(accounts, groups, privileged_groups)
    principals = [p for p, _ in accounts]
    if flavor == "active_directory":
        principals = with_effective_policy(accounts, groups, grants, policies, now)
    return Inventory(principals, grants, len(accounts), len(groups))


def with_effective_policy(accounts: list[tuple[PrincipalRecord, Entry]], groups: list[Group],
                          grants: list[GrantRecord], policies: PolicyBook, now: datetime) -> list[PrincipalRecord]:
    """AD accounts judged under the policy that governs each (a PSO, else the domain policy): the lock state
    follows that policy's lockout duration, and ``password_policy`` names it for the directory checks."""
    carrying = {normalize_dn(g.dn) for g in groups if g.carries_psos}
    read = {normalize_dn(g.dn) for g in groups}
    groups_of: dict[str, list[str]] = {}
    for grant in grants:
        key = normalize_dn(grant.name)
        if key in carrying or key not in read:  # a group outside the base (memberOf): its type is not known
            groups_of.setdefault(grant.principal_external_id, []).append(grant.name)
    updated = []
    for principal, entry in accounts:
        pso, via = effective_policy(principal.external_id, groups_of.get(principal.external_id, []),
                                    policies.password_settings)
        if pso is not None:
            principal = transform_ad_account(entry, pso.rule, now)
        attributes = dict(principal.attributes)
        attributes["password_policy"] = pso.subject if pso is not None else policies.default_subject
        attributes["password_policy_via"] = via
        if not policies.psos_readable:
            attributes["password_settings_unreadable"] = True
        updated.append(principal.model_copy(update={"attributes": attributes}))
    return updated


def get_inventory(directory: Directory, base_dn: str, flavor: str, policies: PolicyBook,
                  privileged_groups: list[str], now: datetime) -> Inventory:
    """Read every account and group under the base and transform them."""
    return transform_inventory(get_directory_entries(directory, base_dn, flavor), flavor, policies,
                               privileged_groups, now)


def with_last_use(principals: list[PrincipalRecord], last_binds: Mapping[str, datetime]) -> list[PrincipalRecord]:
    """Principals whose ``last_used_at`` is raised to the newest successful bind seen in the access logs."""
    updated = []
    for principal in principals:
        seen = last_binds.get(normalize_dn(principal.external_id))
        if seen is not None and (principal.last_used_at is None or seen > principal.last_used_at):
            principal = principal.model_copy(update={"last_used_at": seen})
        updated.append(principal)
    return updated
