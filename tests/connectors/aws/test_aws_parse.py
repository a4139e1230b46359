"""Pure parts: a CloudTrail record to an access event, the file reader, IAM transforms (no server needed)."""

from __future__ import annotations

import gc
import gzip
import io
from datetime import UTC, datetime

import orjson
import pytest

from connectors.aws.cloudtrail_files import FileReadError, RecordProblem, iter_bytes, iter_records
from connectors.aws.cloudtrail_parse import RecordError, parse_record
from connectors.aws.iam import IamSnapshot, is_admin_document, parse_credential_report, transform_iam
from tests.connectors.aws.conftest import cloudtrail_record


def test_assumed_role_session_keeps_the_session_arn_and_its_role() -> None:
    record = cloudtrail_record("GetObject")
    record["userIdentity"] = {
        "type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/deploy/ci-42",
        "accessKeyId": "ASIAEXAMPLE", "accountId": "111111111111",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111111111111:role/deploy"},
                           "attributes": {"mfaAuthenticated": "true"}}}
    event = parse_record(record)
    assert event.principal == "arn:aws:sts::111111111111:assumed-role/deploy/ci-42"
    assert event.session_issuer == "arn:aws:iam::111111111111:role/deploy"
    assert (event.principal_kind, event.access_key_id, event.mfa_used) == ("assumed_role", "ASIAEXAMPLE", True)


@pytest.mark.parametrize(("identity", "principal", "kind"), [
    ({"type": "Root", "accountId": "111111111111", "principalId": "111111111111"},
     "arn:aws:iam::111111111111:root", "root"),
    ({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}, "ec2.amazonaws.com", "aws_service"),
    ({"accountId": "111111111111", "invokedBy": "cloudtrail.amazonaws.com"}, "cloudtrail.amazonaws.com",
     "aws_service"),
    ({"type": "FederatedUser", "arn": "arn:aws:sts::111111111111:federated-user/jo", "accountId": "111111111111",
      "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111111111111:user/broker"}}},
     "arn:aws:sts::111111111111:federated-user/jo", "federated_user"),
])
def test_principals_of_every_identity_type(identity: dict[str, object], principal: str, kind: str) -> None:
    record = cloudtrail_record("ListBuckets", bucket=None)
    record["userIdentity"] = identity
    event = parse_record(record)
    assert (event.principal, event.principal_kind) == (principal, kind)


def test_snapshot_shared_to_another_account_names_the_target() -> None:
    record = cloudtrail_record("ModifySnapshotAttribute", bucket=None, requestParameters={
        "snapshotId": "snap-1", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": "222222222222"}]}}})
    event = parse_record(record)
    assert (event.target_account, event.resource) == ("222222222222", "snap-1")
    assert event.details == {"added_accounts": ["222222222222"], "snapshot_id": "snap-1"}
    public = parse_record(cloudtrail_record("ModifyImageAttribute", bucket=None, requestParameters={
        "imageId": "ami-1", "launchPermission": {"add": {"items": [{"group": "all"}]}}}))
    assert public.target_account == "all"


def test_copy_object_keeps_its_source_and_an_error_code_means_failure() -> None:
    record = cloudtrail_record("CopyObject", errorCode="AccessDenied")
    record["requestParameters"]["x-amz-copy-source"] = "prod-bucket/customers.csv"
    event = parse_record(record)
    assert event.details == {"copy_source": "prod-bucket/customers.csv"}
    assert (event.outcome, event.error_code) == ("failure", "AccessDenied")
    assert (event.bucket, event.object_key) == ("acme-customer-data", "customers/2026-11.csv")


def test_console_login_mfa_and_failure_and_timestamp_fallback() -> None:
    record = cloudtrail_record("ConsoleLogin", bucket=None, additionalEventData={"MFAUsed": "No"},
                               responseElements={"ConsoleLogin": "Failure"}, errorMessage="Failed authentication")
    del record["eventTime"]
    record["@timestamp"] = "2020-09-14T01:02:34.000Z"
    event = parse_record(record)
    assert event.mfa_used is False and event.outcome == "failure"
    assert event.event_time == datetime(2020, 9, 14, 1, 2, 34, tzinfo=UTC)


@pytest.mark.parametrize(("field", "reason"), [("eventID", "missing eventID"), ("eventName", "missing eventName"),
                                                ("eventTime", "missing eventTime")])
def test_a_record_without_a_needed_field_is_rejected_with_the_reason(field: str, reason: str) -> None:
    record = cloudtrail_record()
    del record[field]
    with pytest.raises(RecordError, match=reason):
        parse_record(record)


def _read(data: bytes) -> list[object]:
    return list(iter_records(io.BytesIO(data)))


def test_reader_takes_delivery_pretty_and_ndjson_gzipped_or_not() -> None:
    records = [cloudtrail_record(event_id=f"e{i}") for i in range(3)]
    delivery = orjson.dumps({"Records": records})
    pretty = orjson.dumps({"Records": records}, option=orjson.OPT_INDENT_2)
    ndjson = b"\n".join(orjson.dumps(r) for r in records) + b"\n"
    for data in (delivery, pretty, ndjson, gzip.compress(delivery), gzip.compress(ndjson)):
        assert [r["eventID"] for r in _read(data)] == ["e0", "e1", "e2"]  # type: ignore[index]


def test_reader_reports_bad_lines_and_breaks_off_on_damage() -> None:
    ndjson = orjson.dumps(cloudtrail_record(event_id="a")) + b"\n{broken\n" + orjson.dumps(
        cloudtrail_record(event_id="b")) + b"\n"
    items = _read(ndjson)
    assert isinstance(items[1], RecordProblem) and "invalid JSON" in items[1].reason
    assert len(items) == 3
    packed = gzip.compress(ndjson * 200)
    with pytest.raises(FileReadError, match="unreadable compressed data"):
        _read(packed[: len(packed) // 2])
    with pytest.raises(FileReadError, match="invalid JSON"):
        _read(b'{"Records": [\n{"eventID": ')


def test_a_truncated_gzip_export_keeps_the_complete_lines_before_the_cut() -> None:
    lines = b"".join(orjson.dumps(cloudtrail_record(event_id=f"n{i}")) + b"\n" for i in range(400))
    packed = gzip.compress(lines)
    kept: list[object] = []
    with pytest.raises(FileReadError, match="truncated"):
        for item in iter_bytes(packed[: len(packed) * 2 // 3]):
            kept.append(item)
    assert 0 < len(kept) < 400 and all(isinstance(k, dict) for k in kept)
    assert [k["eventID"] for k in kept] == [f"n{i}" for i in range(len(kept))]  # type: ignore[index]


@pytest.mark.parametrize("collector_on", [True, False])
def test_a_delivery_file_in_memory_reports_non_objects_and_leaves_the_collector_as_it_was(
    collector_on: bool,
) -> None:
    records = [cloudtrail_record(event_id="a"), cloudtrail_record(event_id="b")]
    whole = gzip.compress(orjson.dumps({"Records": records}))
    mixed = gzip.compress(orjson.dumps({"Records": [records[0], 7, records[1]]}))
    was_on = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        assert list(iter_bytes(whole)) == records
        assert gc.isenabled() is collector_on
        items = list(iter_bytes(mixed))
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was_on else gc.disable)()
    assert items[0] == records[0] and items[2] == records[1]
    assert items[1] == RecordProblem(1, "record is not a JSON object")


def test_a_record_decoded_by_orjson_or_built_in_python_gives_the_same_event() -> None:
    record = cloudtrail_record("AssumeRole", bucket=None, requestParameters={
        "roleArn": "arn:aws:iam::222222222222:role/partner", "roleSessionName": "s1"})
    record["userIdentity"] = {
        "type": "AssumedRole", "arn": "arn:aws:sts::111111111111:assumed-role/deploy/ci-42",
        "accessKeyId": "ASIAEXAMPLE", "accountId": "111111111111",
        "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/deploy"},
                           "attributes": {"mfaAuthenticated": "false"}}}
    decoded = orjson.loads(orjson.dumps(record))
    event = parse_record(record)
    assert parse_record(decoded) == event
    assert (event.target_account, event.mfa_used, event.session_issuer) == (
        "222222222222", False, "arn:aws:iam::111111111111:role/deploy")
    del decoded["awsRegion"]  # a field of the usual set missing: read one by one
    assert parse_record(decoded) == event._replace(region=None)


@pytest.mark.parametrize(("identity", "issuer", "mfa"), [
    ({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s", "accessKeyId": "ASIA1", "accountId": "1",
      "sessionContext": {"attributes": {"mfaAuthenticated": "TRUE"}}}, None, True),
    ({"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s", "accessKeyId": "ASIA1", "accountId": "1",
      "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/r"}, "attributes": None}},
     "arn:aws:iam::1:role/r", None),
    ({"type": "IAMUser", "arn": "arn:aws:iam::1:user/u", "accessKeyId": "ASIA2", "accountId": "1",
      "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}}, None, True),
])
def test_sessions_with_part_of_their_context(identity: dict[str, object], issuer: str | None,
                                             mfa: bool | None) -> None:
    record = cloudtrail_record("ListBuckets", bucket=None)
    record["userIdentity"] = identity
    event = parse_record(record)
    assert (event.principal, event.session_issuer, event.mfa_used) == (identity["arn"], issuer, mfa)


def test_event_times_in_any_offset_come_out_in_utc_one_record_after_the_other() -> None:
    times = ["2026-11-25T01:00:00Z", "2026-11-25T01:00:00Z", "2026-11-25T10:00:00+09:00", "2026-11-25T01:00:00",
             "2026-11-25T01:00:00.000Z", "2026-11-25T01:00:00Z"]
    for when in times:
        event = parse_record(cloudtrail_record(eventTime=when))
        assert event.event_time == datetime(2026, 11, 25, 1, 0, tzinfo=UTC) and event.event_time.tzinfo is UTC
    with pytest.raises(RecordError, match="not an ISO 8601 time"):
        parse_record(cloudtrail_record(eventTime="25/11/2026 01:00"))
    with pytest.raises(RecordError, match="not a time"):
        parse_record(cloudtrail_record(eventTime=1764032400))


@pytest.mark.parametrize(("statement", "admin"), [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": ["iam:*"], "Resource": ["*"]}, True),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),
    ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}, False),
    ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
])
def test_admin_detection(statement: dict[str, object], admin: bool) -> None:
    assert is_admin_document({"Version": "2012-10-17", "Statement": [statement]}) is admin


# The header and root row as AWS writes them in the credential report (values of a lab account).
REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,"
    "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::111111111111:root,2019-03-01T02:11:52+00:00,not_supported,"
    "2026-11-20T08:00:01+00:00,not_supported,not_supported,false,true,2019-03-01T02:20:00+00:00,"
    "2026-11-24T23:10:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)


def test_root_without_mfa_and_with_an_active_key_from_the_credential_report() -> None:
    snapshot = IamSnapshot(account_id="111111111111", credential_report=parse_credential_report(REPORT))
    inventory = transform_iam(snapshot)
    [root] = [p for p in inventory.principals if p.kind == "root"]
    assert root.external_id == "arn:aws:iam::111111111111:root"
    assert root.mfa_enabled is False and root.attributes["has_access_keys"] is True
    assert root.last_used_at == datetime(2026, 11, 24, 23, 10, tzinfo=UTC)
    assert "root" in inventory.complete_principal_kinds
