"""Turn one CloudTrail record (a dict as CloudTrail writes it) into an ``AccessEventRecord``. Pure.

The checks read these columns as SQL, so the normalization has to be the same whichever way the record
came in (S3 delivery, LookupEvents, an exported file):

- ``principal`` is an ARN: the IAM user, the assumed-role *session* (with the role in ``session_issuer``),
  the root, the federated user; for an AWS service, the service's name (``ec2.amazonaws.com``).
- ``bucket``/``object_key``/``resource``: the S3 object, else the snapshot or image, else the first ARN
  in ``resources``.
- ``target_account``: the outside account a resource is shared with (snapshot, AMI, RDS snapshot) or
  whose role is assumed.
- ``details`` stays small: only the request parameters a check needs (copy source, added accounts,
  event selectors, trail name, role ARN, ...).

This function runs once per event, a million times in the benchmark: it avoids work for the common case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vendorwatch.records import AccessEventRecord


class RecordError(ValueError):
    """A record that cannot be stored (a field it needs is missing or wrong); ``str()`` is the reason."""


_KINDS = {
    "IAMUser": "iam_user",
    "AssumedRole": "assumed_role",
    "Root": "root",
    "AWSService": "aws_service",
    "FederatedUser": "federated_user",
    "AWSAccount": "aws_account",
    "IdentityCenterUser": "identity_center_user",
    "WebIdentityUser": "web_identity_user",
    "SAMLUser": "saml_user",
}

# Event names whose request parameters the checks need; everything else gets no details at all.
_SHARING = {"ModifySnapshotAttribute", "ModifyImageAttribute", "ModifyDBSnapshotAttribute",
            "ModifyDBClusterSnapshotAttribute"}
_COPY = {"CopyObject", "UploadPartCopy"}
_TRAIL = {"StopLogging", "StartLogging", "DeleteTrail", "CreateTrail", "UpdateTrail", "PutEventSelectors",
          "PutInsightSelectors"}
_ASSUME = {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"}
_IAM_SUBJECT = {"CreateUser", "DeleteUser", "CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey",
                "CreateLoginProfile", "UpdateLoginProfile", "AttachUserPolicy", "PutUserPolicy",
                "AddUserToGroup", "DeactivateMFADevice", "DeleteVirtualMFADevice", "AttachRolePolicy",
                "PutRolePolicy", "UpdateAssumeRolePolicy", "CreateRole", "AttachGroupPolicy", "PutGroupPolicy"}

_time_cache: dict[str, datetime] = {}


def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from CloudTrail's ``2023-07-10T11:54:42Z`` (or ``...000Z``, or an offset)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise RecordError(f"eventTime is not a time: {value!r}"[:200])
    # Events of one file share a handful of seconds: caching the parse is cheaper than redoing it.
    cached = _time_cache.get(value)
    if cached is not None:
        return cached
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"eventTime is not an ISO 8601 time: {value!r}"[:200]) from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if len(_time_cache) > 4096:
        _time_cache.clear()
    _time_cache[value] = parsed
    return parsed


def _principal(identity: dict[str, Any]) -> tuple[str | None, str | None, str | None, bool | None]:
    """(principal, kind, session issuer, mfaAuthenticated) of a ``userIdentity``."""
    kind_name = identity.get("type")
    arn = identity.get("arn")
    issuer: str | None = None
    mfa: bool | None = None
    context = identity.get("sessionContext")
    if context:
        attributes = context.get("attributes")
        if attributes:
            flag = attributes.get("mfaAuthenticated")
            if flag is not None:
                mfa = str(flag).lower() == "true"
        session_issuer = context.get("sessionIssuer")
        if session_issuer:
            issuer = session_issuer.get("arn")
    if kind_name is None:
        # Service-initiated events (e.g. SharedSnapshotVolumeCreated) carry only invokedBy / accountId.
        invoked_by = identity.get("invokedBy")
        if invoked_by:
            return invoked_by, "aws_service", None, mfa
        return arn or identity.get("principalId") or identity.get("accountId"), "other", issuer, mfa
    kind = _KINDS.get(kind_name, "other")
    if kind == "aws_service":
        return identity.get("invokedBy") or arn, kind, None, mfa
    if kind == "root" and not arn and identity.get("accountId"):
        arn = f"arn:aws:iam::{identity['accountId']}:root"
    if kind == "aws_account":
        return arn or identity.get("accountId") or identity.get("principalId"), kind, issuer, mfa
    return arn or identity.get("principalId") or identity.get("userName"), kind, issuer, mfa


def _added_accounts(name: str, params: dict[str, Any]) -> list[str]:
    """Accounts (or ``all`` for public) a snapshot, image or DB snapshot is shared with by this call."""
    if name == "ModifySnapshotAttribute":
        permission = params.get("createVolumePermission") or {}
    elif name == "ModifyImageAttribute":
        permission = params.get("launchPermission") or {}
    else:
        values = params.get("valuesToAdd") or []
        return [str(v) for v in values]
    add = permission.get("add") or {}
    items = (add.get("items") or []) if isinstance(add, dict) else add
    accounts: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("userId"):
            accounts.append(str(item["userId"]))
        elif item.get("group"):
            accounts.append(str(item["group"]))
    return accounts


def _account_of_arn(arn: Any) -> str | None:
    if isinstance(arn, str):
        parts = arn.split(":", 5)
        if len(parts) >= 5 and parts[4]:
            return parts[4]
    return None


def _details(name: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """(details, target account, resource) for the event names the checks look into."""
    if name in _SHARING:
        accounts = _added_accounts(name, params)
        resource_id = (params.get("snapshotId") or params.get("imageId") or params.get("dBSnapshotIdentifier")
                       or params.get("dBClusterSnapshotIdentifier"))
        details: dict[str, Any] = {"added_accounts": accounts}
        if resource_id:
            details["snapshot_id" if name != "ModifyImageAttribute" else "image_id"] = resource_id
        removed = params.get("valuesToRemove")
        if removed:
            details["removed_accounts"] = removed
        return details, (accounts[0] if accounts else None), resource_id
    if name in _COPY:
        source = params.get("x-amz-copy-source") or params.get("copySource")
        return ({"copy_source": source} if source else None), None, None
    if name in _TRAIL:
        trail = params.get("name") or params.get("trailName")
        details = {"trail_name": trail} if trail else {}
        if name == "PutEventSelectors":
            details["event_selectors"] = params.get("eventSelectors")
            if params.get("advancedEventSelectors") is not None:
                details["advanced_event_selectors"] = params.get("advancedEventSelectors")
        return details or None, None, trail
    if name in _ASSUME:
        role = params.get("roleArn")
        details = {"role_arn": role, "role_session_name": params.get("roleSessionName")}
        if params.get("externalId"):
            details["external_id_given"] = True  # never the value: an external id is a shared secret
        return details, _account_of_arn(role), role
    if name in _IAM_SUBJECT:
        details = {k: params[k] for k in ("userName", "roleName", "groupName", "policyArn", "policyName")
                   if params.get(k)}
        return details or None, None, None
    return None, None, None


def parse_record(record: dict[str, Any]) -> AccessEventRecord:
    """Normalize one CloudTrail record; ``RecordError`` says why a record cannot be stored."""
    event_id = record.get("eventID")
    if not event_id or not isinstance(event_id, str):
        raise RecordError("missing eventID")
    name = record.get("eventName")
    if not name or not isinstance(name, str):
        raise RecordError("missing eventName")
    when = record.get("eventTime") or record.get("@timestamp")
    if not when:
        raise RecordError("missing eventTime (and @timestamp)")
    event_time = parse_time(when)

    identity = record.get("userIdentity")
    if identity is None:
        principal = kind = issuer = None
        mfa: bool | None = None
        key_id = None
        identity_account = None
    elif isinstance(identity, dict):
        principal, kind, issuer, mfa = _principal(identity)
        key_id = identity.get("accessKeyId") or None
        identity_account = identity.get("accountId")
    else:
        raise RecordError("userIdentity is not an object")

    extra = record.get("additionalEventData")
    if extra and isinstance(extra, dict):
        mfa_used = extra.get("MFAUsed")
        if mfa_used is not None:
            mfa = str(mfa_used).lower() in ("yes", "true")

    error_code = record.get("errorCode")
    outcome = "failure" if error_code else "success"
    if name == "ConsoleLogin":
        response = record.get("responseElements")
        if isinstance(response, dict) and response.get("ConsoleLogin") == "Failure":
            outcome = "failure"
            error_code = error_code or record.get("errorMessage") or "Failure"

    params = record.get("requestParameters")
    bucket = object_key = resource = target = None
    details: dict[str, Any] | None = None
    if params and isinstance(params, dict):
        bucket = params.get("bucketName")
        if bucket is not None:
            bucket = str(bucket)
            object_key = params.get("key")
            resource = f"arn:aws:s3:::{bucket}/{object_key}" if object_key else f"arn:aws:s3:::{bucket}"
        details, target, named = _details(name, params)
        if resource is None and named:
            resource = str(named)
    if resource is None:
        resources = record.get("resources")
        if resources and isinstance(resources, list) and isinstance(resources[0], dict):
            resource = resources[0].get("ARN")
    account = record.get("recipientAccountId") or identity_account
    if target is not None and target == account:
        target = None  # sharing with or assuming into the same account is not cross-account
    return AccessEventRecord(
        source_event_id=event_id,
        event_time=event_time,
        action=name,
        principal=principal,
        principal_kind=kind,
        access_key_id=key_id,
        session_issuer=issuer,
        service=record.get("eventSource"),
        resource=resource,
        bucket=bucket,
        object_key=str(object_key) if object_key is not None else None,
        target_account=target,
        source_ip=record.get("sourceIPAddress"),
        user_agent=record.get("userAgent"),
        outcome=outcome,
        error_code=error_code,
        mfa_used=mfa,
        account_id=account,
        region=record.get("awsRegion"),
        details=details,
    )
