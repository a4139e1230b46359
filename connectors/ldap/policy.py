"""Password policy for control 3.2.2: OpenLDAP ppolicy entries and the Active Directory domain policy.

Both are normalized to the same keys so a check need not know the flavor:
``max_failure`` (failures before lockout, 0 = unlimited), ``lockout`` (accounts really get locked),
``lockout_duration_s`` (0 = until an administrator unlocks), ``max_age_days`` (``None`` = never expires),
``min_length``, ``history``; the raw attribute values are kept under ``raw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.ldap.connection import Directory, Entry
from connectors.ldap.values import ad_interval_seconds, boolean, integer, text
from vendorwatch.records import SettingRecord

PPOLICY_KIND = "ldap.ppolicy"
AD_POLICY_KIND = "ad.domain_policy"
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
        "present": True,
        "max_failure": threshold,
        "lockout": threshold > 0,
        "lockout_duration_s": int(duration) if duration is not None else 0,
        "failure_count_interval_s": int(window) if window is not None else 0,
        "max_age_days": round(max_age / _DAY, 3) if max_age is not None else None,
        "min_length": integer(attributes, "minpwdlength") or 0,
        "history": integer(attributes, "pwdhistorylength") or 0,
        "complexity": bool(properties & 0x1),
        "raw": _raw(entry, AD_POLICY_ATTRIBUTES),
    }
    return SettingRecord(kind=AD_POLICY_KIND, subject=entry.dn, data=data)


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
