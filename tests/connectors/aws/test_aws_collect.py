"""Collecting an AWS source against moto's server mode (a real HTTP endpoint), on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
from botocore.awsrequest import AWSResponse, HTTPHeaders
from moto.sts.models import sts_backends
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from connectors.aws.collect import collect
from tests.connectors.aws.conftest import (
    CUSTOMER_BUCKET,
    EXTERNAL_ID_ENV,
    FIRM_ACCOUNT,
    TRAIL_BUCKET,
    VENDOR_ACCOUNT,
    cloudtrail_record,
    deliver,
    delivery_key,
    gz_records,
)
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AccessEvent, Grant, ObservedSetting, Principal, SourceObject
from vendorwatch.ingest.context import CollectContext

ContextFor = Callable[[str], CollectContext]
START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _principals(engine: Engine, source: str) -> dict[str, Principal]:
    with Session(engine) as session:
        return {p.external_id: p for p in session.exec(select(Principal).where(Principal.source_id == source))}


def _grants(engine: Engine, source: str) -> list[Grant]:
    with Session(engine) as session:
        return list(session.exec(select(Grant).where(Grant.source_id == source)))


def _events(engine: Engine, source: str) -> list[AccessEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AccessEvent).where(AccessEvent.source_id == source)))


def _objects(engine: Engine, source: str) -> dict[str, SourceObject]:
    with Session(engine) as session:
        return {o.key: o for o in session.exec(select(SourceObject).where(SourceObject.source_id == source))}


def _vendor_iam(iam: Any, s3: Any) -> None:
    """What a vendor's account holds: users with and without MFA, keys, groups, admin policies, roles."""
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, MaxPasswordAge=90)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN)
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    for name in ("alice", "bob"):
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-1")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"], AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    iam.create_access_key(UserName="alice")
    first = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="bob")
    iam.update_access_key(UserName="bob", AccessKeyId=first, Status="Inactive")
    iam.put_user_policy(UserName="bob", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam_admin = iam.create_policy(PolicyName="iam-admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*"], "Resource": "*"}]}))
    iam.attach_user_policy(UserName="carol", PolicyArn=iam_admin["Policy"]["Arn"])
    reader = iam.create_policy(PolicyName="s3-reader", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::x/*"}]}))
    iam.create_access_key(UserName="carol")
    iam.create_role(RoleName="partner-access", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                       "Action": "sts:AssumeRole",
                       "Condition": {"StringEquals": {"sts:ExternalId": "partner-ext"}}}]}))
    iam.attach_role_policy(RoleName="partner-access", PolicyArn=reader["Policy"]["Arn"])
    iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}))


def test_iam_inventory_marks_mfa_keys_admin_grants_and_cross_account_trust(
    engine: Engine, context_for: ContextFor, iam: Any, s3: Any
) -> None:
    _vendor_iam(iam, s3)
    run = collect(context_for("acme-aws"))
    assert run.status == "success", run.errors
    principals = _principals(engine, "acme-aws")
    alice = principals[f"arn:aws:iam::{FIRM_ACCOUNT}:user/alice"]
    bob = principals[f"arn:aws:iam::{FIRM_ACCOUNT}:user/bob"]
    carol = principals[f"arn:aws:iam::{FIRM_ACCOUNT}:user/carol"]
    assert (alice.mfa_enabled, alice.console_access) == (True, True)
    assert (bob.mfa_enabled, bob.console_access) == (False, True)
    assert carol.console_access is False
    keys = [p for p in principals.values() if p.kind == "access_key"]
    assert len(keys) == 4
    bob_keys = sorted(k.disabled for k in keys if k.parent_external_id == bob.external_id)
    assert bob_keys == [False, True]
    assert all(k.created_at is not None for k in keys)

    root = [p for p in principals.values() if p.kind == "root"]
    assert len(root) == 1 and root[0].external_id == f"arn:aws:iam::{FIRM_ACCOUNT}:root"

    role = principals[f"arn:aws:iam::{FIRM_ACCOUNT}:role/partner-access"]
    assert role.attributes["trusted_outside_accounts"] == ["999999999999"]
    assert role.attributes["external_id_required"] is True
    assert principals[f"arn:aws:iam::{FIRM_ACCOUNT}:role/lambda-exec"].attributes["trusted_services"] == [
        "lambda.amazonaws.com"]

    admin = {(g.principal_external_id.rsplit("/", 1)[-1], g.kind, g.name) for g in _grants(engine, "acme-aws")
             if g.is_admin}
    assert admin == {
        ("alice", "group_membership", "admins"),
        ("alice", "group_policy", "admins/AdministratorAccess"),
        ("bob", "inline_policy", "everything"),
        ("carol", "managed_policy", "iam-admin"),
    }
    trust = [g for g in _grants(engine, "acme-aws") if g.kind == "trust"]
    assert {g.name for g in trust} == {"999999999999", "lambda.amazonaws.com"}

    with Session(engine) as session:
        policy = session.exec(select(ObservedSetting).where(ObservedSetting.kind == "aws.password_policy")).one()
    assert policy.subject == FIRM_ACCOUNT
    assert policy.data["present"] is True and policy.data["MinimumPasswordLength"] == 14


def test_a_user_deleted_at_the_vendor_is_marked_gone_not_deleted(
    engine: Engine, context_for: ContextFor, iam: Any, s3: Any
) -> None:
    _vendor_iam(iam, s3)
    first = collect(context_for("acme-aws"))
    for policy in iam.list_attached_user_policies(UserName="carol")["AttachedPolicies"]:
        iam.detach_user_policy(UserName="carol", PolicyArn=policy["PolicyArn"])
    for key in iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="carol")
    second = collect(context_for("acme-aws"))
    carol = _principals(engine, "acme-aws")[f"arn:aws:iam::{FIRM_ACCOUNT}:user/carol"]
    assert carol.gone_run_id == second.id and carol.first_seen_run_id == first.id


def test_credential_report_is_generated_and_read_as_csv(context_for: ContextFor, iam: Any, s3: Any,
                                                       engine: Engine) -> None:
    # moto's report has no <root_account> row (AWS's has); the root row is covered on a captured report
    # in test_aws_iam_transform.py, and collection falls back to GetAccountSummary for root here.
    from connectors.aws.iam import get_credential_report, parse_credential_report
    from connectors.aws.session import open_access

    _vendor_iam(iam, s3)
    source = context_for("acme-aws").source
    rows = parse_credential_report(get_credential_report(open_access(source)))  # type: ignore[arg-type]
    by_user = {row["user"]: row for row in rows}
    assert {"alice", "bob", "carol"} <= set(by_user)
    assert by_user["alice"]["password_enabled"] == "true"
    assert by_user["carol"]["password_enabled"] == "false"
    assert by_user["carol"]["access_key_1_active"] == "true"


def test_s3_delivered_logs_are_collected_incrementally_without_duplicates(
    engine: Engine, context_for: ContextFor, s3: Any
) -> None:
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    batches = [[cloudtrail_record(when=START + timedelta(minutes=i)) for _ in range(3)] for i in range(3)]
    keys = deliver(s3, batches, start=START)
    tokyo = deliver(s3, [[cloudtrail_record("ListBuckets", bucket=None, awsRegion="ap-northeast-1")]],
                    start=START, region="ap-northeast-1")

    first = collect(context_for("acme-aws"))
    assert first.status == "success", first.errors
    assert first.counts["stored"] == 10 and first.counts["duplicate"] == 0
    assert first.checkpoint is not None
    assert first.checkpoint["s3"] == {"us-east-1": keys[-1], "ap-northeast-1": tokyo[-1]}
    events = _events(engine, "acme-aws")
    read = [e for e in events if e.action == "GetObject"]
    assert all(e.customer_data and e.data_class == "customer" and e.environment_id == "acme-prod" for e in read)
    assert {e.bucket for e in read} == {CUSTOMER_BUCKET}

    later = deliver(s3, [[cloudtrail_record()], [cloudtrail_record(), cloudtrail_record()]],
                    start=START + timedelta(hours=2))
    second = collect(context_for("acme-aws"))
    assert second.counts["stored"] == 3 and second.counts["duplicate"] == 0
    assert second.checkpoint is not None and second.checkpoint["s3"]["us-east-1"] == later[-1]

    third = collect(context_for("acme-aws"))
    assert third.counts.get("stored", 0) == 0 and third.counts.get("read", 0) == 0
    assert len(_events(engine, "acme-aws")) == 13
    objects = _objects(engine, "acme-aws")
    assert all(o.status == "ingested" for o in objects.values()) and len(objects) == 6


def test_bad_objects_are_recorded_the_rest_kept_and_the_checkpoint_waits(
    engine: Engine, context_for: ContextFor, s3: Any
) -> None:
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    good = cloudtrail_record(event_id="good-1")
    missing = cloudtrail_record(event_id="x")
    del missing["eventID"]
    keys = [delivery_key("org/logs", FIRM_ACCOUNT, "us-east-1", START + timedelta(minutes=i), i) for i in range(5)]
    whole = gz_records([cloudtrail_record(event_id=f"cut-{i}") for i in range(50)])
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[0], Body=gz_records([good]))
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[1], Body=whole[: len(whole) // 2])  # truncated gzip
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[2], Body=gzip.compress(b'{"Records": [{"eventID": '))
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[3],
                  Body=gz_records([missing, cloudtrail_record(event_id="kept-1")]))
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[4], Body=gz_records([cloudtrail_record(event_id="good-2")]))

    run = collect(context_for("acme-aws"))
    assert run.status == "partial"
    reasons = {error["where"]: error["reason"] for error in run.errors}
    assert "unreadable compressed data" in reasons[keys[1]]
    assert "invalid JSON" in reasons[keys[2]]
    assert "missing eventID" in reasons[keys[3]]
    assert run.counts["rejected"] == 1
    assert {e.source_event_id for e in _events(engine, "acme-aws")} == {"good-1", "kept-1", "good-2"}
    assert run.checkpoint is not None and run.checkpoint["s3"]["us-east-1"] == keys[0]
    objects = _objects(engine, "acme-aws")
    assert objects[keys[1]].status == "failed" and objects[keys[2]].status == "failed"
    assert objects[keys[3]].status == "ingested" and objects[keys[3]].events == 1

    # The damaged file is replaced by the intact one: the next run reads it, skips what it had, and the
    # checkpoint moves up to the file that is still invalid.
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[1], Body=whole)
    again = collect(context_for("acme-aws"))
    assert again.counts["stored"] == 50 and again.counts["skipped_objects"] == 2
    assert again.checkpoint is not None and again.checkpoint["s3"]["us-east-1"] == keys[1]
    assert len(_events(engine, "acme-aws")) == 53


def _deny(operation: str) -> Callable[..., tuple[AWSResponse, dict[str, Any]]]:
    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("https://iam.amazonaws.com/", 403, {}, None)  # type: ignore[arg-type]
        parsed = {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {operation}"},
                  "ResponseMetadata": {"HTTPStatusCode": 403}}
        return response, parsed

    return handler


def test_access_denied_on_one_api_is_recorded_and_the_rest_collected(
    engine: Engine, context_for: ContextFor, iam: Any, s3: Any, moto_endpoint: str
) -> None:
    # moto does not enforce IAM here, so the refusal is injected through botocore's event system on the
    # real client (the call never leaves the process); every other call goes to moto.
    _vendor_iam(iam, s3)
    deliver(s3, [[cloudtrail_record(event_id="e-1")]], start=START)
    session = boto3.Session(region_name="us-east-1")
    deny: Any = _deny("iam:GetAccountPasswordPolicy")  # a before-call handler may answer in the API's place
    session.events.register("before-call.iam.GetAccountPasswordPolicy", deny)
    run = collect(context_for("acme-aws"), base_session=session)
    assert run.status == "partial"
    assert [e["where"] for e in run.errors] == ["iam:GetAccountPasswordPolicy"]
    assert "AccessDenied" in run.errors[0]["reason"]
    assert f"arn:aws:iam::{FIRM_ACCOUNT}:user/alice" in _principals(engine, "acme-aws")
    assert [e.source_event_id for e in _events(engine, "acme-aws")] == ["e-1"]
    with Session(engine) as session_db:
        kinds = {s.kind for s in session_db.exec(select(ObservedSetting))}
    assert "aws.password_policy" not in kinds


def test_role_is_assumed_with_the_external_id_from_the_environment(
    engine: Engine, context_for: ContextFor, moto_endpoint: str
) -> None:
    vendor = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{VENDOR_ACCOUNT}:role/setup", RoleSessionName="setup")["Credentials"]
    vendor_iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint,
                              aws_access_key_id=vendor["AccessKeyId"],
                              aws_secret_access_key=vendor["SecretAccessKey"],
                              aws_session_token=vendor["SessionToken"])
    vendor_iam.create_user(UserName="vendor-operator")

    run = collect(context_for("acme-aws-role"), environ={EXTERNAL_ID_ENV: "ext-7f3a9c"})
    principals = _principals(engine, "acme-aws-role")
    assert f"arn:aws:iam::{VENDOR_ACCOUNT}:user/vendor-operator" in principals
    # moto keeps an assumed-role session in the role's account.
    assumed = [r for r in sts_backends[VENDOR_ACCOUNT]["aws"].assumed_roles
               if r.role_arn == f"arn:aws:iam::{VENDOR_ACCOUNT}:role/VendorWatchAudit"]
    assert assumed and assumed[-1].external_id == "ext-7f3a9c"
    assert assumed[-1].session_name == "vendorwatch-acme-aws-role"
    assert run.status == "success", run.errors
    assert all("ext-7f3a9c" not in json.dumps(e) for e in run.errors)
    with engine.connect() as connection:
        stored = " ".join(str(row) for row in connection.execute(text("SELECT counts, errors FROM collection_runs")))
    assert "ext-7f3a9c" not in stored


def test_missing_external_id_fails_the_run_with_a_bilingual_reason(context_for: ContextFor) -> None:
    run = collect(context_for("acme-aws-role"), environ={})
    assert run.status == "failed"
    assert run.error_text is not None and EXTERNAL_ID_ENV in run.error_text and "環境変数" in run.error_text


def test_an_expiring_session_is_renewed_mid_run(context_for: ContextFor, moto_endpoint: str) -> None:
    from connectors.aws.session import open_access

    # moto issues sessions that end 15 minutes after the real time; the clock the credentials consult
    # starts an hour earlier (the session looks fresh), then moves to the real time, when the session is
    # inside botocore's renewal window: the next call must assume the role again.
    now = datetime.now(UTC)
    clock = FixedClock(now - timedelta(hours=1))
    source = context_for("acme-aws-role").source
    access = open_access(source, {EXTERNAL_ID_ENV: "ext"}, session_seconds=900, clock=clock)  # type: ignore[arg-type]
    backend = sts_backends[VENDOR_ACCOUNT]["aws"]  # moto keeps assumed-role sessions in the role's account
    before = len(backend.assumed_roles)
    access.client("iam").list_users()
    first_key = access.session.get_credentials().get_frozen_credentials().access_key  # type: ignore[union-attr]
    assert len(backend.assumed_roles) == before
    clock.set(now + timedelta(seconds=5))
    access.client("iam").list_users()
    second_key = access.session.get_credentials().get_frozen_credentials().access_key  # type: ignore[union-attr]
    assert first_key != second_key
    assert len(backend.assumed_roles) > before


def test_trail_health_reports_logging_validation_and_data_event_buckets(
    engine: Engine, context_for: ContextFor, s3: Any, moto_endpoint: str
) -> None:
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    cloudtrail = boto3.client("cloudtrail", region_name="us-east-1", endpoint_url=moto_endpoint)
    cloudtrail.create_trail(Name="org-trail", S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="org-trail")
    cloudtrail.put_event_selectors(TrailName="org-trail", EventSelectors=[{
        "ReadWriteType": "All", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{CUSTOMER_BUCKET}/"]}]}])
    cloudtrail.create_trail(Name="stopped", S3BucketName=TRAIL_BUCKET)
    run = collect(context_for("acme-aws"))
    assert run.status == "success", run.errors
    with Session(engine) as session:
        trails = {s.data["name"]: s.data for s in session.exec(
            select(ObservedSetting).where(ObservedSetting.kind == "aws.trail"))}
    assert trails["org-trail"]["logging"] is True and trails["org-trail"]["multi_region"] is True
    assert trails["org-trail"]["log_file_validation"] is True
    assert trails["org-trail"]["data_event_buckets"] == [CUSTOMER_BUCKET]
    assert trails["stopped"]["logging"] is False and trails["stopped"]["data_event_buckets"] == []


def test_lookup_events_reads_a_window_and_moves_the_checkpoint(
    engine: Engine, context_for: ContextFor, clock: FixedClock
) -> None:
    # moto's server does not implement LookupEvents, so this one uses botocore's Stubber on a real client:
    # the responses are CloudTrail's documented shape, the paging is botocore's paginator.
    from botocore.stub import Stubber

    from connectors.aws.cloudtrail_lookup import collect_lookup
    from connectors.aws.session import AwsAccess
    from vendorwatch.ingest.objects import ObjectSink
    from vendorwatch.ingest.runs import RunRecorder

    context = context_for("acme-aws-role")
    access = AwsAccess(boto3.Session(region_name="us-east-1"), None, "us-east-1")
    client = access.client("cloudtrail", "us-east-1")
    stub = Stubber(client)
    records = [cloudtrail_record("ConsoleLogin", bucket=None, event_id=f"lk-{i}") for i in range(3)]
    stub.add_response("lookup_events", {"Events": [{"EventId": "lk-0", "CloudTrailEvent": orjson.dumps(
        records[0]).decode()}], "NextToken": "page-2"})
    stub.add_response("lookup_events", {"Events": [{"EventId": r["eventID"], "CloudTrailEvent": orjson.dumps(
        r).decode()} for r in records[1:]] + [{"EventId": "broken", "CloudTrailEvent": "{"}]})
    recorder = RunRecorder(engine, "acme-aws-role", clock)
    sink = ObjectSink(context, recorder)
    with stub:
        collect_lookup(context, access, sink, ["us-east-1"])
    run = recorder.finish()
    assert sorted(e.source_event_id for e in _events(engine, "acme-aws-role")) == ["lk-0", "lk-1", "lk-2"]
    assert run.counts["rejected"] == 1
    assert run.checkpoint == {"lookup": {"us-east-1": clock.now().isoformat()}}


def test_a_throttled_call_is_retried_and_the_run_succeeds(
    engine: Engine, context_for: ContextFor, iam: Any, s3: Any
) -> None:
    # The throttling answer is injected with botocore's "before-send" event, which sits inside botocore's
    # retry loop (moto does not throttle): the adaptive retry mode must try again and reach moto.
    _vendor_iam(iam, s3)
    throttled: list[str] = []

    def throttle_once(request: Any, **_: Any) -> AWSResponse | None:
        body_sent = request.body or b""
        text_sent = body_sent.decode() if isinstance(body_sent, bytes) else str(body_sent)
        if throttled or "GetAccountPasswordPolicy" not in text_sent:
            return None
        throttled.append("once")
        body = (b'<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
                b'<Message>Rate exceeded</Message></Error></ErrorResponse>')
        return AWSResponse(request.url, 400, HTTPHeaders(), _Raw(body))

    session = boto3.Session(region_name="us-east-1")
    hook: Any = throttle_once
    session.events.register("before-send.iam", hook)
    run = collect(context_for("acme-aws"), base_session=session)
    assert throttled == ["once"]
    assert run.status == "success", run.errors
    with Session(engine) as session_db:
        kinds = {s.kind for s in session_db.exec(select(ObservedSetting))}
    assert "aws.password_policy" in kinds


class _Raw:
    """The raw body of an injected HTTP response, as botocore reads it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body
