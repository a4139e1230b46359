"""Hand-made demo records with realistic incidents, next to the real recordings of shared/datasets/.

Each record tells a small story a vendor manager will recognise; the comments say which finding it gives
(or, for the legitimate ones, which finding it must not give).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vendorwatch.clock import as_utc
from vendorwatch.records import AccessEventRecord, GrantRecord, PrincipalRecord, SettingRecord

PROD = "123456789123"
DEV = "123837392027"
CUSTOMER_BUCKET = "mordors3stack-s3bucket-llp2yingx64a"
DEV_BUCKET = "tradesys-dev-testdata"
PEDRO = f"arn:aws:iam::{PROD}:user/pedro"
KOBAYASHI = f"arn:aws:iam::{DEV}:user/kobayashi.ken"
YOSHIDA = f"arn:aws:iam::{PROD}:user/opswatch-yoshida"
KYOYU = "uid=kyoyu,ou=people,dc=ccs,dc=example"
TAKAHASHI = "uid=takahashi.megumi,ou=people,dc=ccs,dc=example"


def _at(text: str) -> datetime:
    return as_utc(text)


def _event(event_id: str, when: str, action: str, principal: str, **fields: object) -> AccessEventRecord:
    fields.setdefault("principal_kind", "iam_user")
    fields.setdefault("source_ip", "203.0.113.24")
    return AccessEventRecord(source_event_id=f"demo-{event_id}", event_time=_at(when), action=action,
                             principal=principal, **fields)  # type: ignore[arg-type]


@dataclass
class DemoSource:
    """What the demo stores for one source."""

    source_id: str
    events: list[AccessEventRecord]
    principals: list[PrincipalRecord]
    grants: list[GrantRecord]
    settings: list[SettingRecord]


def production() -> DemoSource:
    """TradeSystems' production account."""
    s3 = {"service": "s3.amazonaws.com", "account_id": PROD, "user_agent": "aws-cli/2.13.0"}
    events = [
        # Approved: masked data copied to dev on 2023-07-10 11:30 JST, inside TR-2023-031. No finding.
        _event("copy-approved", "2023-07-10 02:30", "CopyObject", PEDRO, bucket=DEV_BUCKET,
               object_key="masked/orders-2023-06.csv", details={"copy_source": f"{CUSTOMER_BUCKET}/masked/orders-2023-06.csv"},
               **s3),
        # Not approved: raw customer data copied to dev at 20:40 JST, outside the window and the scope. 3.2.4.
        _event("copy-raw", "2023-07-10 11:40", "CopyObject", PEDRO, bucket=DEV_BUCKET,
               object_key="raw/customers.csv", details={"copy_source": f"{CUSTOMER_BUCKET}/raw/customers.csv"}, **s3),
        # Sunday 23:00 JST read of customer data from the office: outside the production hours. 3.2.3.
        _event("sunday-read", "2023-07-09 14:00", "GetObject", PEDRO, bucket=CUSTOMER_BUCKET,
               object_key="raw/customers.csv", **s3),
        # The sub-vendor's operator reads customer data with his own user, which tradesys never rostered. 3.2.5/3.2.3.
        _event("opswatch-read", "2023-07-10 01:15", "GetObject", YOSHIDA, bucket=CUSTOMER_BUCKET,
               object_key="raw/customers.csv", **s3),
    ]
    principals = [
        PrincipalRecord(external_id=PEDRO, kind="iam_user", name="pedro", console_access=True, mfa_enabled=True,
                        created_at=_at("2020-04-01 00:00"), last_used_at=_at("2023-07-10 11:40"),
                        password_changed_at=_at("2023-04-01 00:00")),
        PrincipalRecord(external_id="AKIADEMOPEDRO0000001", kind="access_key", name="AKIADEMOPEDRO0000001",
                        parent_external_id=PEDRO, created_at=_at("2022-01-05 00:00"), last_used_at=_at("2023-07-10 11:40")),
        # A shared console "admin" without MFA and without a named owner. 3.2.2 / 3.2.5.
        PrincipalRecord(external_id=f"arn:aws:iam::{PROD}:user/admin", kind="iam_user", name="admin",
                        console_access=True, mfa_enabled=False, created_at=_at("2021-01-01 00:00"),
                        last_used_at=_at("2023-07-01 00:00")),
        PrincipalRecord(external_id=f"arn:aws:iam::{PROD}:user/breakglass", kind="iam_user", name="breakglass",
                        console_access=True, mfa_enabled=True, created_at=_at("2021-01-01 00:00")),
    ]
    grants = [
        GrantRecord(principal_external_id=PEDRO, kind="managed_policy", name="AdministratorAccess", is_admin=True),
        # The declared break-glass account may hold admin rights: no finding.
        GrantRecord(principal_external_id=f"arn:aws:iam::{PROD}:user/breakglass", kind="managed_policy",
                    name="AdministratorAccess", is_admin=True),
    ]
    settings = [SettingRecord(kind="aws.password_policy", subject=PROD,
                              data={"MinimumPasswordLength": 8, "PasswordReusePrevention": 0, "RequireSymbols": False})]
    return DemoSource("tradesys-aws-prod", events, principals, grants, settings)


def development() -> DemoSource:
    """TradeSystems' development account (its CloudTrail comes from the invictus recording)."""
    events = [
        # Kobayashi left the assignment on 2023-06-30; his user is still used on 2023-07-05. 3.2.5 critical.
        _event("kobayashi", "2023-07-05 01:00", "GetObject", KOBAYASHI, bucket=DEV_BUCKET, account_id=DEV,
               source_ip="192.168.10.31", service="s3.amazonaws.com"),
    ]
    return DemoSource("tradesys-aws-dev", events, [], [], [])


def call_centre() -> DemoSource:
    """The call centre's Active Directory: a shared 'kyoyu' account and password guessing."""
    bind = {"principal_kind": "ad_account", "service": "ldap"}
    events = [
        _event(f"guess-{i}", f"2025-11-18 17:0{i}", "bind", TAKAHASHI, outcome="failure", error_code="invalidCredentials",
               source_ip="45.67.89.10", **bind)
        for i in range(6)
    ] + [
        # The generic 'kyoyu' (shared) account is used from the office and from another site at the same time.
        _event("kyoyu-office-1", "2025-11-19 01:00", "bind", KYOYU, source_ip="198.51.100.20", **bind),
        _event("kyoyu-other-1", "2025-11-19 01:10", "bind", KYOYU, source_ip="172.20.4.9", **bind),
        _event("kyoyu-office-2", "2025-11-19 01:20", "bind", KYOYU, source_ip="198.51.100.20", **bind),
        _event("kyoyu-other-2", "2025-11-19 01:30", "bind", KYOYU, source_ip="172.20.4.9", **bind),
        # Takahashi from the office at 10:00 and from home at 21:30 JST: one person, not sharing.
        _event("takahashi-office", "2025-11-19 01:00", "bind", TAKAHASHI, source_ip="198.51.100.21", **bind),
        _event("takahashi-home", "2025-11-19 12:30", "bind", TAKAHASHI, source_ip="100.64.3.3", **bind),
    ]
    principals = [
        PrincipalRecord(external_id=TAKAHASHI, kind="ad_account", name="takahashi.megumi",
                        created_at=_at("2025-10-01 00:00"), last_used_at=_at("2025-11-19 12:30")),
        PrincipalRecord(external_id=KYOYU, kind="ad_account", name="kyoyu", created_at=_at("2025-10-01 00:00"),
                        last_used_at=_at("2025-11-19 01:30")),
    ]
    settings = [SettingRecord(kind="ad.domain_policy", subject="DC=ccs,DC=example",
                              data={"lockout": False, "max_failure": 0, "min_length": 7, "max_age_days": 0})]
    return DemoSource("callcentre-ad", events, principals, [], settings)


def sources() -> list[DemoSource]:
    """Every demo source, in loading order."""
    return [production(), development(), call_centre()]
