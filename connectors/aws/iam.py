"""IAM inventory: users, their MFA, keys, groups and policies; roles and who may assume them; the password
policy; the credential report and the root account.

``get_*`` call the API and return raw dicts, ``transform_*`` are pure (tested on captured payloads), the
loading is shared (``vendorwatch.ingest.inventory``). A failing API call is recorded and the kinds it
feeds are marked incomplete, so nothing is marked gone because it could not be listed.
"""

from __future__ import annotations

import csv
import io
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connectors.aws.errors import describe_error, error_code
from connectors.aws.session import AwsAccess
from vendorwatch.clock import as_utc
from vendorwatch.records import GrantRecord, PrincipalRecord, SettingRecord

_AUTHORIZATION_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
ADMIN_POLICY_NAMES = frozenset({"AdministratorAccess", "IAMFullAccess"})
_ADMIN_ACTIONS = frozenset({"*", "*:*", "iam:*", "sts:*", "organizations:*"})


# --- admin detection (pure) -------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def decode_document(document: Any) -> dict[str, Any]:
    """A policy document as a dict (IAM returns them URL-encoded JSON strings in some calls)."""
    import json

    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        text = urllib.parse.unquote(document) if document.lstrip().startswith("%7B") else document
        try:
            parsed = json.loads(text)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def is_admin_document(document: Any) -> bool:
    """Whether a policy allows administrative power: ``*`` on ``*``, ``iam:*``, or all-but (``NotAction``)."""
    for statement in _as_list(decode_document(document).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        resources = [str(r) for r in _as_list(statement.get("Resource"))]
        if "*" not in resources:
            continue
        actions = {str(a).lower() for a in _as_list(statement.get("Action"))}
        if actions & _ADMIN_ACTIONS:
            return True
        # Allow with NotAction on every resource grants everything except a few actions.
        if statement.get("NotAction") is not None:
            return True
    return False


def is_admin_policy(name: str, document: Any) -> bool:
    """Admin by AWS-managed name or by what the document allows."""
    return name in ADMIN_POLICY_NAMES or is_admin_document(document)


# --- get (API) --------------------------------------------------------------------------------------------


@dataclass
class IamSnapshot:
    """Everything the API returned; ``failed`` names the parts that could not be read and why."""

    account_id: str | None = None
    authorization: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    access_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    key_last_used: dict[str, dict[str, Any]] = field(default_factory=dict)
    mfa_devices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    managed_documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    password_policy: dict[str, Any] | None = None
    password_policy_missing: bool = False
    credential_report: list[dict[str, str]] | None = None
    account_summary: dict[str, int] | None = None
    failed: dict[str, str] = field(default_factory=dict)



def _guard(snapshot: IamSnapshot, part: str, action: Callable[[], None]) -> None:
    try:
        action()
    except (ClientError, BotoCoreError) as exc:
        snapshot.failed[part] = describe_error(exc)


def _iam(access: AwsAccess) -> Any:
    """The IAM client, asked for again inside each call: after a renewal it is a new one."""
    return access.client("iam")


def _get_identity(access: AwsAccess, snapshot: IamSnapshot) -> None:
    snapshot.account_id = access.call(lambda: access.client("sts").get_caller_identity()["Account"])


def _get_authorization(access: AwsAccess, snapshot: IamSnapshot) -> None:
    def read() -> dict[str, list[dict[str, Any]]]:
        merged: dict[str, list[dict[str, Any]]] = {name: [] for name in _AUTHORIZATION_LISTS}
        pages = _iam(access).get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Role", "Group", "LocalManagedPolicy"])
        for page in pages:
            for name, items in merged.items():
                items.extend(page.get(name, []))
        return merged

    snapshot.authorization = access.call(read)


def _get_access_keys(access: AwsAccess, snapshot: IamSnapshot, user: str) -> None:
    listed = access.call(lambda: [k for page in _iam(access).get_paginator("list_access_keys").paginate(UserName=user)
                                  for k in page["AccessKeyMetadata"]])
    snapshot.access_keys[user] = listed
    for key in listed:
        used = access.call(partial(_key_last_used, access, key["AccessKeyId"]))
        snapshot.key_last_used[key["AccessKeyId"]] = used.get("AccessKeyLastUsed", {})


def _get_mfa_devices(access: AwsAccess, snapshot: IamSnapshot, user: str) -> None:
    snapshot.mfa_devices[user] = access.call(
        lambda: [d for page in _iam(access).get_paginator("list_mfa_devices").paginate(UserName=user)
                 for d in page["MFADevices"]])


def _attached_aws_policies(snapshot: IamSnapshot) -> list[str]:
    """AWS-managed policies attached somewhere (local ones came with the authorization details)."""
    local = {p["Arn"] for p in snapshot.authorization.get("Policies", [])}
    attached = {
        policy["PolicyArn"]
        for kind in ("UserDetailList", "GroupDetailList", "RoleDetailList")
        for entity in snapshot.authorization.get(kind, [])
        for policy in entity.get("AttachedManagedPolicies", [])
    }
    return sorted(attached - local)


def _get_managed_document(access: AwsAccess, snapshot: IamSnapshot, arn: str) -> None:
    policy = access.call(lambda: _iam(access).get_policy(PolicyArn=arn)["Policy"])
    version = access.call(lambda: _iam(access).get_policy_version(
        PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"])
    snapshot.managed_documents[arn] = decode_document(version.get("Document"))


def _get_account_summary(access: AwsAccess, snapshot: IamSnapshot) -> None:
    snapshot.account_summary = access.call(lambda: _iam(access).get_account_summary()["SummaryMap"])


def _get_password_policy(access: AwsAccess, snapshot: IamSnapshot) -> None:
    try:
        snapshot.password_policy = access.call(lambda: _iam(access).get_account_password_policy()["PasswordPolicy"])
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        snapshot.password_policy_missing = True


def _get_report(access: AwsAccess, snapshot: IamSnapshot, sleep: Callable[[float], None]) -> None:
    snapshot.credential_report = parse_credential_report(get_credential_report(access, sleep))


def get_iam(access: AwsAccess, sleep: Callable[[float], None] = time.sleep) -> IamSnapshot:
    """Read the IAM inventory; each API that fails is noted in ``failed`` and the rest is read."""
    snapshot = IamSnapshot()
    _guard(snapshot, "sts:GetCallerIdentity", partial(_get_identity, access, snapshot))
    _guard(snapshot, "iam:GetAccountAuthorizationDetails", partial(_get_authorization, access, snapshot))
    for user in [u["UserName"] for u in snapshot.authorization.get("UserDetailList", [])]:
        _guard(snapshot, f"iam:ListAccessKeys {user}", partial(_get_access_keys, access, snapshot, user))
        _guard(snapshot, f"iam:ListMFADevices {user}", partial(_get_mfa_devices, access, snapshot, user))
    for arn in _attached_aws_policies(snapshot):
        _guard(snapshot, f"iam:GetPolicyVersion {arn}", partial(_get_managed_document, access, snapshot, arn))
    _guard(snapshot, "iam:GetAccountSummary", partial(_get_account_summary, access, snapshot))
    _guard(snapshot, "iam:GetAccountPasswordPolicy", partial(_get_password_policy, access, snapshot))
    _guard(snapshot, "iam:GetCredentialReport", partial(_get_report, access, snapshot, sleep))
    return snapshot


def _key_last_used(access: AwsAccess, key_id: str) -> dict[str, Any]:
    used: dict[str, Any] = access.client("iam").get_access_key_last_used(AccessKeyId=key_id)
    return used


def get_credential_report(access: AwsAccess, sleep: Callable[[float], None] = time.sleep,
                          attempts: int = 20) -> bytes:
    """Ask IAM to generate the credential report, wait until it is ready, and return the CSV."""
    iam = access.client("iam")
    for _ in range(attempts):
        state = access.call(lambda: iam.generate_credential_report()).get("State")
        if state == "COMPLETE":
            break
        sleep(2)
    content: bytes = access.call(lambda: iam.get_credential_report())["Content"]
    return content


def parse_credential_report(content: bytes | str) -> list[dict[str, str]]:
    """The credential report's rows as dicts (column name → value, as in the CSV)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return list(csv.DictReader(io.StringIO(text)))


# --- transform (pure) -------------------------------------------------------------------------------------


def _report_time(value: str | None) -> datetime | None:
    """A credential-report time (ISO 8601, or N/A and the like for none) in UTC; None when it is not a time."""
    if not value or value in ("N/A", "not_supported", "no_information"):
        return None
    try:
        return as_utc(value)
    except ValueError:
        return None


def _aware(value: Any) -> datetime | None:
    """A time from an IAM API answer (botocore gives datetimes, a replayed answer may hold strings) in UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        return _report_time(value)
    return None


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class TrustedParties:
    """Who a role's trust policy lets in."""

    accounts: list[str]
    outside_accounts: list[str]
    services: list[str]
    federated: list[str]
    external_id_required: bool


def trusted_parties(trust: Any, own_account: str | None) -> TrustedParties:
    """Who a role's trust policy lets in: accounts (outside ones apart), services, federated providers, and
    whether an external id is required."""
    accounts: list[str] = []
    services: list[str] = []
    federated: list[str] = []
    external_id_required = False
    for statement in _as_list(decode_document(trust).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            accounts.append("*")
        elif isinstance(principal, dict):
            for value in _as_list(principal.get("AWS")):
                text = str(value)
                account = text.split(":")[4] if text.startswith("arn:") and len(text.split(":")) > 4 else text
                accounts.append(account or text)
            services += [str(v) for v in _as_list(principal.get("Service"))]
            federated += [str(v) for v in _as_list(principal.get("Federated"))]
        condition = statement.get("Condition") or {}
        for operator in condition.values():
            if isinstance(operator, dict) and "sts:ExternalId" in operator:
                external_id_required = True
    outside = sorted({a for a in accounts if a != own_account})
    return TrustedParties(sorted(set(accounts)), outside, sorted(set(services)), sorted(set(federated)),
                          external_id_required)


@dataclass
class IamInventory:
    """The records to load, and which kinds were read completely."""

    principals: list[PrincipalRecord]
    grants: list[GrantRecord]
    settings: list[SettingRecord]
    complete_principal_kinds: frozenset[str]
    complete_grant_kinds: frozenset[str]
    complete_setting_kinds: frozenset[str]


def _policy_grants(principal: str, attached: Iterable[dict[str, Any]], inline: Iterable[dict[str, Any]],
                   documents: dict[str, dict[str, Any]], kind_prefix: str = "") -> list[GrantRecord]:
    grants: list[GrantRecord] = []
    for policy in attached:
        document = documents.get(policy["PolicyArn"])
        grants.append(GrantRecord(
            principal_external_id=principal, kind="group_policy" if kind_prefix else "managed_policy",
            name=f"{kind_prefix}{policy['PolicyName']}", resource=policy["PolicyArn"],
            is_admin=is_admin_policy(policy["PolicyName"], document), document=document))
    for policy in inline:
        document = decode_document(policy.get("PolicyDocument"))
        grants.append(GrantRecord(
            principal_external_id=principal, kind="group_policy" if kind_prefix else "inline_policy",
            name=f"{kind_prefix}{policy['PolicyName']}", is_admin=is_admin_document(document), document=document))
    return grants


def _documents(snapshot: IamSnapshot) -> dict[str, dict[str, Any]]:
    """Every policy document by ARN: the AWS-managed ones fetched, the local ones' default versions."""
    documents: dict[str, dict[str, Any]] = dict(snapshot.managed_documents)
    for policy in snapshot.authorization.get("Policies", []):
        default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
        if default is not None:
            documents[policy["Arn"]] = decode_document(default.get("Document"))
    return documents


def transform_users(snapshot: IamSnapshot,
                    documents: dict[str, dict[str, Any]]) -> tuple[list[PrincipalRecord], list[GrantRecord]]:
    """IAM users and their access keys as principals; their policies and groups as grants."""
    report = {row.get("arn", ""): row for row in snapshot.credential_report or []}
    groups = {g["GroupName"]: g for g in snapshot.authorization.get("GroupDetailList", [])}
    principals: list[PrincipalRecord] = []
    grants: list[GrantRecord] = []
    for user in snapshot.authorization.get("UserDetailList", []):
        arn, name = user["Arn"], user["UserName"]
        row = report.get(arn, {})
        keys = snapshot.access_keys.get(name, [])
        devices = snapshot.mfa_devices.get(name)
        mfa = (bool(devices) if devices is not None
               else (row.get("mfa_active") == "true" if row else None))
        key_uses = [_aware(snapshot.key_last_used.get(k["AccessKeyId"], {}).get("LastUsedDate")) for k in keys]
        password_last_used = _aware(user.get("PasswordLastUsed")) or _report_time(row.get("password_last_used"))
        principals.append(PrincipalRecord(
            external_id=arn, kind="iam_user", name=name, mfa_enabled=mfa,
            console_access=(row.get("password_enabled") == "true") if row else None,
            created_at=_aware(user.get("CreateDate")),
            last_used_at=_latest(password_last_used, *key_uses),
            password_changed_at=_report_time(row.get("password_last_changed")),
            attributes={"user_id": user.get("UserId"), "path": user.get("Path"),
                        "groups": list(user.get("GroupList", [])),
                        "mfa_devices": [d.get("SerialNumber") for d in devices or []],
                        "password_last_used": password_last_used.isoformat() if password_last_used else None,
                        "access_keys": [k["AccessKeyId"] for k in keys]},
        ))
        principals += [_access_key(snapshot, key, arn, name) for key in keys]
        grants += _policy_grants(arn, user.get("AttachedManagedPolicies", []), user.get("UserPolicyList", []),
                                 documents)
        for group_name in user.get("GroupList", []):
            grants += _group_grants(arn, group_name, groups.get(group_name, {}), documents)
    return principals, grants


def _access_key(snapshot: IamSnapshot, key: dict[str, Any], user_arn: str, user_name: str) -> PrincipalRecord:
    used = snapshot.key_last_used.get(key["AccessKeyId"], {})
    return PrincipalRecord(
        external_id=key["AccessKeyId"], kind="access_key", name=key["AccessKeyId"],
        parent_external_id=user_arn, disabled=key.get("Status") != "Active",
        created_at=_aware(key.get("CreateDate")), last_used_at=_aware(used.get("LastUsedDate")),
        attributes={"status": key.get("Status"), "user": user_name,
                    "last_used_service": used.get("ServiceName"), "last_used_region": used.get("Region")},
    )


def _group_grants(user_arn: str, group_name: str, group: dict[str, Any],
                  documents: dict[str, dict[str, Any]]) -> list[GrantRecord]:
    """A user's membership of a group (admin if a group policy is), then the group's policies."""
    group_grants = _policy_grants(user_arn, group.get("AttachedManagedPolicies", []),
                                  group.get("GroupPolicyList", []), documents, kind_prefix=f"{group_name}/")
    membership = GrantRecord(principal_external_id=user_arn, kind="group_membership", name=group_name,
                             resource=group.get("Arn"), is_admin=any(g.is_admin for g in group_grants))
    return [membership, *group_grants]


def transform_roles(snapshot: IamSnapshot,
                    documents: dict[str, dict[str, Any]]) -> tuple[list[PrincipalRecord], list[GrantRecord]]:
    """IAM roles as principals; who may assume them (trust) and their policies as grants."""
    principals: list[PrincipalRecord] = []
    grants: list[GrantRecord] = []
    for role in snapshot.authorization.get("RoleDetailList", []):
        arn, name = role["Arn"], role["RoleName"]
        trust = decode_document(role.get("AssumeRolePolicyDocument"))
        parties = trusted_parties(trust, snapshot.account_id)
        last = role.get("RoleLastUsed") or {}
        principals.append(PrincipalRecord(
            external_id=arn, kind="iam_role", name=name, created_at=_aware(role.get("CreateDate")),
            last_used_at=_aware(last.get("LastUsedDate")),
            attributes={"role_id": role.get("RoleId"), "path": role.get("Path"),
                        "trusted_outside_accounts": parties.outside_accounts,
                        "trusted_services": parties.services, "trusted_federated": parties.federated,
                        "external_id_required": parties.external_id_required,
                        "last_used_region": last.get("Region")},
        ))
        for party in parties.accounts + parties.services + parties.federated:
            grants.append(GrantRecord(principal_external_id=arn, kind="trust", name=party, resource=arn,
                                      document=trust))
        grants += _policy_grants(arn, role.get("AttachedManagedPolicies", []), role.get("RolePolicyList", []),
                                 documents)
    return principals, grants


def transform_root(snapshot: IamSnapshot) -> PrincipalRecord | None:
    """The root account, from its credential report row, else from the account summary (or ``None``)."""
    account = snapshot.account_id
    root_row = next((r for r in snapshot.credential_report or [] if r.get("user") == "<root_account>"), None)
    if root_row is not None:
        return PrincipalRecord(
            external_id=root_row.get("arn") or f"arn:aws:iam::{account}:root", kind="root", name="<root_account>",
            mfa_enabled=root_row.get("mfa_active") == "true",
            console_access=root_row.get("password_enabled") == "true",
            created_at=_report_time(root_row.get("user_creation_time")),
            last_used_at=_latest(_report_time(root_row.get("password_last_used")),
                                 _report_time(root_row.get("access_key_1_last_used_date")),
                                 _report_time(root_row.get("access_key_2_last_used_date"))),
            attributes={"access_key_1_active": root_row.get("access_key_1_active") == "true",
                        "access_key_2_active": root_row.get("access_key_2_active") == "true",
                        "has_access_keys": "true" in (root_row.get("access_key_1_active"),
                                                      root_row.get("access_key_2_active"))},
        )
    if snapshot.account_summary is not None and account:
        # No root row in the report (or no report): the account summary still says MFA and keys of root.
        summary = snapshot.account_summary
        return PrincipalRecord(
            external_id=f"arn:aws:iam::{account}:root", kind="root", name="<root_account>",
            mfa_enabled=summary.get("AccountMFAEnabled") == 1,
            attributes={"has_access_keys": summary.get("AccountAccessKeysPresent") == 1,
                        "from": "GetAccountSummary"},
        )
    return None


def transform_settings(snapshot: IamSnapshot) -> list[SettingRecord]:
    """The account's password policy (present or known to be missing) as a setting."""
    subject = snapshot.account_id or "account"
    if snapshot.password_policy is not None:
        return [SettingRecord(kind="aws.password_policy", subject=subject,
                              data={"present": True, **snapshot.password_policy})]
    if snapshot.password_policy_missing:
        return [SettingRecord(kind="aws.password_policy", subject=subject, data={"present": False})]
    return []


def _complete_kinds(snapshot: IamSnapshot, root_read: bool) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(principal, grant, setting) kinds read completely: only those are swept for what is gone."""
    failed = snapshot.failed
    details_ok = "iam:GetAccountAuthorizationDetails" not in failed
    keys_ok = details_ok and not any(part.startswith("iam:ListAccessKeys") for part in failed)
    principal_kinds = set()
    if details_ok:
        principal_kinds |= {"iam_user", "iam_role"}
    if keys_ok:
        principal_kinds.add("access_key")
    if root_read:
        principal_kinds.add("root")
    grant_kinds = ({"managed_policy", "inline_policy", "group_membership", "group_policy", "trust"}
                   if details_ok else set())
    setting_kinds = {"aws.password_policy"} if "iam:GetAccountPasswordPolicy" not in failed else set()
    return frozenset(principal_kinds), frozenset(grant_kinds), frozenset(setting_kinds)


def transform_iam(snapshot: IamSnapshot) -> IamInventory:
    """Principals, grants and settings from what the API returned: users, roles, root, settings."""
    documents = _documents(snapshot)
    users, user_grants = transform_users(snapshot, documents)
    roles, role_grants = transform_roles(snapshot, documents)
    root = transform_root(snapshot)
    principal_kinds, grant_kinds, setting_kinds = _complete_kinds(snapshot, root is not None)
    return IamInventory(users + roles + ([root] if root else []), user_grants + role_grants,
                        transform_settings(snapshot), principal_kinds, grant_kinds, setting_kinds)
