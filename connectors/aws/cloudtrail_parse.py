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

``parse_record`` runs once per event, a million times in the ingest benchmark: it is written for the
common case (an IAM user or an assumed-role session calling an API) and falls back to the general
functions for the rest. docs/performance.md ("CloudTrail parser") gives the measurements behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson

from vendorwatch.i18n import Text, t
from vendorwatch.ingest.reading import Rejected
from vendorwatch.records import AccessEventRecord

if TYPE_CHECKING:
    from connectors.aws.cloudtrail_files import RecordProblem
    from vendorwatch.ingest.context import CollectContext
    from vendorwatch.ingest.tagging import RegistryIndex


class RecordError(ValueError):
    """A record that cannot be stored (a field it needs is missing or wrong).

    ``reason`` says why in Japanese and English; ``str()`` is the English.
    """

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


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



def parse_time(value: Any) -> datetime:
    """An aware UTC datetime from CloudTrail's ``2023-07-10T11:54:42Z`` (or ``...000Z``, or an offset)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        shown = repr(value)[:160]
        raise RecordError(t(f"eventTime が時刻ではありません: {shown}", f"eventTime is not a time: {shown}"))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        shown = repr(value)[:160]
        raise RecordError(t(f"eventTime が ISO 8601 の時刻ではありません: {shown}",
                            f"eventTime is not an ISO 8601 time: {shown}")) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class LastTime:
    """The ``eventTime`` text last parsed and its value, kept by whoever parses one file or stream.

    Events come in time order, several per second: the previous record's time is often this one's. Reusing
    it saves the parse, and hands the event writer the same ``datetime`` object, which it then converts
    once for all the events of that second.
    """

    __slots__ = ("latest", "text", "value")

    def __init__(self, latest: datetime | None = None) -> None:
        self.text: object = None
        self.value = datetime(1970, 1, 1, tzinfo=UTC)
        # The latest time an event may have: a day ahead of the clock (see ``check_window``).
        self.latest = latest if latest is not None else datetime.now(UTC) + FUTURE_SLACK


# CloudTrail began on 2013-11-13: no record is older. A time more than a day ahead of the clock is no event's
# either. Stored, such times raise false findings and break date arithmetic (9999-12-31 + 1 day).
EARLIEST = datetime(2013, 11, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


def check_window(event_time: datetime, latest: datetime) -> datetime:
    """``event_time`` if it lies between CloudTrail's start and ``latest``; ``RecordError`` otherwise."""
    if EARLIEST <= event_time <= latest:
        return event_time
    shown = event_time.isoformat()
    raise RecordError(t(f"eventTime {shown} はありえない時刻です（2013-11 以降、現在の 1 日後まで）",
                        f"eventTime {shown} is outside the possible times (from 2013-11 to a day ahead of now)"))


def _event_time(when: Any, last: LastTime) -> datetime:
    """The event's time, remembered in ``last``; CloudTrail's ``...Z`` is parsed here, other forms by
    ``parse_time``. Only a time within ``check_window`` is returned (and remembered)."""
    try:
        parsed: datetime | None = datetime.fromisoformat(when)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is not UTC:
        return check_window(parse_time(when), last.latest)  # other forms, or the reason a time is refused
    if not EARLIEST <= parsed <= last.latest:  # check_window, inline: this runs for nearly every event
        check_window(parsed, last.latest)
    last.text, last.value = when, parsed
    return parsed


def _principal(identity: dict[str, Any]) -> tuple[str | None, str | None, str | None, bool | None]:
    """(principal, kind, session issuer, mfaAuthenticated) of any ``userIdentity``: the general case."""
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
    if name in _ASSUME:  # by far the most frequent of these names: tested first
        role = params.get("roleArn")
        details: dict[str, Any] = {"role_arn": role, "role_session_name": params.get("roleSessionName")}
        if params.get("externalId"):
            details["external_id_given"] = True  # never the value: an external id is a shared secret
        return details, _account_of_arn(role), role
    if name in _SHARING:
        accounts = _added_accounts(name, params)
        resource_id = (params.get("snapshotId") or params.get("imageId") or params.get("dBSnapshotIdentifier")
                       or params.get("dBClusterSnapshotIdentifier"))
        details = {"added_accounts": accounts}
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
        if params.get("s3BucketName"):
            details["s3_bucket"] = params["s3BucketName"]  # the trail bucket (its lifecycle is watched)
        if name == "PutEventSelectors":
            details["event_selectors"] = params.get("eventSelectors")
            if params.get("advancedEventSelectors") is not None:
                details["advanced_event_selectors"] = params.get("advancedEventSelectors")
        return details or None, None, trail
    if name in _IAM_SUBJECT:
        details = {k: params[k] for k in _IAM_KEPT if params.get(k)}
        if name == "CreateRole" and params.get("assumeRolePolicyDocument"):
            details["assumeRolePolicyDocument"] = params["assumeRolePolicyDocument"]
        return details or None, None, None
    if name in _KEPT:
        return _kept(name, params)
    return None, None, None


# Request parameters kept as AWS records them, for the checks of resource policies, monitoring switched off
# and credentials (rare names; policy documents are kept whole, often a JSON string as CloudTrail writes it).
# The first parameter listed that is present names the resource when the event has no bucket.
_KEPT: dict[str, tuple[str, ...]] = {
    # resource policies and ACLs
    "PutBucketPolicy": ("bucketPolicy",),
    "PutBucketAcl": ("AccessControlPolicy", "x-amz-acl", "x-amz-grant-read", "x-amz-grant-write",
                     "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control"),
    "PutPublicAccessBlock": ("PublicAccessBlockConfiguration",),
    "DeletePublicAccessBlock": (),
    "PutAccountPublicAccessBlock": ("PublicAccessBlockConfiguration",),
    "DeleteAccountPublicAccessBlock": (),
    "PutKeyPolicy": ("keyId", "policy"),
    "CreateKey": ("policy",),
    "CreateGrant": ("keyId", "granteePrincipal", "operations", "retiringPrincipal"),
    "AddPermission20150331": ("functionName", "principal", "action", "sourceAccount", "sourceArn", "principalOrgID",
                              "functionUrlAuthType"),
    "AddPermission20150331v2": ("functionName", "principal", "action", "sourceAccount", "sourceArn",
                                "principalOrgID", "functionUrlAuthType"),
    "AddLayerVersionPermission20181031": ("layerName", "principal", "organizationId", "action"),
    "AddPermission": ("topicArn", "queueUrl", "aWSAccountId", "aWSAccountIds", "actionName", "actions", "label"),
    "SetTopicAttributes": ("topicArn", "attributeName", "attributeValue"),
    "CreateTopic": ("name", "attributes"),
    "SetQueueAttributes": ("queueUrl", "attributes"),
    "CreateQueue": ("queueName", "attributes"),
    "PutResourcePolicy": ("secretId", "resourceArn", "resourcePolicy", "policyName", "policyDocument"),
    "DeleteResourcePolicy": ("secretId", "resourceArn"),
    "DeleteRepositoryPolicy": ("repositoryName",),
    "DeleteRole": ("roleName",),
    "SetRepositoryPolicy": ("repositoryName", "policyText", "registryId"),
    # monitoring beyond CloudTrail
    "DeleteFlowLogs": ("DeleteFlowLogsRequest",),
    "CreateFlowLogs": ("CreateFlowLogsRequest",),
    "DeleteDetector": ("detectorId",),
    "UpdateDetector": ("detectorId", "enable"),
    "CreateDetector": ("enable",),
    "CreateMembers": ("detectorId",),
    "StartMonitoringMembers": ("detectorId", "accountIds"),
    "DeleteMembers": ("detectorId", "accountIds"),
    "DisassociateMembers": ("detectorId", "accountIds"),
    "StopMonitoringMembers": ("detectorId", "accountIds"),
    "StopConfigurationRecorder": ("configurationRecorderName",),
    "DeleteConfigurationRecorder": ("configurationRecorderName",),
    "StartConfigurationRecorder": ("configurationRecorderName",),
    "DeleteDeliveryChannel": ("deliveryChannelName",),
    "PutDeliveryChannel": ("deliveryChannel",),
    "DeleteLogGroup": ("logGroupName",),
    "CreateLogGroup": ("logGroupName",),
    "PutRetentionPolicy": ("logGroupName", "retentionInDays"),
    "DeleteRetentionPolicy": ("logGroupName",),
    "PutBucketLogging": ("BucketLoggingStatus",),
    "PutBucketLifecycle": ("LifecycleConfiguration",),
    "DeleteBucketLifecycle": (),
    "DisableSecurityHub": (),
    "EnableSecurityHub": (),
    "LeaveOrganization": (),
    "RemoveAccountFromOrganization": ("accountId",),
    "AcceptHandshake": ("handshakeId",),
    # credentials
    "GetPasswordData": ("instanceId",),
    "GetSecretValue": ("secretId",),
    "BatchGetSecretValue": ("secretIdList", "filters"),
    "GetParameter": ("name", "withDecryption"),
    "GetParameters": ("names", "withDecryption"),
    "GetParametersByPath": ("path", "withDecryption", "recursive"),
    "EnableMFADevice": ("userName", "serialNumber"),
}
# Request parameters of the IAM names (``_IAM_SUBJECT``, role trust policies among them) the checks need;
# never a password (AWS omits it).
_IAM_KEPT = ("userName", "roleName", "groupName", "policyArn", "policyName", "policyDocument", "serialNumber")


def _kept(name: str, params: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, str | None]:
    keys = _KEPT[name]
    details = {k: params[k] for k in keys if params.get(k) is not None}
    named = next((details[k] for k in keys if isinstance(details.get(k), str)
                  and k not in ("policy", "principal", "action", "attributeName")), None)
    return details or None, None, named


_DETAILED = _SHARING | _COPY | _TRAIL | _ASSUME | _IAM_SUBJECT | set(_KEPT)
_new_record = tuple.__new__  # AccessEventRecord from a tuple in field order (see parse_record)


def _orjson_keys(*names: str) -> tuple[str, ...]:
    """``names`` as the very string objects orjson puts in the dicts it decodes.

    orjson keeps its keys from one document to the next, and a dict lookup with the object that is in the
    dict matches without comparing the strings, which makes reading the fields below markedly faster. With
    any other dict (another decoder, a key orjson no longer keeps) the lookup compares strings: same result.
    """
    return tuple(orjson.loads(orjson.dumps(dict.fromkeys(names, 0))))


# The fields every CloudTrail API call carries, and those of an IAM user or an assumed-role session.
_FIELDS = _orjson_keys("eventID", "eventName", "eventTime", "userIdentity", "requestParameters",
                       "recipientAccountId", "eventSource", "sourceIPAddress", "userAgent", "awsRegion")
_fields = itemgetter(*_FIELDS)
_user_fields = itemgetter(*_orjson_keys("type", "arn", "accessKeyId", "accountId"))
_NO_IDENTITY: tuple[None, None, None, None, None, None] = (None, None, None, None, None, None)


def _identity(identity: Any) -> tuple[str | None, str | None, str | None, str | None, bool | None, str | None]:
    """(principal, kind, access key, session issuer, mfaAuthenticated, account) of a ``userIdentity``.

    An IAM user and an assumed-role session, as CloudTrail writes them, are read here directly; any other
    identity goes through ``_principal``.
    """
    if type(identity) is not dict:
        raise RecordError(t("userIdentity がオブジェクトではありません", "userIdentity is not an object"))
    try:
        kind_name, principal, key_id, account = _user_fields(identity)
    except KeyError:
        kind_name = None
    else:
        if kind_name == "IAMUser" and principal and "sessionContext" not in identity:
            return principal, "iam_user", key_id or None, None, None, account
        if kind_name == "AssumedRole" and principal:
            try:
                context = identity["sessionContext"]
                issuer = context["sessionIssuer"]["arn"]
                flag = context["attributes"]["mfaAuthenticated"]
            except (KeyError, TypeError):
                pass
            else:
                mfa = None if flag is None else str(flag).lower() == "true"
                return principal, "assumed_role", key_id or None, issuer, mfa, account
    principal, kind, issuer, mfa = _principal(identity)
    return principal, kind, identity.get("accessKeyId") or None, issuer, mfa, identity.get("accountId")


def _resource(record: dict[str, Any], name: str, params: Any) -> tuple[
        str | None, str | None, str | None, str | None, dict[str, Any] | None]:
    """(bucket, object key, resource, target account, details) of an event."""
    bucket = object_key = resource = target = None
    details: dict[str, Any] | None = None
    if params and type(params) is dict:
        bucket = params.get("bucketName")
        if bucket is not None:
            bucket = str(bucket)
            object_key = params.get("key")
            if object_key is not None:
                object_key = str(object_key)
                resource = f"arn:aws:s3:::{bucket}/{object_key}"
            else:
                resource = f"arn:aws:s3:::{bucket}"
        if name in _DETAILED:
            details, target, named = _details(name, params)
            if resource is None and named:
                resource = str(named)
    if resource is None and "resources" in record:
        resources = record["resources"]
        if resources and type(resources) is list and type(resources[0]) is dict:
            resource = resources[0].get("ARN")
    return bucket, object_key, resource, target, details


_TEXT_FIELDS = ("userIdentity.arn", "userIdentity.accessKeyId", "userIdentity.sessionContext.sessionIssuer.arn",
                "eventSource", "resources.ARN", "sourceIPAddress", "userAgent", "errorCode / errorMessage",
                "recipientAccountId", "userIdentity.accountId", "awsRegion")


def _wrong_type(values: tuple[Any, ...]) -> Text:
    """Why a record whose text field holds another type is refused (only called then)."""
    name, value = next((n, v) for n, v in zip(_TEXT_FIELDS, values, strict=True) if isinstance(v, list | dict))
    kind = type(value).__name__
    return t(f"{name} が文字列ではありません（{kind}）", f"{name} is not a string ({kind})")


def parse_record(record: dict[str, Any], index: RegistryIndex | None = None,
                 default_environment: str | None = None, last_time: LastTime | None = None) -> AccessEventRecord:
    """Normalize one CloudTrail record; ``RecordError`` says why a record cannot be stored.

    This is the ingest's hot path (docs/performance.md, "CloudTrail parser"):
    - the ten fields every API call carries are read in one ``itemgetter`` call; a record that lacks one
      of them (an export with ``@timestamp``, a service event) is read field by field instead;
    - with ``index``, the event is placed by ``RegistryIndex.place``, the rule ``RegistryIndex.tag``
      follows, while it is built, so that each record is built once;
    - give the records of one file the same ``last_time``, so that a repeated time is parsed once;
    - every local variable that goes into the record has the name of its field, and the record is built
      from them in field order (a test checks the names against ``AccessEventRecord._fields``): keyword
      arguments read the same but cost too much.
    """
    try:
        (source_event_id, action, when, identity, params, account_id, service, source_ip, user_agent,
         region) = _fields(record)
    except (KeyError, TypeError):
        (source_event_id, action, when, identity, params, account_id, service, source_ip, user_agent,
         region) = map(record.get, _FIELDS)
    if not source_event_id or type(source_event_id) is not str:
        raise RecordError(t("eventID がありません", "missing eventID"))
    if not action or type(action) is not str:
        raise RecordError(t("eventName がありません", "missing eventName"))
    if not when:
        when = record.get("@timestamp")
        if not when:
            raise RecordError(t("eventTime（および @timestamp）がありません", "missing eventTime (and @timestamp)"))
    if last_time is None:
        last_time = LastTime()
    event_time = last_time.value if when == last_time.text else _event_time(when, last_time)

    principal, principal_kind, access_key_id, session_issuer, mfa_used, identity_account = (
        _NO_IDENTITY if identity is None else _identity(identity))
    if "additionalEventData" in record:  # absent from most records: ``in`` costs less than ``get`` then
        extra = record["additionalEventData"]
        if extra and type(extra) is dict:
            flag = extra.get("MFAUsed")
            if flag is not None:
                mfa_used = str(flag).lower() in ("yes", "true")

    error_code = record.get("errorCode")
    outcome = "failure" if error_code else "success"
    if action == "ConsoleLogin":
        response = record.get("responseElements")
        if type(response) is dict and response.get("ConsoleLogin") == "Failure":
            outcome = "failure"
            error_code = error_code or record.get("errorMessage") or "Failure"

    bucket, object_key, resource, target_account, details = _resource(record, action, params)
    # Every value below goes into a text column as it is. A list or an object there (JSON numbers are stored as
    # text) would fail the whole batch at the database, or the tagging below: the record is refused here,
    # naming the field. Hashing the tuple finds one at C speed (docs/performance.md, "CloudTrail parser").
    texts = (principal, access_key_id, session_issuer, service, resource, source_ip, user_agent, error_code,
             account_id, identity_account, region)
    try:
        hash(texts)
    except TypeError:
        raise RecordError(_wrong_type(texts)) from None
    account_id = account_id or identity_account
    if target_account is not None and target_account == account_id:
        target_account = None  # sharing with or assuming into the same account is not cross-account
    environment_id, data_class = (default_environment, None) if index is None else index.place(
        bucket, account_id, default_environment)
    customer_data = data_class == "customer"
    return _new_record(AccessEventRecord, (
        source_event_id, event_time, action, principal, principal_kind, access_key_id, session_issuer,
        service, resource, bucket, object_key, target_account, source_ip, user_agent, outcome, error_code,
        mfa_used, account_id, region, environment_id, data_class, customer_data, details,
    ))


def transform_records(items: Iterable[dict[str, Any] | RecordProblem], index: RegistryIndex | None,
                      default_environment: str | None, *, accounts: frozenset[str] | None = None,
                      latest: datetime | None = None) -> Iterator[AccessEventRecord | Rejected]:
    """The events of one file or stream of CloudTrail records, tagged; a ``Rejected`` for each record that
    cannot be stored. A ``FileReadError`` of the reader comes through after the records before it.

    With ``accounts`` (those declared in the source's vendor's environments), an event of any other account
    is rejected with its account. ``latest``: the latest event time accepted (default: a day from now).
    """
    last_time = LastTime(latest)
    for position, item in enumerate(items):
        if type(item) is not dict:
            problem: Any = item  # a RecordProblem of the reader
            yield Rejected(t(f"レコード {problem.position} を取り込めません: {problem.reason}",
                             f"record {problem.position}: {problem.reason}"))
            continue
        try:
            event = parse_record(item, index, default_environment, last_time)
        except RecordError as exc:
            yield Rejected(_rejected(item, position, exc.reason))
            continue
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a field of a shape CloudTrail never writes
            reason = t(f"想定外の形の項目があります（{type(exc).__name__}）",
                       f"a field has a shape CloudTrail never writes ({type(exc).__name__})")
            yield Rejected(_rejected(item, position, reason))
            continue
        account = event.account_id
        if accounts is not None and account is not None and account not in accounts:
            yield Rejected(_rejected(item, position, t(
                f"アカウント {account} は委託先の環境に登録されていません",
                f"account {account} is not declared in an environment of the source's vendor")), account)
            continue
        yield event


def _rejected(item: dict[str, Any], position: int, reason: Text) -> Text:
    where = item.get("eventID")
    where = where if type(where) is str and where else f"#{position}"
    return t(f"レコード {where} を取り込めません: {reason.ja}", f"record {where}: {reason.en}")


def transform_for_source(items: Iterable[dict[str, Any] | RecordProblem],
                         context: CollectContext) -> Iterator[AccessEventRecord | Rejected]:
    """``transform_records`` for one source: its tagging, its vendor's accounts, its clock."""
    return transform_records(items, context.index, context.source.environment,
                             accounts=context.declared_accounts(), latest=context.clock.now() + FUTURE_SLACK)
