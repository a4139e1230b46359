"""Password policy for control 3.2.2: OpenLDAP ppolicy entries, the Active Directory domain policy and AD's
fine-grained password policies (password settings objects, PSOs).

Both are normalized to the same keys so a check need not know the flavor:
``max_failure`` (failures before lockout, 0 = unlimited), ``lockout`` (accounts really get locked),
``lockout_duration_s`` (0 = until an administrator unlocks), ``max_age_days`` (``None`` = never expires),
``min_length``, ``history``; the raw attribute values are kept under ``raw``.

A PSO (``msDS-PasswordSettings`` in ``CN=Password Settings Container,CN=System,<domain>``) also carries its
``precedence`` and ``applies_to`` (``msDS-PSOAppliesTo``: users and groups). Which policy governs an account is
resolved as AD resolves ``msDS-ResultantPSO`` (:func:`effective_policy`): a PSO linked to the user beats any
linked to its groups; among several, the lowest precedence wins (then the lowest objectGUID); with none, the
domain policy. AD shows PSOs to administrators only: a container the service account cannot read is reported
on the run (:class:`PasswordSettingsRead`), never taken for "no PSOs".

An OpenLDAP account is governed by the policy its ``pwdPolicySubentry`` names, else by the ppolicy overlay's
default (``olcPPolicyDefault``). The default lives in ``cn=config``, which a service account can seldom read
(:func:`get_ppolicy_default` tries, and says ``None`` when it cannot): then which policy governs an account
without ``pwdPolicySubentry`` is not known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.ldap.connection import Directory, Entry
from connectors.ldap.values import ad_interval_seconds, boolean, integer, text, texts
from vendorwatch.dn import canonical_dn
from vendorwatch.errors import SourceError, VendorWatchError
from vendorwatch.records import SettingRecord

PPOLICY_KIND = "ldap.ppolicy"
AD_POLICY_KIND = "ad.domain_policy"
PSO_KIND = "ad.password_settings"
PSO_CONTAINER = "CN=Password Settings Container,CN=System,{base}"
PSO_ATTRIBUTES = [
    "cn", "objectGUID", "msDS-PasswordSettingsPrecedence", "msDS-MinimumPasswordLength",
    "msDS-PasswordComplexityEnabled", "msDS-PasswordHistoryLength", "msDS-LockoutThreshold", "msDS-LockoutDuration",
    "msDS-LockoutObservationWindow", "msDS-MaximumPasswordAge", "msDS-MinimumPasswordAge",
    "msDS-PasswordReversibleEncryptionEnabled", "msDS-PSOAppliesTo",
]
PPOLICY_CONFIG_FILTER = "(|(objectClass=olcPPolicyConfig)(objectClass=olcDatabaseConfig))"
PPOLICY_ATTRIBUTES = [
    "cn", "pwdAttribute", "pwdMaxFailure", "pwdLockout", "pwdLockoutDuration", "pwdMaxAge", "pwdMinAge",
    "pwdMinLength", "pwdInHistory", "pwdFailureCountInterval", "pwdCheckQuality", "pwdMustChange",
    "pwdGraceAuthNLimit", "pwdExpireWarning", "pwdAllowUserChange", "pwdSafeModify",
]
AD_POLICY_ATTRIBUTES = [
    "lockoutThreshold", "lockoutDuration", "lockOutObservationWindow", "maxPwdAge", "minPwdAge", "minPwdLength",
    "pwdHistoryLength", "pwdProperties",
]
_DAY = 86400


@dataclass(frozen=True)
class LockoutRule:
    """What an account's lock means: how long it lasts (``None`` = until an administrator unlocks)."""

    duration_s: float | None
    password_never_expires: bool | None


def _raw(entry: Entry, names: Sequence[str]) -> dict[str, str]:
    return {name: value for name in names if (value := text(entry.attributes, name.lower())) is not None}


def transform_ppolicy(entry: Entry) -> SettingRecord:
    """One ``pwdPolicy`` entry as a normalized ``ldap.ppolicy`` setting."""
    attributes = entry.attributes
    max_failure = integer(attributes, "pwdmaxfailure") or 0
    lockout_flag = bool(boolean(attributes, "pwdlockout"))
    max_age = integer(attributes, "pwdmaxage") or 0
    data = {
        "present": True,
        "max_failure": max_failure,
        # ppolicy locks only with pwdLockout TRUE *and* a failure limit; either alone does nothing.
        "lockout": lockout_flag and max_failure > 0,
        "lockout_duration_s": integer(attributes, "pwdlockoutduration") or 0,
        "failure_count_interval_s": integer(attributes, "pwdfailurecountinterval") or 0,
        "max_age_days": round(max_age / _DAY, 3) if max_age > 0 else None,
        "min_length": integer(attributes, "pwdminlength") or 0,
        "history": integer(attributes, "pwdinhistory") or 0,
        "must_change_after_reset": bool(boolean(attributes, "pwdmustchange")),
        "raw": _raw(entry, PPOLICY_ATTRIBUTES),
    }
    return SettingRecord(kind=PPOLICY_KIND, subject=entry.dn, data=data)


def missing_ppolicy(base_dn: str) -> SettingRecord:
    """No policy entry could be read under the base: recorded so that "no lockout policy" is visible."""
    return SettingRecord(kind=PPOLICY_KIND, subject=base_dn, data={
        "present": False, "max_failure": 0, "lockout": False, "lockout_duration_s": 0, "max_age_days": None,
        "min_length": 0, "history": 0, "raw": {},
        "note": "no pwdPolicy entry readable under the base DN / ベース DN 配下に参照可能なパスワードポリシーがありません",
    })


def transform_ad_policy(entry: Entry) -> SettingRecord:
    """The domain object's password and lockout attributes as a normalized ``ad.domain_policy`` setting."""
    attributes = entry.attributes
    threshold = integer(attributes, "lockoutthreshold") or 0
    max_age = ad_interval_seconds(integer(attributes, "maxpwdage"))
    duration = ad_interval_seconds(integer(attributes, "lockoutduration"))
    window = ad_interval_seconds(integer(attributes, "lockoutobservationwindow"))
    properties = integer(attributes, "pwdproperties") or 0
    data = {
        **_lockout_and_age(threshold, duration, window, max_age),
        "min_length": integer(attributes, "minpwdlength") or 0,
        "history": integer(attributes, "pwdhistorylength") or 0,
        "complexity": bool(properties & 0x1),
        "raw": _raw(entry, AD_POLICY_ATTRIBUTES),
    }
    return SettingRecord(kind=AD_POLICY_KIND, subject=entry.dn, data=data)


def _lockout_and_age(threshold: int, duration: float | None, window: float | None,
                     max_age: float | None) -> dict[str, Any]:
    """The keys the domain policy and a password settings object share, from AD's values in seconds."""
    return {
        "present": True,
        "max_failure": threshold,
        "lockout": threshold > 0,
        "lockout_duration_s": int(duration) if duration is not None else 0,
        "failure_count_interval_s": int(window) if window is not None else 0,
        "max_age_days": round(max_age / _DAY, 3) if max_age is not None else None,
    }


def transform_pso(entry: Entry) -> SettingRecord:
    """One password settings object as a normalized ``ad.password_settings`` setting (same keys as the domain's)."""
    attributes = entry.attributes
    threshold = integer(attributes, "msds-lockoutthreshold") or 0
    max_age = ad_interval_seconds(integer(attributes, "msds-maximumpasswordage"))
    duration = ad_interval_seconds(integer(attributes, "msds-lockoutduration"))
    window = ad_interval_seconds(integer(attributes, "msds-lockoutobservationwindow"))
    guid = (attributes.get("objectguid") or [b""])[0]
    data = {
        **_lockout_and_age(threshold, duration, window, max_age),
        "min_length": integer(attributes, "msds-minimumpasswordlength") or 0,
        "history": integer(attributes, "msds-passwordhistorylength") or 0,
        "complexity": bool(boolean(attributes, "msds-passwordcomplexityenabled")),
        "reversible_encryption": bool(boolean(attributes, "msds-passwordreversibleencryptionenabled")),
        "precedence": integer(attributes, "msds-passwordsettingsprecedence"),
        "applies_to": texts(attributes, "msds-psoappliesto"),
        "guid": guid.hex() if isinstance(guid, bytes | bytearray) else str(guid),
        "raw": {k: v for k, v in _raw(entry, PSO_ATTRIBUTES).items() if k not in {"objectGUID", "msDS-PSOAppliesTo"}},
    }
    return SettingRecord(kind=PSO_KIND, subject=entry.dn, data=data)


@dataclass
class PasswordSettingsRead:
    """What reading the PSO container gave: its PSO entries, or why it could not be read."""

    entries: list[Entry] = field(default_factory=list)
    readable: bool = True
    details: list[str] = field(default_factory=list)


def get_pso_entries(directory: Directory, base_dn: str) -> PasswordSettingsRead:
    """The PSOs of the domain. AD hides the container's PSOs from accounts without rights on them (by default
    only Domain Admins read them): a container that is absent or refused is said so, not taken as empty."""
    container = PSO_CONTAINER.format(base=base_dn)
    doing = "reading password settings objects"
    try:
        if directory.read(container, ["objectClass"], doing) is None:
            return PasswordSettingsRead(readable=False, details=[f"{container}: noSuchObject"])
        return PasswordSettingsRead(directory.search(container, "(objectClass=msDS-PasswordSettings)",
                                                     PSO_ATTRIBUTES, doing))
    except SourceError as error:
        return PasswordSettingsRead(readable=False, details=[error.message.en, *error.details])


@dataclass(frozen=True)
class PasswordSettings:
    """A PSO as :func:`effective_policy` needs it: whom it names (canonical DNs), its order, its lock rule."""

    subject: str
    precedence: int
    guid: str
    applies_to: frozenset[str]
    rule: LockoutRule


def password_settings(settings: Iterable[SettingRecord]) -> list[PasswordSettings]:
    """The PSO settings among ``settings``, ready for resolution."""
    found = []
    for setting in settings:
        if setting.kind != PSO_KIND or not setting.data.get("present"):
            continue
        precedence = setting.data.get("precedence")
        found.append(PasswordSettings(
            subject=setting.subject,
            # A PSO without a precedence is invalid for AD; it would never win.
            precedence=int(precedence) if precedence is not None else 2**31,
            guid=str(setting.data.get("guid") or ""),
            applies_to=frozenset(canonical_dn(dn) for dn in setting.data.get("applies_to") or []),
            rule=lockout_rule(setting),
        ))
    return found


def effective_policy(account_dn: str, group_dns: Iterable[str],
                     psos: Sequence[PasswordSettings]) -> tuple[PasswordSettings | None, str]:
    """The PSO that governs an account, as AD computes ``msDS-ResultantPSO``, and how it was chosen.

    PSOs linked to the user itself come first; only if there is none do the PSOs linked to its (global
    security) groups, direct or nested, count; the lowest precedence wins, ties going to the lowest objectGUID.
    ``(None, "domain")`` when no PSO applies: the domain policy governs.
    """
    account = canonical_dn(account_dn)
    direct = [p for p in psos if account in p.applies_to]
    if direct:
        return min(direct, key=lambda p: (p.precedence, p.guid, canonical_dn(p.subject))), "user"
    groups = {canonical_dn(g) for g in group_dns}
    through_groups = [p for p in psos if p.applies_to & groups]
    if through_groups:
        return min(through_groups, key=lambda p: (p.precedence, p.guid, canonical_dn(p.subject))), "group"
    return None, "domain"


def lockout_rule(setting: SettingRecord | None) -> LockoutRule:
    """How long a lock lasts and whether passwords expire, under one policy (unknown policy: lock lasts)."""
    if setting is None or not setting.data.get("present"):
        return LockoutRule(duration_s=None, password_never_expires=None)
    duration = setting.data.get("lockout_duration_s") or 0
    return LockoutRule(duration_s=float(duration) if duration else None,
                       password_never_expires=setting.data.get("max_age_days") is None)


def get_ppolicy_entries(directory: Directory, base_dn: str) -> list[Entry]:
    """Every readable ``pwdPolicy`` entry under the base."""
    return directory.search(base_dn, "(objectClass=pwdPolicy)", PPOLICY_ATTRIBUTES, "reading ppolicy")


def transform_ppolicies(entries: list[Entry], base_dn: str) -> list[SettingRecord]:
    """One setting per ``pwdPolicy`` entry (a "missing" record when there is none)."""
    return [transform_ppolicy(e) for e in entries] or [missing_ppolicy(base_dn)]


def get_ppolicy_default(directory: Directory, base_dn: str) -> str | None:
    """The DN of the ppolicy overlay's default policy for the database holding ``base_dn``, read from
    ``cn=config``; ``None`` when cn=config cannot be read (a service account usually may not) or names none."""
    try:
        entries = directory.search("cn=config", PPOLICY_CONFIG_FILTER, ["olcPPolicyDefault", "olcSuffix"],
                                   "reading the ppolicy default (cn=config)")
    except VendorWatchError:
        return None
    return ppolicy_default(entries, base_dn)


def ppolicy_default(entries: Iterable[Entry], base_dn: str) -> str | None:
    """``olcPPolicyDefault`` of the ppolicy overlay on the database whose suffix holds ``base_dn`` (pure)."""
    entries = list(entries)
    suffixes = {canonical_dn(e.dn): [canonical_dn(s) for s in texts(e.attributes, "olcsuffix")] for e in entries}
    base = canonical_dn(base_dn)
    for entry in entries:
        default = text(entry.attributes, "olcppolicydefault")
        if not default:
            continue
        database = entry.dn.split(",", 1)[1] if "," in entry.dn else ""  # olcOverlay={0}ppolicy,olcDatabase=...
        if any(base == s or base.endswith("," + s) for s in suffixes.get(canonical_dn(database), [])):
            return default
    return None


def get_ppolicies(directory: Directory, base_dn: str) -> list[SettingRecord]:
    """Every readable ``pwdPolicy`` entry under the base, as settings."""
    return transform_ppolicies(get_ppolicy_entries(directory, base_dn), base_dn)


def get_ad_policy_entry(directory: Directory, base_dn: str) -> Entry | None:
    """The domain object at the base DN, with its password policy attributes."""
    return directory.read(base_dn, AD_POLICY_ATTRIBUTES, "reading the domain password policy")


def transform_ad_policies(entry: Entry | None, base_dn: str) -> list[SettingRecord]:
    """The domain policy as one setting (a "not present" one when the entry holds no policy)."""
    if entry is None or not any(name.lower() in entry.attributes for name in AD_POLICY_ATTRIBUTES):
        return [SettingRecord(kind=AD_POLICY_KIND, subject=base_dn, data={
            "present": False, "max_failure": 0, "lockout": False, "lockout_duration_s": 0, "max_age_days": None,
            "min_length": 0, "history": 0, "raw": {},
            "note": "the base DN is not a domain object, or its policy attributes are not readable / "
                    "ベース DN がドメインでないか、ポリシー属性を参照できません",
        })]
    return [transform_ad_policy(entry)]


def get_ad_policy(directory: Directory, base_dn: str) -> list[SettingRecord]:
    """The domain policy, read from the domain object at the base DN, as settings."""
    return transform_ad_policies(get_ad_policy_entry(directory, base_dn), base_dn)
